"""Benchmark: kstreams_nb beside its peers on one real Apache Kafka broker, three workloads, output checked.

One command runs it end to end: it starts a local broker (``kstreams_nb.testing.kafka.LocalKafka``, or uses
``--bootstrap``), builds the Java apps (``bench/java``) and the peers' virtual environments (one per peer under
``~/.cache/kstreams_nb/bench-venvs``, from PyPI, reused once built: ``bench/peers/peer_venvs.py``), produces the
input to a 6-partition topic, runs every system on every workload as its own process and its own consumer group,
checks each output, and writes ``bench/results/peers.json``, ``peers.md`` and ``peers.png``.

Input record ``i`` (``bench/kafka/kafka_workloads.py``): key ``k<i % 10000>``, a JSON value, and the Kafka
timestamp ``event_time(i)`` (10 ms apart). Workloads:
- stateless: parse the JSON, keep ``amount > 250``, add a field, produce the JSON (check: every kept id exactly
  once, well formed);
- count: count per key, produce each count as an 8-byte long (check: the last count of every key);
- window: a 10-minute tumbling window count per key in event time, produced with the key ``<key>@<window start>``
  (check: the last count of every (key, window)).

Systems, commits every 100 ms where the system has the setting: the hand-written confluent-kafka loop
(``bench/peers/confluent_loop_app.py``), Java Kafka Streams 4.4.0 (``bench/java``), kstreams_nb
(``bench/peers/kstreams_nb_app.py``), Quix Streams, Bytewax (its Kafka connector) and faust-streaming
(``bench/peers/<system>_app.py``, each run with its own environment's Python). Each system reads its own input
topic of ``--records`` × its scale (``SCALE``; Faust runs about 1-3k records/s), so that runs take comparable time.
Guarantees (``--guarantees``, both by default): every system at-least-once (Bytewax: its consumer's auto-commit);
exactly-once for those that have it (``EXACTLY_ONCE``): kstreams_nb and Java with ``exactly_once_v2``, Quix
Streams with ``processing_guarantee="exactly-once"``, the loop with a transactional producer
(``send_offsets_to_transaction`` and ``commit_transaction`` every 100 ms, a ``read_committed`` consumer). An
exactly-once run reads the same input as its at-least-once one and is checked strictly (``check_for``): no
stateless id twice, no key's (window's) count repeated or lowered. Its latency phase is shorter
(``--eos-latency-seconds``, 5 s by default against 10 s): the p50/p99 over about 2,000 samples at 500 records/s are
steady, and the full default run of both guarantees stays under 20 minutes on 2 cores (about 10 minutes
at-least-once, about 7 more exactly-once).

Figures per run: records/s from process start until the group's committed offsets reach the end of the input
(start-up included; ``start s`` is the time to the first commit), CPU seconds per million records (the process
and its children at that moment), peak RSS (the process and its children, sampled every 50 ms); then, in a second
run of the system on a fresh input produced at a fixed rate (``--latency-rate``, 500 records/s), the end-to-end
latency p50/p99: from the moment the harness hands a record to its producer to the moment the harness's consumer
sees that record's output, over ``--latency-seconds`` once the system is up. ``BENCH_PEERS_KEEP_LOGS=DIR`` keeps
each run's log (DIR/<group>).
Run: ``.venv/bin/python bench/bench_peers.py [--records N] [--systems ...] [--workloads ...] [--guarantees ...]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psutil  # type: ignore[import-untyped]
from confluent_kafka import Consumer, Producer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent / "kafka"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# bench/kafka and bench/peers are on the path only at run time: mypy sees their modules as Any
from bench_kafka import CountCheck, StatelessCheck, java_classpath, ours_unavailable
from kafka_topics import (  # type: ignore[import-not-found]
    GroupProgress,
    create_topics,
    delete_topics,
    end_offsets,
    read_until,
)
from kafka_workloads import (  # type: ignore[import-not-found]
    KEYS,
    WINDOW_MS,
    event_time,
    expected_counts,
    expected_window_counts,
    keep,
    key,
    value,
)
from peer_report import machine, mode, table, write_results  # type: ignore[import-not-found]
from peer_venvs import REQUIREMENTS, ensure_venv  # type: ignore[import-not-found]

from kstreams_nb.testing.kafka import KAFKA_VERSION, LocalKafka

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
RESULTS = HERE / "results"
SYSTEMS = ("kstreams_nb", "loop", "java", "quix", "bytewax", "faust")
WORKLOADS = ("stateless", "count", "window")
#: each system's share of --records: its input size, so that every run takes about as long
SCALE = {"kstreams_nb": 1.0, "loop": 1.0, "java": 1.0, "bytewax": 1.0, "quix": 0.5, "faust": 0.05}
#: the input's event times lie in the past: without this, time-based retention would delete it during the run
KEEP = {"retention.ms": "-1"}
#: the fewest records any system reads (a tiny --records gives every system the same input)
FLOOR = 300
GUARANTEES = ("at_least_once", "exactly_once")
#: at-least-once as each system runs it (the others: "at_least_once")
AT_LEAST_ONCE = {"bytewax": "auto-commit"}
#: the systems with exactly-once, and the guarantee argument their app takes for it
EXACTLY_ONCE = {"kstreams_nb": "exactly_once_v2", "loop": "exactly_once", "java": "exactly_once_v2",
                "quix": "exactly_once"}
JAVA_MAIN = {"stateless": "kstreams_nb.bench.StatelessJson", "count": "kstreams_nb.bench.CountPerKey",
             "window": "kstreams_nb.bench.WindowCount"}


@dataclass
class Run:
    """One system on one workload: its figures, or why there are none (``status`` other than "ok")."""

    system: str
    workload: str
    records: int
    guarantee: str = "at_least_once"
    status: str = "ok"
    seconds: float = 0.0
    records_per_s: float = 0.0
    cpu_s: float = 0.0
    cpu_s_per_million: float = 0.0
    peak_rss_mb: float = 0.0
    first_commit_s: float = 0.0
    outputs: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_samples: int = 0
    ratios: dict[str, float] = field(default_factory=dict)


class LastCountCheck(CountCheck):
    """The count or window output: the last count of every key (or ``<key>@<window start>``) equals the number
    of its input records; ``strict`` (exactly-once), besides, each key's counts rise from one output to the next
    (read in offset order: a count repeated or lowered is a replay that reached the committed output)."""

    def __init__(self, expected: dict[bytes, int], strict: bool) -> None:
        super().__init__(0)
        self.expected, self.strict, self.repeats = expected, strict, 0

    def add(self, k: bytes, v: bytes) -> None:
        previous = self.last.get(k)
        super().add(k, v)
        if previous is not None and self.last[k] <= previous:
            self.repeats += 1

    def problem(self) -> str | None:
        found: str | None = super().problem()
        if found is None and self.strict and self.repeats:
            return f"{self.repeats} outputs repeat or lower a count already output for their key"
        return found


def check_for(workload: str, n: int, guarantee: str) -> StatelessCheck | CountCheck:
    """The output check of ``workload`` over ``n`` input records. The stateless check always wants every kept id
    exactly once (a single process that is never restarted has nothing to redeliver); the count checks are
    strict under exactly-once."""
    if workload == "stateless":
        return StatelessCheck(n)
    expected = expected_counts(n) if workload == "count" else expected_window_counts(n)
    return LastCountCheck(expected, strict=guarantee == "exactly_once")


def records_for(system: str, records: int) -> int:
    return max(min(records, FLOOR), int(records * SCALE[system]))


def produce_input(bootstrap: str, topic: str, n: int) -> None:
    """Write records 0..n-1 of kafka_workloads to ``topic``, each with its event time as the Kafka timestamp, in
    order on every partition (idempotence: a batch retried while the new topic's leader is not yet known is not
    overtaken by the next ones, which would make earlier event times late for the window workload)."""
    failures: list[Any] = []
    producer = Producer({
        "bootstrap.servers": bootstrap, "linger.ms": 20, "delivery.report.only.error": True, "enable.idempotence": True,
        "on_delivery": lambda err, msg: failures.append(err) if err is not None else None,
    })  # fmt: skip
    dumps = orjson.dumps
    for i in range(n):
        while True:
            try:
                producer.produce(topic, dumps(value(i)), key(i), timestamp=event_time(i))
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) or failures:
        raise RuntimeError(f"producing the input failed: {len(failures)} errors, first {failures[:1]}")


@dataclass
class Setup:
    """What the runs share: the broker, the input topic per record count with its end offsets, the Java class
    path and each peer's Python (or why a system cannot run), the working directory."""

    bootstrap: str
    partitions: int
    inputs: dict[int, tuple[str, list[int]]]
    work_root: Path
    rate: float = 500.0
    latency_s: float = 10.0
    eos_latency_s: float = 5.0
    classpath: str | None = None
    pythons: dict[str, Path] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def command(setup: Setup, system: str, workload: str, guarantee: str, topics: tuple[str, str], group: str,
            work_dir: Path) -> list[str]:
    """The command line running ``system`` on ``workload`` under ``guarantee`` from ``topics`` (input, output)
    as the group ``group``."""
    bootstrap, (source, output) = setup.bootstrap, topics
    argument = EXACTLY_ONCE[system] if guarantee == "exactly_once" else "at_least_once"
    if system == "loop":
        return [sys.executable, str(PEERS / "confluent_loop_app.py"), bootstrap, group, workload, source, output,
                f"{group}-changelog", argument]
    if system == "java":
        assert setup.classpath is not None
        extra = {"stateless": ["250", "750"], "count": [], "window": [str(WINDOW_MS)]}[workload]
        return ["java", "-cp", setup.classpath, JAVA_MAIN[workload], bootstrap, group, argument, source,
                output, str(work_dir), *extra]
    if system == "kstreams_nb":
        return [sys.executable, str(PEERS / "kstreams_nb_app.py"), bootstrap, group, argument, workload, source,
                output, str(work_dir)]
    args = [bootstrap, group, workload, source, output] + ([] if system == "bytewax" else [str(work_dir)])
    if system == "faust":
        args.append(str(setup.partitions))
    if system == "quix":
        args.append(argument)
    return [str(setup.pythons[system]), str(PEERS / f"{system}_app.py"), *args]


