"""The results of bench_peers.py: the machine's description, the markdown table, ``peers.{json,md,png}``.

A run is any object with bench_peers.Run's fields (system, workload, records, guarantee, status, records_per_s,
cpu_s_per_million, peak_rss_mb, first_commit_s, latency_p50_ms, latency_p99_ms, ratios).
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

#: the systems in table order, with their names in the results
LABEL = {"kstreams_nb": "kstreams_nb", "loop": "confluent-kafka loop", "java": "Java Kafka Streams",
         "quix": "Quix Streams", "bytewax": "Bytewax", "faust": "faust-streaming"}
#: the guarantee column: what each run's ``guarantee`` field holds, as the table shows it
SHOWN = {"at_least_once": "at-least-once", "exactly_once": "exactly-once", "auto-commit": "auto-commit"}
#: the lowest acceptable kstreams_nb exactly-once records/s over its at-least-once
EOS_TARGET = 0.8
NOTES = (
    "Exactly-once: kstreams_nb and Java Kafka Streams with `processing.guarantee` `exactly_once_v2`, Quix Streams "
    "with `processing_guarantee=\"exactly-once\"`, the confluent-kafka loop with a transactional producer "
    "(`send_offsets_to_transaction` and `commit_transaction` every 100 ms, its count and window changelog written "
    "inside the transaction) and a `read_committed` consumer. Their outputs are read `read_committed` and checked "
    "strictly: no stateless id twice, no key's (or window's) count repeated or lowered. Bytewax and "
    "faust-streaming run at-least-once only (Bytewax's Kafka sink is not transactional; faust-streaming's "
    "exactly-once is not run here).",
    "Java Kafka Streams and kstreams_nb keep their default record cache (10 MB), flushed at each commit, so their "
    "count and window emit fewer updates (see the JSON's `outputs`); the others emit every new count.",
    "Bytewax keeps its source offsets in its own recovery store (not enabled here) and commits none to Kafka: its "
    "consumer auto-commits the consumed offsets every 100 ms so that its progress can be seen (no delivery "
    "guarantee across a restart). Its window operators emit a window only once the watermark passes its end (10 "
    "minutes of wall time after the last record here), so its window count is a `stateful_map` keyed by (key, "
    "window start from the record's timestamp), emitting every new count.",
)
RERUN = ("`.venv/bin/python bench/bench_peers.py [--records N] [--systems ...] [--workloads ...] "
         "[--guarantees ...]`")


def mode(run: Any) -> str:
    """``exactly_once`` or ``at_least_once`` (Bytewax's auto-commit counts as at-least-once)."""
    return "exactly_once" if run.guarantee == "exactly_once" else "at_least_once"


def machine(peers: dict[str, tuple[str, ...]], kafka: str) -> dict[str, Any]:
    """The machine, the interpreters and the versions the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30).stderr.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        java = "none"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(), "java": java, "kafka": kafka,
            "peers": {s: list(r) for s, r in peers.items()}}


def table(runs: list[Any]) -> list[str]:
    """The markdown table: one row per run, failures in place of figures."""
    lines = ["| workload | guarantee | system | records | records/s | vs kstreams_nb | EOS / ALOS | CPU s / M records "
             "| vs kstreams_nb | peak RSS MB | vs kstreams_nb | start s | latency p50 ms | p99 ms |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in runs:
        head = f"| {r.workload} | {SHOWN.get(r.guarantee, r.guarantee)} | {LABEL[r.system]} | {r.records:,} |"
        if r.status != "ok":
            lines.append(f"{head} {r.status.replace('|', '/').splitlines()[0][:160]} |" + " |" * 9)
            continue
        speed, eos, cpu, mem = (_ratio(r.ratios.get(k)) for k in ("speed", "eos_over_alos", "cpu", "memory"))
        lines.append(f"{head} {r.records_per_s:,.0f} | {speed} | {eos} | {r.cpu_s_per_million:,.1f} | {cpu} | "
                     f"{r.peak_rss_mb:,.0f} | {mem} | {r.first_commit_s:.1f} | {_ms(r.latency_p50_ms)} | "
                     f"{_ms(r.latency_p99_ms)} |")
    return lines


def eos_target(runs: list[Any]) -> str | None:
    """The line on kstreams_nb's exactly-once records/s over its at-least-once per workload, or None without
    such a figure."""
    found = [(r.workload, r.ratios["eos_over_alos"]) for r in runs
             if r.system == "kstreams_nb" and "eos_over_alos" in r.ratios]
    if not found:
        return None
    return (f"kstreams_nb exactly-once records/s over its at-least-once (target at least {EOS_TARGET}): "
            + ", ".join(f"{w} {v:.2f} ({'met' if v >= EOS_TARGET else 'missed'})" for w, v in found) + ".")


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}×"


def write_results(out: Path, runs: list[Any], meta: dict[str, Any]) -> None:
    """Write ``out``/peers.json (``meta`` and every run), peers.md (the table with its legend and notes) and
    peers.png (records/s per workload and guarantee)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "peers.json").write_text(json.dumps({**meta, "runs": [asdict(r) for r in runs]}, indent=2) + "\n")
    m = meta["machine"]
    target = eos_target(runs)
    md = [f"# kstreams_nb and its peers on one Kafka broker ({meta['date']})", "",
          f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; Python {m['python']}; "
          f"{m['java']}; Apache Kafka {m['kafka']} (one local broker); peers: "
          + ", ".join(r[0] for r in m["peers"].values()) + ".", "",
          f"Input: {meta['partitions']} partitions; `--records {meta['records']:,}`, each system reading its share "
          "(the records column). One run each, one process, at-least-once and, where the system has it, "
          "exactly-once, commits every 100 ms. records/s: process start until the group's committed offsets reach "
          "the input's end (start-up included: `start s` is the time to the first commit). The ratios beside each "
          "peer compare it with kstreams_nb on the same workload and guarantee (a peer without exactly-once is "
          "compared with kstreams_nb at-least-once): records/s is kstreams_nb's over the peer's (above 1: "
          "kstreams_nb is faster), CPU and memory are the peer's over kstreams_nb's (above 1: kstreams_nb uses "
          "less). EOS / ALOS: an exactly-once run's records/s over the same system's at-least-once. Every output "
          "was checked; a wrong output is reported, not ranked. Latency: a second run of each system on a fresh "
          f"input produced at {meta['latency_rate']:,.0f} records/s, from the harness handing a record to its "
          "producer to the harness's consumer (`read_committed`) seeing its output, over "
          f"{_latency_window(meta)} once the system is up (empty: not measured).", "", *table(runs), "",
          *([target, ""] if target else []),
          *(f"- {note}" for note in NOTES), "",
          f"Rerun: {RERUN}.", ""]
    (out / "peers.md").write_text("\n".join(md))
    chart(out / "peers.png", runs, meta)


