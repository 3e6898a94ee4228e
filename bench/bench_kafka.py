"""Benchmark: kstreams_nb on a real Apache Kafka broker, beside a hand-written loop and Java Kafka Streams.

One run on one local broker (``kstreams_nb.testing.kafka.LocalKafka``, or ``--bootstrap`` for a running one):
N JSON records (``bench/kafka/kafka_workloads.py``) are produced once to a ``--partitions`` topic, then each
system reads them with one thread, as its own consumer group, on two workloads:
- stateless: parse the JSON, keep ``amount > 250``, add a field, serialize, produce;
- count: count per key, produce each count as an 8-byte long, with a changelog topic.

Systems: the hand-written confluent-kafka consume → transform → produce loop (``bench/kafka/loop_app.py``,
at-least-once: flush then commit every 100 ms; its count writes a changelog too), Java Kafka Streams (apps in
``bench/java``, at-least-once and exactly_once_v2) and kstreams_nb's KafkaStreams (``bench/kafka/ours_app.py``,
both guarantees). All commit every 100 ms; Java keeps its default record cache (10 MB), so its count emits fewer
updates. Each runs as its own process. records/s covers process start to the moment the group's committed
offsets reach the end of the input (everything processed, produced and committed); CPU s is that process's
CPU time at that moment. Then the output is read (read_committed) and checked: every expected id exactly once
(stateless), the final count of every key (count); a run with a wrong output is reported, not ranked.
Targets: kstreams_nb at-least-once >= 0.7 of the loop; kstreams_nb exactly-once >= 0.8 of its at-least-once.
``--profile DIR`` runs kstreams_nb's stream thread under cProfile and prints where its time goes.
Run: ``.venv/bin/python bench/bench_kafka.py [--records N] [--write] [--profile DIR]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pstats
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent / "kafka"))

from kafka_topics import GroupProgress, create_topics, delete_topics, end_offsets, produce_input, read_until
from kafka_workloads import BIG, THRESHOLD, WORKLOADS, expected_counts, expected_ids, key

from kstreams_nb.testing.kafka import KAFKA_VERSION, LocalKafka

HERE = Path(__file__).resolve().parent
JAVA = HERE / "java"
ORACLE_BUILD = HERE.parent / "tests" / "java" / "run_oracle.py"
RESULTS = HERE / "results" / "bench_kafka.json"
ALOS, EOS = "at_least_once", "exactly_once_v2"
SYSTEMS = (("loop", ALOS), ("java", ALOS), ("java", EOS), ("kstreams_nb", ALOS), ("kstreams_nb", EOS))
JAVA_MAIN = {"stateless": "kstreams_nb.bench.StatelessJson", "count": "kstreams_nb.bench.CountPerKey"}
#: (label, ratio name in ratios() with {workload} to fill, lowest acceptable value)
TARGETS = (("kstreams_nb ALOS / loop", f"kstreams_nb {ALOS} {{workload}} / loop", 0.7),
           ("kstreams_nb EOS / ALOS", f"kstreams_nb {EOS} {{workload}} / {ALOS}", 0.8))


@dataclass
class Run:
    """One system on one workload: its figures, or why there are none (``status`` other than "ok")."""

    system: str
    guarantee: str
    workload: str
    status: str = "ok"
    seconds: float = 0.0
    records_per_s: float = 0.0
    cpu_s: float = 0.0
    cpu_us_per_record: float = 0.0
    first_commit_s: float = 0.0
    outputs: int = 0


def java_classpath() -> str:
    """Build bench/java with tests/java/run_oracle.py's steps (Maven class path, javac); return ``java -cp``'s
    argument. The build functions are loaded from a private copy of that module with its paths pointed here."""
    spec = importlib.util.spec_from_file_location("_bench_java_build", ORACLE_BUILD)
    assert spec is not None and spec.loader is not None
    build: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    paths = {"HERE": JAVA, "TARGET": JAVA / "target", "CLASSES": JAVA / "target" / "classes",
             "CLASSPATH_FILE": JAVA / "target" / "classpath.txt", "SOURCES": JAVA / "src" / "main" / "java"}
    for name, path in paths.items():
        if not hasattr(build, name):
            raise RuntimeError(f"{ORACLE_BUILD} has no {name}: update java_classpath() in {__file__}")
        setattr(build, name, path)
    missing = build.missing_tools()
    if missing:
        raise build.OracleUnavailable(f"Java Kafka Streams needs {', '.join(missing)} on PATH")
    pinned = re.search(r"<kafka.version>(.+?)</kafka.version>", (JAVA / "pom.xml").read_text())
    if pinned is None or pinned.group(1) != KAFKA_VERSION:
        raise RuntimeError(f"bench/java/pom.xml must use Kafka {KAFKA_VERSION} (kstreams_nb.testing.kafka)")
    classpath = build._classpath()
    build._compile(classpath)
    return f"{build.CLASSES}{os.pathsep}{classpath}"


def ours_unavailable() -> str | None:
    """Why kstreams_nb cannot run on a real broker here, or None."""
    if importlib.util.find_spec("kstreams_nb.clients.confluent") is None:
        return "unavailable: kstreams_nb.clients.confluent does not exist yet"
    return None


class StatelessCheck:
    """The stateless output: every kept id exactly once, each with its key and the added field."""

    def __init__(self, n: int) -> None:
        self.expected = expected_ids(n)
        self.seen: set[int] = set()
        self.records = self.bad = 0

    def add(self, k: bytes, v: bytes) -> None:
        value = orjson.loads(v)
        self.records += 1
        self.seen.add(value["id"])
        if k != key(value["id"]) or value["big"] != (value["amount"] > BIG) or value["amount"] <= THRESHOLD:
            self.bad += 1

    def done(self) -> bool:
        return len(self.seen) == len(self.expected)

    def problem(self) -> str | None:
        if self.bad:
            return f"{self.bad} malformed outputs"
        if self.seen != self.expected:
            return f"{len(self.expected - self.seen)} of {len(self.expected)} ids missing"
        if self.records != len(self.expected):
            return f"{self.records - len(self.expected)} duplicate outputs"
        return None


class CountCheck:
    """The count output: the last count of every key equals the number of its input records."""

    def __init__(self, n: int) -> None:
        self.expected = expected_counts(n)
        self.last: dict[bytes, int] = {}
        self.records = 0

    def add(self, k: bytes, v: bytes) -> None:
        self.records += 1
        self.last[k] = int.from_bytes(v, "big", signed=True)

    def done(self) -> bool:
        return self.last == self.expected

    def problem(self) -> str | None:
        if self.last != self.expected:
            wrong = sum(1 for k, c in self.expected.items() if self.last.get(k) != c)
            return f"{wrong} of {len(self.expected)} keys with a wrong final count"
        return None


def command(system: str, guarantee: str, workload: str, bootstrap: str, topics: tuple[str, str], group: str,
            work_dir: Path, classpath: str | None) -> list[str]:
    """The command line running ``system`` on ``workload`` from ``topics`` (input, output) as the group ``group``."""
    source, sink = topics
    if system == "loop":
        return [sys.executable, str(HERE / "kafka" / "loop_app.py"), bootstrap, group, workload, source, sink,
                f"{group}-changelog"]
    if system == "java":
        assert classpath is not None
        extra = [str(THRESHOLD), str(BIG)] if workload == "stateless" else []
        return ["java", "-cp", classpath, JAVA_MAIN[workload], bootstrap, group, guarantee, source, sink,
                str(work_dir), *extra]
    return [sys.executable, str(HERE / "kafka" / "ours_app.py"), bootstrap, group, guarantee, workload, source,
            sink, str(work_dir)]


def measure(cmd: list[str], env: dict[str, str], progress: GroupProgress, end: list[int], log: Path,
            timeout: float) -> tuple[float, float, float]:
    """Run ``cmd`` until ``progress`` reaches ``end``; return (seconds, CPU seconds, seconds to the first commit)."""
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        process, first = psutil.Process(proc.pid), 0.0
        while True:
            committed = progress.committed()
            now = time.perf_counter() - started
            if not first and any(committed):
                first = now
            if all(c >= e for c, e in zip(committed, end, strict=True)):
                cpu = process.cpu_times()
                return now, cpu.user + cpu.system, first
            if proc.poll() is not None:
                raise RuntimeError(f"exited with {proc.returncode}: {_tail(log)}")
            if now > timeout:
                raise RuntimeError(f"timed out after {timeout:.0f} s at {sum(committed)} of {sum(end)}")
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Setup:
    """What every run shares: the broker, the input topic and its end offsets, the Java class path, directories."""

    bootstrap: str
    source: str
    records: int
    end: list[int]
    classpath: str | None
    work_root: Path
    profile_dir: Path | None = None


def run_one(setup: Setup, system: str, guarantee: str, workload: str) -> Run:
    """Run one system on one workload in fresh topics and group; check its output; delete its topics."""
    run, bootstrap, n = Run(system, guarantee, workload), setup.bootstrap, setup.records
    group = f"bench-{system}-{guarantee}-{workload}-{uuid.uuid4().hex[:8]}".replace("_", "-")
    output, partitions = f"{group}-out", len(setup.end)
    create_topics(bootstrap, [output], partitions)
    if system == "loop" and workload == "count":
        create_topics(bootstrap, [f"{group}-changelog"], partitions, {"cleanup.policy": "compact"})
    work_dir = setup.work_root / group
    work_dir.mkdir()
    env = dict(os.environ)
    if setup.profile_dir is not None and system == "kstreams_nb":
        env["BENCH_KAFKA_PROFILE"] = str(setup.profile_dir / f"{system}-{guarantee}-{workload}.prof")
    progress = GroupProgress(bootstrap, group, setup.source, partitions)
    try:
        cmd = command(system, guarantee, workload, bootstrap, (setup.source, output), group, work_dir,
                      setup.classpath)
        run.seconds, run.cpu_s, run.first_commit_s = measure(cmd, env, progress, setup.end, work_dir / "run.log",
                                                               timeout=60 + n / 2_000)
        run.records_per_s, run.cpu_us_per_record = n / run.seconds, run.cpu_s / n * 1e6
        check = StatelessCheck(n) if workload == "stateless" else CountCheck(n)
        read_until(bootstrap, output, partitions, check.add, check.done)
        run.outputs = check.records
        problem = check.problem()
        if problem is not None:
            run.status = f"WRONG: {problem}"
    except RuntimeError as e:
        run.status = f"failed: {e}"
    finally:
        progress.close()
        delete_topics(bootstrap, [group])
    return run


def ratios(runs: list[Run]) -> dict[str, float]:
    """Each ok run's records/s against the loop's (same workload) and, for exactly-once, against the same
    system's at-least-once: ``{"<system> <guarantee> <workload> / loop": r, "... / at_least_once": r}``."""
    rate = {(r.system, r.guarantee, r.workload): r.records_per_s for r in runs if r.status == "ok"}
    out: dict[str, float] = {}
    for (system, guarantee, workload), value in rate.items():
        loop = rate.get(("loop", ALOS, workload))
        if loop and system != "loop":
            out[f"{system} {guarantee} {workload} / loop"] = value / loop
        alos = rate.get((system, ALOS, workload))
        if guarantee == EOS and alos:
            out[f"{system} {guarantee} {workload} / {ALOS}"] = value / alos
    return out