def measure(cmd: list[str], progress: GroupProgress, end: list[int], log: Path,
            timeout: float) -> tuple[float, float, float, float]:
    """Run ``cmd`` until ``progress`` reaches ``end``; return (seconds, CPU seconds, peak RSS in bytes, seconds to
    the first commit), CPU and RSS summed over the process and its children."""
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        process, first, peak = psutil.Process(proc.pid), 0.0, 0
        while True:
            peak = max(peak, _tree(process, lambda p: p.memory_info().rss))
            committed = progress.committed()
            now = time.perf_counter() - started
            if not first and any(committed):
                first = now
            if all(c >= e for c, e in zip(committed, end, strict=True)):
                cpu = _tree(process, lambda p: sum(p.cpu_times()[:2]))
                return now, cpu, peak, first
            if proc.poll() is not None:
                raise RuntimeError(f"exited with {proc.returncode}: {_tail(log)}")
            if now > timeout:
                raise RuntimeError(f"timed out after {timeout:.0f} s at {sum(committed)} of {sum(end)}: {_tail(log)}")
            time.sleep(0.05)
    finally:
        _stop(proc)
        if os.environ.get("BENCH_PEERS_KEEP_LOGS"):
            shutil.copy(log, Path(os.environ["BENCH_PEERS_KEEP_LOGS"]) / log.parent.name)


