"""One local Kafka broker kept running in the background across shell commands (``kstreams-nb kafka ...``).

Its state (pid, ports, data directory, log) lives in ``<home>/kafka-run/state.json``, where home is
``$KSTREAMS_NB_HOME`` or ``~/.cache/kstreams_nb``. The topic data stays in ``<home>/kafka-run/data`` between
``stop`` and the next ``start``.

Example::

    >>> from kstreams_nb.testing.kafka_service import start, status, stop
    >>> start().bootstrap_servers                        # doctest: +SKIP
    '127.0.0.1:9092'
    >>> status().running                                 # doctest: +SKIP
    True
    >>> stop()                                           # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from kstreams_nb.errors import BrokerError
from kstreams_nb.testing._kafka_jars import KAFKA_VERSION, locked, pid_is_broker, port_is_free, tail
from kstreams_nb.testing.kafka import LocalKafka

__all__ = ["DEFAULT_PORT", "ServiceState", "logs", "run_dir", "start", "status", "stop"]

#: the port ``start`` prefers when it is free
DEFAULT_PORT = 9092


@dataclass(frozen=True)
class ServiceState:
    """What ``status`` knows of the background broker (``pid`` is ``None`` once stopped)."""

    pid: int | None
    port: int
    controller_port: int
    data_dir: str
    log: str
    version: str = KAFKA_VERSION

    @property
    def bootstrap_servers(self) -> str:
        """``"127.0.0.1:PORT"``."""
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the recorded process is a live broker."""
        return self.pid is not None and pid_is_broker(self.pid, Path(self.data_dir) / "server.properties")


def run_dir() -> Path:
    """``$KSTREAMS_NB_HOME/kafka-run`` or ``~/.cache/kstreams_nb/kafka-run``."""
    home = os.environ.get("KSTREAMS_NB_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".cache" / "kstreams_nb") / "kafka-run"


def _state_path() -> Path:
    return run_dir() / "state.json"


def _read() -> ServiceState | None:
    try:
        raw = json.loads(_state_path().read_text())
        return ServiceState(**raw)
    except (FileNotFoundError, ValueError, TypeError):
        return None


def _write(state: ServiceState) -> None:
    path = _state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(state), indent=2) + "\n")
    partial.replace(path)


def status() -> ServiceState | None:
    """The background broker's state (``None`` when none was ever started here)."""
    return _read()


def start(*, port: int | None = None, heap: str = "512m", timeout: float = 120.0) -> tuple[ServiceState, bool]:
    """Start the background broker unless it runs; return ``(state, started_now)``.

    The port is ``port`` if given (it must be free), else 9092 when free, else any free port. The data of the
    previous run is kept when its controller port is still free.
    """
    with locked(run_dir() / ".lock"):
        previous = _read()
        if previous is not None and previous.running:
            return previous, False
        if port is not None and not port_is_free(port):
            raise BrokerError(f"port {port} is in use: choose another with --port, or stop what listens there")
        data_dir = run_dir() / "data"
        controller_port = None
        if previous is not None and port_is_free(previous.controller_port) and previous.controller_port != port:
            controller_port = previous.controller_port
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
        if port is None:
            port = DEFAULT_PORT if port_is_free(DEFAULT_PORT) and controller_port != DEFAULT_PORT else None
        kafka = LocalKafka(data_dir=data_dir, port=port, controller_port=controller_port, heap=heap, detach=True)
        kafka.start(timeout)
        assert kafka.pid is not None and kafka.port is not None and kafka.controller_port is not None
        state = ServiceState(kafka.pid, kafka.port, kafka.controller_port, str(data_dir), str(kafka.log_path))
        _write(state)
        return state, True


def stop(timeout: float = 30.0) -> ServiceState | None:
    """Stop the background broker (SIGTERM, SIGKILL after ``timeout`` s); return its last state, if it ran."""
    with locked(run_dir() / ".lock"):
        state = _read()
        if state is None or not state.running:
            return None
        kafka = LocalKafka(data_dir=state.data_dir, port=state.port, controller_port=state.controller_port)
        kafka.pid = state.pid
        kafka.stop(timeout)
        _write(ServiceState(None, state.port, state.controller_port, state.data_dir, state.log, state.version))
        return state


def logs(lines: int = 50) -> str:
    """The last ``lines`` lines of the background broker's log; :class:`BrokerError` when there is none."""
    state = _read()
    if state is None or not Path(state.log).exists():
        raise BrokerError(f"no local Kafka log in {run_dir()}: start the broker with `kstreams-nb kafka start`")
    return tail(Path(state.log), lines)