def report(runs: list[Run], found: dict[str, float]) -> None:
    print(f"{'system':<12} {'guarantee':<16} {'workload':<10} {'rec/s':>10} {'CPU s':>7} {'CPU µs/rec':>10} "
          f"{'start s':>7} {'outputs':>9} {'vs loop':>7} {'EOS/ALOS':>8}")
    for r in runs:
        label = f"{r.system:<12} {r.guarantee:<16} {r.workload:<10}"
        if r.status != "ok":
            print(f"{label} {r.status}")
            continue
        vs_loop = found.get(f"{r.system} {r.guarantee} {r.workload} / loop")
        eos = found.get(f"{r.system} {r.guarantee} {r.workload} / {ALOS}")
        print(f"{label} {r.records_per_s:>10,.0f} {r.cpu_s:>7.1f} {r.cpu_us_per_record:>10.1f} "
              f"{r.first_commit_s:>7.1f} {r.outputs:>9,} {_ratio(vs_loop):>7} {_ratio(eos):>8}")
    for workload in WORKLOADS:
        for name, ratio_name, target in TARGETS:
            got = found.get(ratio_name.format(workload=workload))
            verdict = "no figure" if got is None else f"{got:.2f} {'met' if got >= target else 'MISSED'}"
            print(f"target {name} ({workload}) >= {target}: {verdict}")


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print the table; return records/s per ``"<system> <guarantee> <workload>"`` that ran and checked out."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--bootstrap", help="a running broker (default: start a LocalKafka for this run)")
    parser.add_argument("--systems", nargs="+", choices=sorted({s for s, _ in SYSTEMS}),
                        default=sorted({s for s, _ in SYSTEMS}))
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--write", action="store_true", help=f"write the figures to {RESULTS}")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="profile kstreams_nb's stream thread (slower); write DIR/<run>.prof, print its top")
    args = parser.parse_args(argv)
    broker = None if args.bootstrap else LocalKafka(heap="1g").start()
    bootstrap = args.bootstrap or broker.bootstrap_servers  # type: ignore[union-attr]
    work_root = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    try:
        runs = _run_all(args, bootstrap, work_root)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
        if broker is not None:
            broker.stop()
    found = ratios(runs)
    report(runs, found)
    if args.profile is not None:
        for path in sorted(args.profile.glob("*.prof")):
            print(f"\n{path.stem}: its stream thread under cProfile (which slows the figures above)")
            pstats.Stats(str(path), stream=sys.stdout).sort_stats("tottime").print_stats(15)
    if args.write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps({"records": args.records, "partitions": args.partitions, "kafka": KAFKA_VERSION,
                                       "runs": [asdict(r) for r in runs], "ratios": found}, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    return {f"{r.system} {r.guarantee} {r.workload}": r.records_per_s for r in runs if r.status == "ok"}


def _run_all(args: argparse.Namespace, bootstrap: str, work_root: Path) -> list[Run]:
    input_topic = f"bench-input-{uuid.uuid4().hex[:8]}"
    create_topics(bootstrap, [input_topic], args.partitions)
    started = time.perf_counter()
    produce_input(bootstrap, input_topic, args.records)
    end = end_offsets(bootstrap, input_topic, args.partitions)
    print(f"{args.records:,} input records on {args.partitions} partitions in {time.perf_counter() - started:.1f} s "
          f"(Kafka {KAFKA_VERSION} at {bootstrap})")
    setup = Setup(bootstrap, input_topic, args.records, end, None, work_root, args.profile)
    unavailable = {"kstreams_nb": ours_unavailable()}
    if "java" in args.systems:
        try:
            setup.classpath = java_classpath()
        except Exception as e:  # any build failure: report it in the table, run the others
            unavailable["java"] = f"unavailable: {e}"
    runs: list[Run] = []
    for workload in args.workloads:
        for system, guarantee in SYSTEMS:
            if system not in args.systems:
                continue
            reason = unavailable.get(system)
            if reason is not None:
                runs.append(Run(system, guarantee, workload, status=reason))
                continue
            runs.append(run_one(setup, system, guarantee, workload))
            _progress(runs[-1])
    delete_topics(bootstrap, [input_topic])
    return runs


def _progress(run: Run) -> None:
    done = f"{run.records_per_s:,.0f} rec/s" if run.status == "ok" else run.status
    print(f"  {run.system} {run.guarantee} {run.workload}: {done}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