def _tree(process: psutil.Process, figure: Callable[[psutil.Process], float]) -> Any:
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += figure(p)
        except psutil.Error:  # a child that just ended
            pass
    return total


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(log: Path, lines: int = 12) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class OutputTimes:
    """Reads ``topic`` from its start in a thread, noting when each output arrives (wall clock) by the number of
    the input record it answers: the id in the value (stateless), else the key ``k<i>`` (count: the latency input
    has fewer than KEYS records, so each key is one record's) with any ``@<window>`` cut; committed records only
    (``read_committed``: an exactly-once output is seen once its transaction commits)."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, workload: str) -> None:
        self.arrived: dict[int, float] = {}
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-reader",
                                   "enable.auto.commit": False, "isolation.level": "read_committed"})
        self._consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        self._workload, self._stop = workload, threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            for msg in self._consumer.consume(1000, 0.05):
                if msg.error() is not None:
                    continue
                now = time.time()
                if self._workload == "stateless":
                    i = orjson.loads(msg.value())["id"]
                else:
                    i = int(msg.key()[1:].split(b"@")[0])
                self.arrived.setdefault(i, now)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._consumer.close()


def latency(setup: Setup, system: str, workload: str, guarantee: str, run: Run) -> None:
    """End-to-end latency at a fixed input rate: run ``system`` on a fresh input produced at ``setup.rate``
    records/s (records 0, 1, ... with their event times), note when each record was sent and when its output
    arrived; once the first output arrives (the system is up), go on for ``setup.latency_s`` seconds
    (``setup.eos_latency_s`` under exactly-once) and take the latencies of the records sent after the first of
    those seconds (the start-up backlog is left out)."""
    group = f"peers-{system}-{workload}-{guarantee}-lat-{uuid.uuid4().hex[:8]}".replace("_", "-")
    source, output, partitions = f"{group}-in", f"{group}-out", setup.partitions
    create_topics(setup.bootstrap, [source, output], partitions, KEEP)
    if system == "loop" and workload != "stateless":
        create_topics(setup.bootstrap, [f"{group}-changelog"], partitions, {"cleanup.policy": "compact"})
    work_dir = setup.work_root / group
    work_dir.mkdir()
    times = OutputTimes(setup.bootstrap, output, partitions, workload)
    producer = Producer({"bootstrap.servers": setup.bootstrap, "linger.ms": 0, "enable.idempotence": True})
    log = work_dir / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command(setup, system, workload, guarantee, (source, output), group, work_dir),
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    sent: list[float] = []
    seconds = setup.eos_latency_s if guarantee == "exactly_once" else setup.latency_s
    try:
        started, up, limit = time.time(), 0.0, min(KEYS, int(setup.rate * 60))
        while len(sent) < limit:
            wait = started + len(sent) / setup.rate - time.time()
            if wait > 0:
                time.sleep(min(wait, 0.01))
                continue
            i = len(sent)
            sent.append(time.time())
            producer.produce(source, orjson.dumps(value(i)), key(i), timestamp=event_time(i))
            producer.poll(0)
            if not up and times.arrived:
                up = time.time()
            if up and time.time() > up + seconds:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"exited with {proc.returncode}: {_tail(log)}")
        producer.flush(30)
        # the last outputs' way through (commit intervals are 100 ms): until every sent record that has an output
        # has it, for at most 2 s
        awaited = [i for i in range(len(sent)) if workload != "stateless" or keep(value(i))]
        deadline = time.time() + 2.0
        while time.time() < deadline and not all(i in times.arrived for i in awaited):
            time.sleep(0.05)
    finally:
        _stop(proc)
        times.close()
        delete_topics(setup.bootstrap, [group, f"changelog__{group}", f"repartition__{group}"])
    if not up:
        raise RuntimeError(f"no output within {limit / setup.rate:.0f} s at {setup.rate:.0f} records/s")
    measured = sorted((times.arrived[i] - at) * 1000 for i, at in enumerate(sent) if at >= up + 1.0
                      and i in times.arrived)
    if len(measured) < 10:
        raise RuntimeError(f"only {len(measured)} latency samples")
    run.latency_samples = len(measured)
    run.latency_p50_ms = measured[len(measured) // 2]
    run.latency_p99_ms = measured[min(len(measured) - 1, int(len(measured) * 0.99))]


def run_one(setup: Setup, system: str, workload: str, guarantee: str, records: int) -> Run:
    """Run one system on one workload under ``guarantee`` in a fresh output topic and group; check its output;
    delete its topics."""
    run = Run(system, workload, records, guarantee if guarantee == "exactly_once" else AT_LEAST_ONCE.get(system,
                                                                                                      guarantee))
    group = f"peers-{system}-{workload}-{guarantee}-{uuid.uuid4().hex[:8]}".replace("_", "-")
    output, partitions = f"{group}-out", setup.partitions
    source, end = setup.inputs[records]
    create_topics(setup.bootstrap, [output], partitions, KEEP)
    if system == "loop" and workload != "stateless":
        create_topics(setup.bootstrap, [f"{group}-changelog"], partitions, {"cleanup.policy": "compact"})
    work_dir = setup.work_root / group
    work_dir.mkdir()
    progress = GroupProgress(setup.bootstrap, group, source, partitions)
    try:
        cmd = command(setup, system, workload, guarantee, (source, output), group, work_dir)
        run.seconds, run.cpu_s, peak, run.first_commit_s = measure(cmd, progress, end, work_dir / "run.log",
                                                                   timeout=90 + records / 500)
        run.records_per_s, run.cpu_s_per_million = records / run.seconds, run.cpu_s / records * 1e6
        run.peak_rss_mb = peak / 2**20
        check = check_for(workload, records, guarantee)
        read_until(setup.bootstrap, output, partitions, check.add, check.done)
        run.outputs = check.records
        problem = check.problem()
        if problem is not None:
            run.status = f"WRONG: {problem}"
        elif (setup.eos_latency_s if guarantee == "exactly_once" else setup.latency_s) > 0:
            try:
                latency(setup, system, workload, guarantee, run)
            except RuntimeError as e:
                run.status = f"latency failed: {e}"
    except RuntimeError as e:
        run.status = f"failed: {e}"
    finally:
        progress.close()
        delete_topics(setup.bootstrap, [group, f"changelog__{group}", f"repartition__{group}"])
    return run


def add_ratios(runs: list[Run]) -> None:
    """Beside each peer's run: kstreams_nb's records/s over its (>1: kstreams_nb faster), and its CPU s per million
    records and peak RSS over kstreams_nb's (>1: kstreams_nb uses less), same workload and guarantee (a peer's
    auto-commit against kstreams_nb at-least-once). Beside each exactly-once run: its records/s over the same
    system's at-least-once (``eos_over_alos``)."""
    ok = {(r.system, r.workload, mode(r)): r for r in runs if r.status == "ok"}
    for (system, workload, guarantee), r in ok.items():
        base = ok.get(("kstreams_nb", workload, guarantee))
        if base is not None and system != "kstreams_nb":
            r.ratios.update(speed=base.records_per_s / r.records_per_s,
                            cpu=r.cpu_s_per_million / base.cpu_s_per_million, memory=r.peak_rss_mb / base.peak_rss_mb)
        alos = ok.get((system, workload, "at_least_once"))
        if guarantee == "exactly_once" and alos is not None:
            r.ratios["eos_over_alos"] = r.records_per_s / alos.records_per_s


