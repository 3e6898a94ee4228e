"""``kstreams-nb run`` and ``kstreams-nb jobs list|status|stop|logs``.

``run module:attr --config app.properties [--instances N] [--name NAME] [--detach]`` starts the topology as a
process job (N processes sharing its application.id); without ``--detach`` it stays in the foreground, prints
the job's log lines, and stops the job gracefully on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_job_commands", "run_jobs", "run_run"]


def add_job_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a topology (module:attr) as a long-running job")
    run.add_argument("ref", help="module:attr or path/to/file.py:attr: a Topology, StreamsBuilder, notebook builder, "
                                 "or a function returning one")
    run.add_argument("--config", "-c", required=True, help="a .properties file (${VAR} reads the environment)")
    run.add_argument("--instances", "-n", type=int, default=1, help="processes sharing the application.id")
    run.add_argument("--name", help="the job's name (default: the application.id)")
    run.add_argument("--detach", "-d", action="store_true", help="start the job and return")
    run.add_argument("--replace", action="store_true", help="stop a running job of the same name first")
    jobs = sub.add_parser("jobs", help="list, inspect and stop jobs")
    actions = jobs.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every job of the registry, with its state")
    for action, text in (("status", "state, metrics and recent errors"), ("stop", "stop gracefully"),
                         ("logs", "the end of its log")):
        p = actions.add_parser(action, help=f"a job's {text}" if action != "stop" else text)
        p.add_argument("name")
        if action == "stop":
            p.add_argument("--timeout", type=float, default=None,
                           help="seconds before SIGKILL (default: the job's close timeout + 10)")
        if action == "logs":
            p.add_argument("-n", "--lines", type=int, default=50)


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class _Follow:
    """New lines of a job's log files since the last call (as ``tail -f`` follows them: by byte offset, starting
    again at 0 when a file was rotated)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.offsets: dict[Path, int] = {}

    def lines(self) -> list[str]:
        out: list[str] = []
        for path in sorted(self.directory.glob("job*.log")):
            try:
                size = path.stat().st_size
                start = self.offsets.get(path, 0)
                if size < start:  # rotated: a new file under the same name
                    start = 0
                with path.open("rb") as f:
                    f.seek(start)
                    data = f.read()
            except OSError:
                continue
            complete = data[: data.rfind(b"\n") + 1]
            self.offsets[path] = start + len(complete)
            out.extend(complete.decode(errors="replace").splitlines())
        return out


def run_run(args: argparse.Namespace) -> int:
    from kstreams_nb.errors import KStreamsError
    from kstreams_nb.jobs import deploy
    from kstreams_nb.jobs._properties import read_properties

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # before deploy: a stop while it starts stops the job after
        signal.signal(sig, lambda *_: stop.set())
    try:
        config = read_properties(args.config)
        job = deploy(args.ref, config, name=args.name, mode="process", instances=args.instances,
                     replace=args.replace)
    except KStreamsError as e:
        print(f"kstreams-nb run: {e}", file=sys.stderr)
        return 1
    print(f"job {job.name} started: {args.instances} process(es), pids {', '.join(map(str, job.pids))}")
    print(f"log: {job._record.log}", flush=True)
    if args.detach:
        return 0
    follow = _Follow(Path(job._record.log).parent)
    while not stop.wait(1.0) and not job.state.done:
        for line in follow.lines():
            print(line, flush=True)
    if not job.state.done:
        print(f"stopping job {job.name} ...", flush=True)
        job.stop()
    for line in follow.lines():
        print(line)
    state = job.state
    print(f"job {job.name}: {state.name}")
    return 0 if state.name == "STOPPED" else 1


def run_jobs(args: argparse.Namespace) -> int:
    from kstreams_nb.errors import JobError
    from kstreams_nb.jobs import Registry, attach, list_jobs

    try:
        if args.action == "list":
            registry = Registry()
            jobs = list_jobs(registry=registry)
            for problem in registry.problems:
                print(f"warning: {problem}", file=sys.stderr)
            if not jobs:
                print(f"no jobs in {registry.root}")
                return 0
            rows = [(j.name, j.mode, j.state.name, j.application_id, ",".join(map(str, j.pids)),
                     time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(j._record.started_at))) for j in jobs]
            print(_table(rows, ["NAME", "MODE", "STATE", "APPLICATION.ID", "PIDS", "STARTED"]))
            return 0
        job = attach(args.name)
        if args.action == "stop":
            if job.state.done:
                print(f"job {job.name} is not running ({job.state.name})")
                return 0
            clean = job.stop(args.timeout)
            print(f"job {job.name}: {job.state.name}" + ("" if clean else " (not a clean close)"))
            return 0 if clean else 1
        if args.action == "logs":
            print("\n".join(job.logs(args.lines)))
            return 0
        return _status(job)
    except JobError as e:
        print(f"kstreams-nb jobs {args.action}: {e}", file=sys.stderr)
        return 1


def _status(job: Any) -> int:
    snapshot = job.snapshot()
    print(f"job {job.name}  state {job.state.name}  mode {job.mode}  application.id {job.application_id}")
    print(f"log {job._record.log}")
    if job.mode == "process":
        print(_table([(pid, state) for pid, state in job.instances().items()], ["PID", "STATE"]))
    tasks = sorted(snapshot.records_per_s_by_task.items())
    if tasks:
        print(_table([(t, f"{r:.1f}") for t, r in tasks], ["TASK", "RECORDS/S"]))
    if snapshot.lag:
        print(_table([(p, snapshot.committed.get(p, ""), lag) for p, lag in sorted(snapshot.lag.items())],
                     ["PARTITION", "COMMITTED", "LAG"]))
    for task, (done, total) in sorted(snapshot.restoring.items()):
        print(f"restoring {task}: {done}/{total}")
    for line in snapshot.errors:
        print(f"error: {line}")
    return 0
