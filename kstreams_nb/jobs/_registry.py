"""The job registry: one directory per process job under ``$KSTREAMS_NB_HOME/jobs`` (default: the user's XDG state
directory, ``~/.local/state/kstreams_nb``), readable from any later kernel or shell.

A job's directory holds ``job.json`` (written by whoever deploys it: id, name, pids, application.id, the config
with its secrets masked, the log path, the start time, the state it was left in), ``status.json`` (rewritten by
the running job about once a second: state and a metrics snapshot) and ``job.log`` (rotated). Files are created
mode 0600 and replaced atomically, so a reader never sees half a file. A file that cannot be read is reported
(``problems``) and skipped, never crashed on.

Example::

    >>> import tempfile
    >>> reg = Registry(tempfile.mkdtemp())
    >>> rec = reg.create("counts", mode="process", application_id="app", config={"sasl.password": "s3cret"})
    >>> rec.config["sasl.password"], [r.name for r in reg.records()]
    ('******', ['counts'])
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from kstreams_nb.config import is_secret_key
from kstreams_nb.errors import JobError

__all__ = ["JobRecord", "Registry", "default_home", "mask", "write_private"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MASK = "******"


def default_home() -> Path:
    """``$KSTREAMS_NB_HOME``, else ``$XDG_STATE_HOME/kstreams_nb``, else ``~/.local/state/kstreams_nb``."""
    explicit = os.environ.get("KSTREAMS_NB_HOME")
    if explicit:
        return Path(explicit).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "kstreams_nb"


def mask(config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` whose secret values (passwords, keys, JAAS configs, tokens) read ``******``."""
    return {str(k): (MASK if is_secret_key(str(k)) and v not in (None, "") else v) for k, v in config.items()}


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, the file readable by its owner only (mode 0600)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class JobRecord:
    """What the registry knows of one job (its ``job.json``); secrets in ``config`` are already masked.

    Example::

        >>> JobRecord("j1", "counts", "process", [4242], "app", {}, "/tmp/j1/job.log", 0.0, "RUNNING").pids
        [4242]
    """

    id: str
    name: str
    mode: str
    pids: list[int]
    application_id: str
    config: dict[str, Any]
    log: str
    started_at: float
    state: str
    topology: str = ""  # the describe() text
    cwd: str = ""
    process_ids: list[str] = field(default_factory=list)  # the KafkaStreams process UUID of each instance
    stop_timeout: float = 30.0  # seconds each process may take to close on SIGTERM

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> JobRecord:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        known = {f for f in JobRecord.__dataclass_fields__}
        return JobRecord(**{k: v for k, v in data.items() if k in known})


class Registry:
    """The jobs under one home directory. Safe to share between threads and processes: changes take a lock
    file, and every file is replaced atomically."""

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.root = self.home / "jobs"
        #: files that could not be read by the last :meth:`records` call, with the reason
        self.problems: list[str] = []

    def __repr__(self) -> str:
        return f"Registry({str(self.home)!r})"

    def _ensure(self) -> None:
        if not self.root.is_dir():
            self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.root.mkdir(exist_ok=True, mode=0o700)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure()
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def dir_of(self, job_id: str) -> Path:
        return self.root / job_id

    # ------------------------------------------------------------------ records
    def create(
        self, name: str, *, mode: str, application_id: str, config: Mapping[str, Any], topology: str = "",
        active: Any = None, stop_timeout: float = 30.0,
    ) -> JobRecord:
        """Reserve ``name`` and write a STARTING record. ``active(record) -> bool`` tells whether an existing
        record of the same name still runs (JobError then); of the finished ones, the newest stays (its logs
        explain how it ended) and older ones are deleted."""
        if not _NAME.match(name):
            raise JobError(
                f"job name {name!r} is not usable: use letters, digits, '.', '_' or '-' (up to 100 characters, "
                f"starting with a letter or digit)"
            )
        with self._locked():
            same = [r for r in self._read_all() if r.name == name]
            for existing in same:
                if active is not None and active(existing):
                    raise JobError(
                        f"a job named {name!r} is already running (pids {existing.pids}); stop it first, or "
                        f"deploy with replace=True (kstreams-nb run --replace)"
                    )
            for existing in same[:-1]:  # the last run before this one stays, logs and all, for a post-mortem
                shutil.rmtree(self.dir_of(existing.id), ignore_errors=True)
            job_id = f"{name}-{uuid.uuid4().hex[:8]}"
            directory = self.dir_of(job_id)
            directory.mkdir(mode=0o700)
            record = JobRecord(
                id=job_id, name=name, mode=mode, pids=[], application_id=application_id, config=mask(config),
                log=str(directory / "job.log"), started_at=time.time(), state="STARTING", topology=topology,
                cwd=os.getcwd(), stop_timeout=stop_timeout,
            )
            write_private(directory / "job.json", record.to_json())
        return record

    def update(self, record: JobRecord, **changes: Any) -> JobRecord:
        """Rewrite the record with ``changes`` (e.g. ``pids=[...]``, ``state="STOPPED"``)."""
        updated = replace(record, **changes)
        with self._locked():
            if self.dir_of(record.id).is_dir():
                write_private(self.dir_of(record.id) / "job.json", updated.to_json())
        return updated

    def remove(self, record: JobRecord) -> None:
        """Forget the job (its directory and log go too)."""
        with self._locked():
            shutil.rmtree(self.dir_of(record.id), ignore_errors=True)

    def records(self) -> list[JobRecord]:
        """Every readable job record, oldest first; unreadable ones are listed in ``problems`` and logged."""
        if not self.root.is_dir():
            self.problems = []
            return []
        return self._read_all()

    def _read_all(self) -> list[JobRecord]:
        found: list[JobRecord] = []
        problems: list[str] = []
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir()):
            path = directory / "job.json"
            try:
                found.append(JobRecord.from_json(path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                continue  # a job being created or removed right now
            except (OSError, ValueError, TypeError) as e:
                problems.append(f"{path}: unreadable job record ({e}); skipped")
        for problem in problems:
            log.warning("%s", problem)
        self.problems = problems
        return sorted(found, key=lambda r: r.started_at)

    def find(self, name_or_id: str) -> JobRecord:
        """The newest record with this name (or id); JobError listing the known names when there is none."""
        records = self.records()
        matches = [r for r in records if name_or_id in (r.name, r.id)]
        if not matches:
            known = ", ".join(sorted({r.name for r in records})) or "none"
            raise JobError(f"no job named {name_or_id!r} in {self.root} (known jobs: {known})")
        return matches[-1]

    # ------------------------------------------------------------------ status
    def write_status(self, job_id: str, status: Mapping[str, Any]) -> None:
        """Replace the job's ``status.json`` (the running job does, about once a second)."""
        directory = self.dir_of(job_id)
        if directory.is_dir():
            write_private(directory / f"status-{os.getpid()}.json", json.dumps(dict(status), sort_keys=True))

    def statuses(self, job_id: str) -> dict[int, dict[str, Any]]:
        """pid -> the last status each instance of the job wrote (unreadable files skipped)."""
        out: dict[int, dict[str, Any]] = {}
        directory = self.dir_of(job_id)
        if not directory.is_dir():
            return out
        for path in directory.glob("status-*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                out[int(path.stem.split("-", 1)[1])] = data
            except (OSError, ValueError) as e:
                log.warning("%s: unreadable job status (%s); skipped", path, e)
        return out