def prepare(args: argparse.Namespace, bootstrap: str, work_root: Path) -> Setup:
    """Build what the chosen systems need and produce one input topic per record count."""
    setup = Setup(bootstrap, args.partitions, {}, work_root, args.latency_rate, args.latency_seconds,
                  args.eos_latency_seconds)
    reason = ours_unavailable()
    if reason is not None:
        setup.unavailable["kstreams_nb"] = reason
    if "java" in args.systems:
        try:
            setup.classpath = java_classpath()
        except Exception as e:  # any build failure: report it in the table, run the others
            setup.unavailable["java"] = f"unavailable: {e}"
    for system in (s for s in args.systems if s in REQUIREMENTS):
        try:
            setup.pythons[system] = ensure_venv(system, work_root / f"pip-{system}.log")
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            setup.unavailable[system] = f"unavailable: {e}"
    for n in sorted({records_for(s, args.records) for s in args.systems}):
        topic = f"peers-input-{n}-{uuid.uuid4().hex[:8]}"
        create_topics(bootstrap, [topic], args.partitions, KEEP)
        started = time.perf_counter()
        produce_input(bootstrap, topic, n)
        setup.inputs[n] = (topic, end_offsets(bootstrap, topic, args.partitions))
        print(f"{n:,} input records on {args.partitions} partitions in {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
    return setup


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run, print the table, write the results; return records/s per ``"<system> <workload> <guarantee>"``
    (``at_least_once`` or ``exactly_once``) that ran and checked out."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--bootstrap", help="a running broker (default: start a LocalKafka for this run)")
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--guarantees", nargs="+", choices=GUARANTEES, default=list(GUARANTEES),
                        help="exactly-once runs only the systems that have it")
    parser.add_argument("--latency-rate", type=float, default=500.0, help="records/s of the latency input")
    parser.add_argument("--latency-seconds", type=float, default=10.0,
                        help="how long to measure latency once the system is up (0: no latency figures)")
    parser.add_argument("--eos-latency-seconds", type=float, default=5.0,
                        help="the same for exactly-once runs (default 5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where peers.* go (default {RESULTS})")
    args = parser.parse_args(argv)
    broker = None if args.bootstrap else LocalKafka(heap="1g").start()
    bootstrap = args.bootstrap or broker.bootstrap_servers  # type: ignore[union-attr]
    work_root = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    started = time.perf_counter()
    runs: list[Run] = []
    try:
        setup = prepare(args, bootstrap, work_root)
        for workload in args.workloads:
            for guarantee in (g for g in GUARANTEES if g in args.guarantees):
                for system in (s for s in SYSTEMS if s in args.systems):
                    if guarantee == "exactly_once" and system not in EXACTLY_ONCE:
                        continue
                    n = records_for(system, args.records)
                    reason = setup.unavailable.get(system)
                    runs.append(Run(system, workload, n, guarantee, status=reason) if reason
                                else run_one(setup, system, workload, guarantee, n))
                    done = f"{runs[-1].records_per_s:,.0f} rec/s" if runs[-1].status == "ok" else runs[-1].status
                    print(f"  {system} {workload} {guarantee} ({n:,} records): {done}", file=sys.stderr, flush=True)
        delete_topics(bootstrap, [topic for topic, _ in setup.inputs.values()])
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
        if broker is not None:
            broker.stop()
    add_ratios(runs)
    meta = {"date": datetime.date.today().isoformat(), "records": args.records, "partitions": args.partitions,
            "total_s": round(time.perf_counter() - started, 1), "latency_rate": args.latency_rate,
            "latency_seconds": args.latency_seconds, "eos_latency_seconds": args.eos_latency_seconds,
            "guarantees": [g for g in GUARANTEES if g in args.guarantees],
            "machine": machine(REQUIREMENTS, KAFKA_VERSION)}
    print("\n".join(table(runs)))
    write_results(args.out, runs, meta)
    print(f"wrote {args.out / 'peers.json'}, peers.md, peers.png in {meta['total_s']:.0f} s")
    return {f"{r.system} {r.workload} {mode(r)}": r.records_per_s for r in runs if r.status == "ok"}


if __name__ == "__main__":
    main()
