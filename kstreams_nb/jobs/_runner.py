"""The process a detached job runs in: ``python -m kstreams_nb.jobs --job-id ID --home HOME --instance N``.

It reads its payload from stdin (the deploying process writes it into a pipe and closes it: the config, secrets
included, never touches the disk), logs to a rotating file in the job's directory, starts a KafkaStreams, tells
the deploying process ``started`` or ``failed <message>`` on stdout (then stdout is closed), and rewrites its
status file about once a second until SIGTERM or SIGINT, when it closes gracefully (commit, then close) and
writes its final state. Exit code 0 after a clean close, 1 when the application failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kstreams_nb.jobs._registry import Registry

__all__ = ["HANDSHAKE", "main", "status_of"]

log = logging.getLogger(__name__)

#: the first word of the line the job writes to its stdout once KafkaStreams.start() returned or failed
HANDSHAKE = "kstreams-nb-job"
#: seconds between two status files
STATUS_EVERY = 1.0
_LOG_BYTES = 10 * 1024 * 1024
_LOG_BACKUPS = 3


def log_path(job_dir: Path, instance: int) -> Path:
    """The log file of instance ``instance`` (``job.log``, ``job-1.log``, ...)."""
    return job_dir / ("job.log" if instance == 0 else f"job-{instance}.log")


def status_of(streams: Any, errors: Sequence[str], stopping: bool) -> dict[str, Any]:
    """What the status file holds: state, pid, time, and the metrics snapshot (JSON text)."""
    from kstreams_nb.jobs._snapshot import snapshot_of, to_json

    return {
        "state": streams.state().name,
        "pid": os.getpid(),
        "process_id": str(streams.process_id),
        "updated": time.time(),
        "stopping": stopping,
        "snapshot": to_json(snapshot_of(streams, list(errors))),
    }


class _Errors(logging.Handler):
    """The last error lines logged in this process (shown by ``jobs status`` and the live panel)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines = [*self.lines[-19:], f"{record.levelname} {record.name}: {record.getMessage()}"]


def _logging(path: Path) -> _Errors:
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=_LOG_BYTES, backupCount=_LOG_BACKUPS)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    errors = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    root.addHandler(errors)
    root.setLevel(logging.INFO)
    return errors


def _load(payload: dict[str, Any]) -> Any:
    if payload.get("ref"):
        from kstreams_nb.jobs._load import load_topology

        return load_topology(str(payload["ref"]))
    import cloudpickle

    return cloudpickle.loads(payload["topology"])


def _say(line: str) -> bool:
    """One handshake line to the deploying process, then stdout goes nowhere. False when the deploying process is
    gone (it died or gave up waiting): nobody knows this job runs, so it must not."""
    try:
        sys.stdout.write(f"{HANDSHAKE} {line}\n")
        sys.stdout.flush()
        told = True
    except OSError:
        told = False
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return told


def _write_status(registry: Registry, job_id: str, streams: Any, errors: _Errors, *, stopping: bool = False,
                  final: bool = False) -> None:
    """Write the status file; a failure (a broker that does not answer, a full disk) is logged, never fatal."""
    try:
        status = status_of(streams, errors.lines, stopping)
    except Exception as e:
        log.warning("job %s: no metrics snapshot this time (%s)", job_id, e)
        status = {"state": streams.state().name, "pid": os.getpid(), "updated": time.time(), "stopping": stopping,
                  "snapshot": None}
    status["final"] = final
    try:
        registry.write_status(job_id, status)
    except OSError as e:
        log.warning("job %s: cannot write its status file (%s)", job_id, e)


def _report_status(registry: Registry, job_id: str, streams: Any, errors: _Errors, stop: threading.Event) -> None:
    """About once a second, until ``stop``: the status file (on its own thread, so that a slow snapshot never
    delays the reaction to SIGTERM)."""
    from kstreams_nb.streams import State

    done_states = (State.ERROR, State.NOT_RUNNING, State.PENDING_ERROR)
    while not stop.is_set():
        if streams.state() in done_states:
            stop.set()  # the application failed: the main thread closes it and writes the final status
            return
        _write_status(registry, job_id, streams, errors)
        stop.wait(STATUS_EVERY)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kstreams_nb.jobs")
    parser.add_argument("--job-id", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--instance", type=int, default=0)
    args = parser.parse_args(argv)
    os.umask(0o077)  # every file this job writes (logs and their rotations, state) is its owner's alone
    registry = Registry(args.home)
    job_dir = registry.dir_of(args.job_id)
    errors = _logging(log_path(job_dir, args.instance))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        payload: dict[str, Any] = pickle.loads(sys.stdin.buffer.read())
        for entry in reversed(payload.get("sys_path", [])):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        from kstreams_nb.streams import KafkaStreams, State

        streams = KafkaStreams(_load(payload), payload["config"])
        streams.start()
    except BaseException as e:  # reported to the deploying process, which raises it there
        log.exception("job %s could not start", args.job_id)
        _say("failed " + json.dumps(f"{type(e).__name__}: {e}"))
        return 1
    log.info("job %s instance %d started (pid %d)", args.job_id, args.instance, os.getpid())
    if not _say("started " + json.dumps(str(streams.process_id))):
        log.error("job %s: the deploying process is gone; closing", args.job_id)
        streams.close(float(payload.get("stop_timeout", 30.0)))
        return 1
    stop_timeout = float(payload.get("stop_timeout", 30.0))
    reporter = threading.Thread(target=_report_status, args=(registry, args.job_id, streams, errors, stop),
                                name="job-status", daemon=True)
    reporter.start()
    while not stop.wait(0.5):  # a timed wait: the main thread runs the signal handlers
        pass
    log.info("job %s instance %d closing", args.job_id, args.instance)
    reporter.join(STATUS_EVERY * 5)
    _write_status(registry, args.job_id, streams, errors, stopping=True)
    closed = streams.close(stop_timeout)
    _write_status(registry, args.job_id, streams, errors, final=True)
    failed = streams.state() is State.ERROR or streams.exception is not None or not closed
    log.info("job %s instance %d ended in %s", args.job_id, args.instance, streams.state().name)
    return 1 if failed else 0
