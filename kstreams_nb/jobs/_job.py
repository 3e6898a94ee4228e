"""Job: a handle on a topology running in the background, in a thread of this process or in detached processes.

A thread job wraps a KafkaStreams of this process. A process job is read through the registry: each of its
processes rewrites a status file about once a second, and the handle reads those (so a job deployed by one kernel
can be attached, watched and stopped from another kernel or a shell).

Example::

    >>> from kstreams_nb.jobs import deploy
    >>> job = deploy(topology, {"application.id": "counts"})           # doctest: +SKIP
    >>> job.state, job.wait(0.1)                                         # doctest: +SKIP
    (<JobState.RUNNING: 'RUNNING'>, False)
"""

from __future__ import annotations

import contextlib
import enum
import html
import logging
import os
import select
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kstreams_nb.errors import JobError
from kstreams_nb.jobs._registry import JobRecord, Registry

__all__ = ["Job", "JobState"]

log = logging.getLogger(__name__)


class JobState(enum.Enum):
    """Where a job is. STARTING until its KafkaStreams has started; RUNNING / REBALANCING as KafkaStreams says;
    STOPPING while it closes; STOPPED after a clean close; FAILED when the application failed; DEAD when a process
    ended without closing (killed, crashed, or the machine restarted)."""

    STARTING = "STARTING"
    REBALANCING = "REBALANCING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    DEAD = "DEAD"

    @property
    def done(self) -> bool:
        """True once the job no longer runs (STOPPED, FAILED or DEAD)."""
        return self in (JobState.STOPPED, JobState.FAILED, JobState.DEAD)


_FROM_STREAMS = {
    "CREATED": JobState.STARTING,
    "REBALANCING": JobState.REBALANCING,
    "RUNNING": JobState.RUNNING,
    "PENDING_SHUTDOWN": JobState.STOPPING,
    "NOT_RUNNING": JobState.STOPPED,
    "PENDING_ERROR": JobState.FAILED,
    "ERROR": JobState.FAILED,
}


def pid_alive(pid: int, job_id: str) -> bool:
    """True when ``pid`` runs and is a process of job ``job_id`` (a reused pid is not)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    if b"kstreams_nb.jobs" not in cmdline or job_id.encode() not in cmdline:
        return False
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":  # a zombie: ended, not yet reaped
            return False
    return True


def job_processes() -> set[int]:
    """The pids of every job process running on this machine (``python -m kstreams_nb.jobs``), whichever registry
    they belong to: what to look at when a job seems to be gone from its registry."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if b"kstreams_nb.jobs" in (entry / "cmdline").read_bytes():
                    found.add(int(entry.name))
    return found


