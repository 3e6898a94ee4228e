"""deploy(): run a topology in the background from a notebook cell, a script or ``kstreams-nb run``.

``mode="thread"`` runs a KafkaStreams in this process (any broker, the embedded one included; it stops when the
kernel shuts down). ``mode="process"`` starts ``instances`` detached processes (``python -m kstreams_nb.jobs``,
each in its own session) that outlive the kernel; they need a broker every process reaches (a Kafka cluster).
The topology travels to them pickled with cloudpickle (lambdas and notebook functions work), or as a
``module:attr`` reference; the config goes through a pipe, never a file.

Example::

    >>> job = deploy(builder, {"application.id": "counts", "bootstrap.servers": "127.0.0.1:9092"},
    ...              mode="process")                                    # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kstreams_nb.errors import ConfigError, JobError, KStreamsError
from kstreams_nb.jobs._job import Job, pid_alive
from kstreams_nb.jobs._registry import JobRecord, Registry
from kstreams_nb.jobs._runner import HANDSHAKE, log_path

__all__ = ["attach", "deploy", "list_jobs"]

log = logging.getLogger(__name__)

#: seconds a process job may take to start (load the topology, reach the cluster, check its topics)
START_TIMEOUT = 30.0
_local: dict[str, Job] = {}  # thread jobs of this process, by name
_local_lock = threading.Lock()


def _topology_of(topology: Any) -> Any:
    """A Topology from a Topology, a StreamsBuilder or a notebook builder (built once, here)."""
    from kstreams_nb.topology import Topology

    if isinstance(topology, Topology):
        return topology
    build = getattr(topology, "build", None)
    if callable(build):
        built = build()
        if isinstance(built, Topology):
            return built
    raise JobError(
        f"deploy() takes a Topology, a StreamsBuilder or a notebook builder (or, for mode='process', a "
        f"'module:attr' reference), got {type(topology).__name__}"
    )


def _pickled(topology: Any) -> bytes:
    """The topology pickled with cloudpickle; JobError naming the node and the object that cannot be."""
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps(topology))
    except Exception as e:
        culprit = _unpicklable_part(topology)
        raise JobError(
            f"the topology cannot be sent to a job process: {culprit or 'an object in it'} cannot be pickled "
            f"({type(e).__name__}: {e}). Define it so that it can be (a module-level function or class instead "
            f"of one holding a lock, a file, a client or a generator), use mode='thread', or pass a 'module:attr' "
            f"reference"
        ) from None


def _unpicklable_part(topology: Any) -> str | None:
    import cloudpickle

    builder = getattr(topology, "internal_builder", None)
    if builder is None:
        return None
    for kind, specs in (("node", builder.nodes), ("store", builder.stores), ("global store", builder.global_stores)):
        for name, spec in specs.items():
            fields = vars(spec) if hasattr(spec, "__dict__") else {
                s: getattr(spec, s) for s in getattr(spec, "__slots__", ()) if hasattr(spec, s)}
            for attr, value in fields.items():
                try:
                    cloudpickle.dumps(value)
                except Exception:
                    return f"{kind} {name!r} ({attr}={value!r:.80})"
    return None


def _check_process_config(config: Mapping[str, Any]) -> None:
    servers = str(config.get("bootstrap.servers") or "memory://default")
    if servers.startswith("memory://"):
        raise JobError(
            f"a process job needs a broker that both processes reach, and bootstrap.servers={servers} is the "
            f"embedded broker of this process. Start a local Kafka (`kstreams-nb kafka start`) and use its address, "
            f"or deploy with mode='thread'"
        )


def deploy(
    topology: Any,
    config: Mapping[str, Any],
    *,
    name: str | None = None,
    mode: str = "thread",
    instances: int = 1,
    replace: bool = False,
    home: str | os.PathLike[str] | None = None,
    stop_timeout: float = 30.0,
) -> Job:
    """Run ``topology`` in the background and return its Job at once (after KafkaStreams.start()).

    ``topology``: a Topology, StreamsBuilder or notebook builder; for ``mode="process"`` also a ``"module:attr"``
    reference (what ``kstreams-nb run`` passes). ``name`` defaults to the ``application.id``. A name that is
    already running raises JobError unless ``replace=True`` (the running job is stopped first). ``instances``
    processes share the application.id (mode="process" only). ``home`` is the registry's directory (default
    ``$KSTREAMS_NB_HOME``). Bad config, an unreachable broker or a missing source topic raise here. Jobs record
    metrics at ``metrics.recording.level=DEBUG`` unless the config says otherwise, for per-node records/s (about
    10% of a cheap stateless pipeline's throughput; nothing measurable on a stateful one).
    """
    from kstreams_nb.config import StreamsConfig

    if mode not in ("thread", "process"):
        raise JobError(f"mode must be 'thread' or 'process', got {mode!r}")
    if instances < 1:
        raise JobError(f"instances must be at least 1, got {instances}")
    if instances > 1 and mode != "process":
        raise JobError(f"instances={instances}: a thread job runs one instance; use mode='process' for more")
    # per-node records/s (the live panel, Job.snapshot()) need Kafka's DEBUG recording level; a user's level wins
    conf = {"metrics.recording.level": "DEBUG", **dict(config)}
    app_id = str(conf.get("application.id") or "")
    if not app_id:
        raise ConfigError('Missing required configuration "application.id" which has no default value.')
    StreamsConfig(conf)  # unknown values and misspelled schemes fail here, before anything starts
    job_name = name or app_id
    if mode == "thread":
        return _deploy_thread(topology, conf, job_name, replace)
    _check_process_config(conf)
    ref = topology if isinstance(topology, str) else None
    built = None if ref is not None else _topology_of(topology)
    payload = _payload({
        "config": conf,
        "ref": ref,
        "topology": None if built is None else _pickled(built),
        "sys_path": [str(Path.cwd()), *[p for p in sys.path if p]],
        "stop_timeout": stop_timeout,
    })
    registry = Registry(home)
    if replace:
        with contextlib.suppress(JobError):
            existing = Job(registry.find(job_name), registry=registry)
            if not existing.state.done:
                existing.stop()
    record = registry.create(
        job_name, mode="process", application_id=app_id, config=conf, stop_timeout=stop_timeout,
        topology=str(built.describe()) if built is not None else "", active=_is_active,
    )
    children: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(instances):
            children.append(_spawn(registry, record, i, payload))
        # recorded at once: a job whose deployer dies while it starts can still be found and stopped
        record = registry.update(record, pids=[c.pid for c in children])
        deadline = time.monotonic() + START_TIMEOUT
        process_ids = [_handshake(child, record, i, deadline) for i, child in enumerate(children)]
    except BaseException:
        for child in children:
            with contextlib.suppress(OSError):
                child.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(10)
        registry.remove(record)
        raise
    record = registry.update(record, process_ids=process_ids, state="RUNNING")
    return Job(record, registry=registry, config=conf, children=children)


def _payload(payload: dict[str, Any]) -> bytes:
    """The payload as the job process reads it; JobError naming a config key whose value cannot be sent."""
    try:
        return pickle.dumps(payload)
    except Exception as e:
        for key, value in payload["config"].items():
            try:
                pickle.dumps(value)
            except Exception:
                raise JobError(
                    f"config key {key!r} holds a {type(value).__name__}, which cannot be sent to a job process; "
                    f"use a plain value (text, number, boolean)"
                ) from None
        raise JobError(f"the job's payload cannot be pickled: {type(e).__name__}: {e}") from None


def _is_active(record: JobRecord) -> bool:
    """A process of the job runs, or its deployer is still starting it."""
    if any(pid_alive(pid, record.id) for pid in record.pids):
        return True
    return record.state == "STARTING" and not record.pids and time.time() - record.started_at < START_TIMEOUT + 10


def _spawn(registry: Registry, record: JobRecord, instance: int, payload: bytes) -> subprocess.Popen[bytes]:
    directory = registry.dir_of(record.id)
    stderr_path = directory / ("stderr.log" if instance == 0 else f"stderr-{instance}.log")
    fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "kstreams_nb.jobs", "--job-id", record.id, "--home", str(registry.home),
             "--instance", str(instance)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=fd, start_new_session=True, cwd=os.getcwd(),
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), *[p for p in sys.path if p]])},
        )
    finally:
        os.close(fd)
    assert child.stdin is not None
    try:
        child.stdin.write(payload)
    finally:
        child.stdin.close()
    return child


def _handshake(child: subprocess.Popen[bytes], record: JobRecord, instance: int, deadline: float) -> str:
    """Wait (until ``deadline``) for the job process to say it started (its process UUID) or why it could not
    (JobError, with the end of its logs)."""
    assert child.stdout is not None
    fd = child.stdout.fileno()
    line = b""
    ended = False
    while b"\n" not in line:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            ended = True
            break
        line += chunk
    child.stdout.close()
    text = line.decode(errors="replace").strip()
    if text.startswith(f"{HANDSHAKE} started "):
        return str(json.loads(text.split(" ", 2)[2]))
    if text.startswith(f"{HANDSHAKE} failed "):
        raise JobError(f"job {record.name!r} could not start: {json.loads(text.split(' ', 2)[2])}")
    tail = _tail(Path(record.log).parent, instance)
    if not ended:
        raise JobError(f"job {record.name!r} did not start within {START_TIMEOUT:.0f} s; its logs end:\n{tail}")
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(5)
    raise JobError(f"job {record.name!r} exited before it started (exit code {child.poll()}); its logs end:\n{tail}")


def _tail(directory: Path, instance: int, lines: int = 15) -> str:
    """The last lines of an instance's log and of its stderr (tracebacks, and what came before logging began)."""
    stderr = directory / ("stderr.log" if instance == 0 else f"stderr-{instance}.log")
    out: list[str] = []
    for path in (log_path(directory, instance), stderr):
        with contextlib.suppress(OSError):
            out.extend(line for line in path.read_text(errors="replace").splitlines()[-lines:]
                       if not line.startswith("%"))  # librdkafka's own connection chatter
    return "\n".join(out[-2 * lines:])


# ---------------------------------------------------------------------- thread jobs
class _JobLog(logging.Handler):
    """Log lines of one thread job's threads (their names start with its client id) kept on the Job: warnings and
    errors, and INFO lines too when the ``kstreams_nb`` logger is set to INFO."""

    def __init__(self, prefix: str, job: Job) -> None:
        super().__init__(logging.INFO)
        self.prefix, self.job = prefix, job

    def emit(self, record: logging.LogRecord) -> None:
        if record.threadName and record.threadName.startswith(self.prefix):
            self.job._log_lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def _deploy_thread(topology: Any, conf: dict[str, Any], name: str, replace: bool) -> Job:
    from kstreams_nb.streams import KafkaStreams

    built = _topology_of(topology)
    with _local_lock:
        running = _local.get(name)
        if running is not None and not running.state.done:
            if not replace:
                raise JobError(
                    f"a job named {name!r} is already running in this kernel ({running.state.name}); stop it first "
                    f"(job.stop()), or deploy with replace=True"
                )
            running.stop()
        streams = KafkaStreams(built, conf)
        record = JobRecord(
            id=f"{name}-thread", name=name, mode="thread", pids=[os.getpid()],
            application_id=str(conf["application.id"]), config={}, log="", started_at=time.time(), state="STARTING",
            topology=str(built.describe()),
        )
        job = Job(record, streams=streams, config=conf)
        handler = _JobLog(str(conf.get("client.id") or f"{conf['application.id']}-{streams.process_id}"), job)
        package_log = logging.getLogger("kstreams_nb")
        package_log.addHandler(handler)

        def ended(new: Any, old: Any) -> None:  # the job's log lines stay on the Job; the handler goes
            if new.name in ("NOT_RUNNING", "ERROR"):
                package_log.removeHandler(handler)

        streams.set_state_listener(ended)
        try:
            streams.start()
        except KStreamsError:
            package_log.removeHandler(handler)
            raise
        _local[name] = job
    return job


@atexit.register
def _stop_thread_jobs() -> None:
    """At interpreter exit (a kernel shutting down), close every running thread job, within about 4 s in all,
    so its last work is committed."""
    jobs = [j for j in list(_local.values()) if not j.state.done]
    deadline = time.monotonic() + 4.0
    for job in jobs:
        with contextlib.suppress(Exception):
            job.stop(max(0.5, deadline - time.monotonic()))


# ---------------------------------------------------------------------- finding jobs
def list_jobs(*, home: str | os.PathLike[str] | None = None, registry: Registry | None = None) -> list[Job]:
    """Every job: this process's thread jobs, then the process jobs of the registry (running or not; unreadable
    records are skipped and listed in ``registry.problems``)."""
    registry = registry or Registry(home)
    return [*_local.values(), *(Job(r, registry=registry) for r in registry.records())]


def attach(name: str, *, home: str | os.PathLike[str] | None = None) -> Job:
    """The job named ``name``: a thread job of this process, else the newest process job of that name (or id)
    in the registry, from any kernel or shell. JobError lists the known names when there is none."""
    if name in _local:
        return _local[name]
    registry = Registry(home)
    return Job(registry.find(name), registry=registry)