def _latency_window(meta: dict[str, Any]) -> str:
    alos, eos = meta["latency_seconds"], meta.get("eos_latency_seconds", meta["latency_seconds"])
    if alos == eos:
        return f"{alos:.0f} s"
    return f"{alos:.0f} s ({eos:.0f} s for exactly-once)"


def chart(path: Path, runs: list[Any], meta: dict[str, Any]) -> None:
    """A bar chart of records/s: one group per (workload, guarantee), one bar per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in runs if r.status == "ok"]
    groups = list(dict.fromkeys((r.workload, mode(r)) for r in ok))
    systems = [s for s in LABEL if any(r.system == s for r in ok)]
    fig, ax = plt.subplots(figsize=(max(10, 2 * len(groups)), 5))
    width = 0.8 / max(len(systems), 1)
    for i, system in enumerate(systems):
        rates = {(r.workload, mode(r)): r.records_per_s for r in ok if r.system == system}
        xs = [j + i * width for j, g in enumerate(groups) if g in rates]
        ax.bar(xs, [rates[g] for g in groups if g in rates], width, label=LABEL[system], color=f"C{i}")
    ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(groups))],
                  [f"{w}\n{SHOWN[g]}" for w, g in groups])
    ax.set_ylabel("records/s (higher is better)")
    m = meta["machine"]
    ax.set_title(f"One Kafka {m['kafka']} broker, {meta['partitions']} partitions, {m['cores']} cores, {meta['date']}")
    ax.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