def wait_pid(pid: int, job_id: str, timeout: float | None) -> bool:
    """Wait until process ``pid`` ends (True) or ``timeout`` seconds pass (False), without polling in a loop
    where the kernel offers a process handle to wait on."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return not pid_alive(pid, job_id)
    try:
        while pid_alive(pid, job_id):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], 0.5 if left is None else min(left, 0.5))
            if ready:
                return True  # ended (a child of this process is reaped by its Popen: Job._reap)
            if deadline is not None and time.monotonic() >= deadline:
                return not pid_alive(pid, job_id)
        return True
    finally:
        os.close(fd)


class Job:
    """A topology running in the background (see :func:`kstreams_nb.jobs.deploy`).

    ``state`` (a JobState), ``metrics()``, ``snapshot()``, ``logs()``, ``stop(timeout)``, ``wait(timeout)``,
    ``output(topic)``, ``panel()``. Example: ``job.stop(30)`` commits and closes, then ``job.state`` is STOPPED.
    """

    def __init__(
        self,
        record: JobRecord,
        *,
        registry: Registry | None = None,
        streams: Any = None,
        config: Mapping[str, Any] | None = None,
        children: list[subprocess.Popen[bytes]] | None = None,
    ) -> None:
        self._record = record
        self._registry = registry
        self._streams = streams
        self._config = dict(config) if config is not None else dict(record.config)
        self._children = children or []
        self._log_lines: deque[str] = deque(maxlen=200)

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def mode(self) -> str:
        return self._record.mode

    @property
    def application_id(self) -> str:
        return self._record.application_id

    @property
    def pids(self) -> list[int]:
        return list(self._record.pids)

    @property
    def streams(self) -> Any:
        """The KafkaStreams of a thread job (None for a process job)."""
        return self._streams

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> JobState:
        """The job's state now (a process job: from its processes' status files and whether they still run)."""
        if self._streams is not None:
            return _FROM_STREAMS[self._streams.state().name]
        self._reap()
        record = self._refresh()
        statuses = self._statuses()
        if not record.pids:  # its deployer is starting it, or died doing so
            return JobState.STARTING if time.time() - record.started_at < 60 else JobState.DEAD
        alive = [pid for pid in record.pids if pid_alive(pid, record.id)]
        if alive:
            states = [_FROM_STREAMS.get(str(statuses.get(pid, {}).get("state")), JobState.STARTING) for pid in alive]
            if any(statuses.get(pid, {}).get("stopping") for pid in alive) or JobState.STOPPING in states:
                return JobState.STOPPING
            if all(s is JobState.RUNNING for s in states):
                return JobState.RUNNING
            return JobState.REBALANCING if JobState.REBALANCING in states else JobState.STARTING
        finals = [statuses.get(pid, {}) for pid in record.pids]
        if any(not s.get("final") for s in finals):
            return JobState.DEAD
        if any(_FROM_STREAMS.get(str(s.get("state"))) is JobState.FAILED for s in finals):
            return JobState.FAILED
        return JobState.STOPPED

    def instances(self) -> dict[int, str]:
        """pid -> the state of each process of a process job (DEAD: ended without closing)."""
        record, statuses = self._refresh(), self._statuses()
        out: dict[int, str] = {}
        for pid in record.pids:
            status = statuses.get(pid, {})
            if pid_alive(pid, record.id):
                out[pid] = str(status.get("state", "STARTING"))
            else:
                out[pid] = _FROM_STREAMS.get(str(status.get("state")), JobState.DEAD).name if status.get("final") \
                    else JobState.DEAD.name
        return out

    def _reap(self) -> None:
        """Collect the exit status of this process's own job processes that ended (no zombie is left)."""
        for child in self._children:
            if child.poll() is None and not pid_alive(child.pid, self._record.id):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(1.0)  # it is exiting: collect it now, not at some later poll

    def _refresh(self) -> JobRecord:
        if self._registry is not None:
            with contextlib.suppress(JobError):
                self._record = self._registry.find(self._record.id)
        return self._record

    def _statuses(self) -> dict[int, dict[str, Any]]:
        return self._registry.statuses(self._record.id) if self._registry is not None else {}

    # ------------------------------------------------------------------ observing
    def snapshot(self) -> Any:
        """A JobSnapshot of the job now (a process job: the last one each process wrote, merged)."""
        from kstreams_nb.jobs._snapshot import from_json, merge, snapshot_of

        if self._streams is not None:
            return snapshot_of(self._streams, self.errors())
        parts = [from_json(s["snapshot"]) for s in self._statuses().values() if s.get("snapshot")]
        return merge(parts, self.state.name)

    def metrics(self) -> dict[Any, float]:
        """The engine's metrics (``KafkaStreams.metrics()`` names and values); for the per-node records/s and
        per-partition lag computed from them, see :meth:`snapshot`."""
        if self._streams is not None:
            return dict(self._streams.metrics())
        from kstreams_nb.jobs._snapshot import metrics_of

        return metrics_of(self.snapshot())

    def errors(self) -> list[str]:
        """Recent error lines."""
        if self._streams is not None:
            return [line for line in self._log_lines if line.startswith(("ERROR", "CRITICAL"))][-20:]
        return list(self.snapshot().errors)

    def logs(self, lines: int = 50) -> list[str]:
        """The last ``lines`` log lines of the job."""
        if self._streams is not None:
            return list(self._log_lines)[-lines:]
        out: list[str] = []
        directory = Path(self._record.log).parent
        for path in sorted([*directory.glob("job*.log"), *directory.glob("stderr*.log")]):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace").splitlines()
                prefix = "" if path.name.startswith("job") else f"[{path.name}] "
                out.extend(prefix + line for line in text[-lines:] if not line.startswith("%"))
        return out[-lines:]

    def output(self, topic: str, n: int = 20, *, config: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """The last ``n`` records of ``topic`` on the job's cluster, as a DataFrame (a quick look; pass
        ``config`` for the serdes, or the secrets that the registry does not keep)."""
        from kstreams_nb.jobs._registry import MASK
        from kstreams_nb.notebook.io import sample

        known = {k: v for k, v in self._config.items() if v != MASK}  # masked secrets: pass them in ``config``
        return sample(topic, n, config={**known, **(config or {})}, start="latest", **kwargs)

    def panel(self, interval: float = 1.0) -> Any:
        """A live panel of this job (state, records/s, lag, restore progress, errors)."""
        from kstreams_nb.jobs._panel import panel

        return panel(self, interval=interval)

    # ------------------------------------------------------------------ ending
    def stop(self, timeout: float | None = None) -> bool:
        """Stop gracefully (commit and close) within ``timeout`` seconds (default: the time each process is given
        to close, plus 10 s); a process that does not end by then is killed. True when every part closed cleanly."""
        if self._streams is not None:
            return bool(self._streams.close(30.0 if timeout is None else timeout))
        record = self._refresh()
        if timeout is None:
            timeout = record.stop_timeout + 10.0
        alive = [pid for pid in record.pids if pid_alive(pid, record.id)]
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        clean = True
        for pid in alive:
            if not wait_pid(pid, record.id, max(0.0, deadline - time.monotonic())):
                log.warning("job %s: pid %d did not stop within %.0f s; killing it", record.name, pid, timeout)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                wait_pid(pid, record.id, 10.0)
                clean = False
        for child in self._children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(1.0)
        state = self.state
        if self._registry is not None:
            self._record = self._registry.update(record, state=state.name)
        return clean and state is JobState.STOPPED

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job ends (True) or ``timeout`` seconds pass (False)."""
        if self._streams is not None:
            from kstreams_nb.streams import State

            wait_for = self._streams.wait_for_state
            return bool(wait_for(State.NOT_RUNNING, State.ERROR, timeout=1e9 if timeout is None else timeout))
        deadline = None if timeout is None else time.monotonic() + timeout
        for pid in self._refresh().pids:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not wait_pid(pid, self._record.id, left):
                return False
        self._reap()
        return True

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        pids = f" pids={self._record.pids}" if self.mode == "process" else ""
        return (f"<Job {self.name!r} mode={self.mode} state={self.state.name} "
                f"application.id={self.application_id!r}{pids}>")

    def _repr_html_(self) -> str:
        state = self.state
        colour = {"RUNNING": "#2e7d32", "FAILED": "#c62828", "DEAD": "#c62828"}.get(state.name, "#555")
        rows = [("job", self.name), ("mode", self.mode), ("application.id", self.application_id)]
        if self.mode == "process":
            rows.append(("pids", ", ".join(map(str, self._record.pids))))
            rows.append(("log", self._record.log))
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in rows)
        return (f"<div><b>Job {html.escape(self.name)}</b> <span style='color:{colour}'>{state.name}</span>"
                f"<table>{body}</table></div>")
