"""A local single-node Apache Kafka broker (combined KRaft broker and controller) for tests and notebooks.

The broker runs from the jars of Maven Central (resolved once by :func:`resolve_jars` into a cache outside
the project) with ``java`` (17 or newer) on PATH, listening on loopback only.

Example::

    >>> from kstreams_nb.testing.kafka import LocalKafka
    >>> with LocalKafka() as kafka:                      # doctest: +SKIP
    ...     print(kafka.bootstrap_servers)
    127.0.0.1:40123

The ``kstreams-nb kafka start|stop|status|logs`` command keeps one such broker running in the background.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from kstreams_nb.errors import BrokerError
from kstreams_nb.testing._kafka_jars import (
    KAFKA_VERSION,
    LOG4J_VERSION,
    accepts,
    cache_root,
    free_port,
    pid_is_broker,
    port_is_free,
    read_from,
    require,
    resolve_jars,
    tail,
)

__all__ = [
    "KAFKA_VERSION",
    "LOG4J_VERSION",
    "LocalKafka",
    "cache_root",
    "free_port",
    "pid_is_broker",
    "port_is_free",
    "resolve_jars",
    "tail",
]

_STARTED = "Kafka Server started"

_LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = INFO
"""


class LocalKafka:
    """One Apache Kafka broker (KRaft, broker and controller in one JVM) on 127.0.0.1.

    ``data_dir`` holds the properties, the log (``kafka.log``) and the topic data (a temporary directory,
    removed by :meth:`stop`, when not given); ``port`` and ``controller_port`` default to free ports;
    ``overrides`` adds or replaces ``server.properties`` entries; ``heap`` is the JVM's ``-Xmx``.
    ``detach=True`` leaves the broker running when this Python process exits (the command line uses it).

    Example::

        >>> kafka = LocalKafka(overrides={"num.partitions": "3"})   # doctest: +SKIP
        >>> kafka.start()                                           # doctest: +SKIP
        >>> kafka.bootstrap_servers                                 # doctest: +SKIP
        '127.0.0.1:40123'
        >>> kafka.restart(); kafka.stop()                           # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        data_dir: Path | str | None = None,
        port: int | None = None,
        controller_port: int | None = None,
        overrides: dict[str, str] | None = None,
        heap: str = "512m",
        detach: bool = False,
    ) -> None:
        self._owns_data_dir = data_dir is None
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._fixed_ports = port is not None
        self.port = port
        self.controller_port = controller_port
        self.overrides = {str(k): str(v) for k, v in (overrides or {}).items()}
        self.heap = heap
        self.detach = detach
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._atexit_registered = False

    # -- paths and addresses ---------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        """The broker's directory (created on first use)."""
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="kstreams-nb-kafka-"))
        return self._data_dir

    @property
    def log_path(self) -> Path:
        """The broker's log (its stdout and stderr)."""
        return self.data_dir / "kafka.log"

    @property
    def properties_path(self) -> Path:
        """The ``server.properties`` the broker runs with."""
        return self.data_dir / "server.properties"

    @property
    def bootstrap_servers(self) -> str:
        """``"127.0.0.1:PORT"``, the address clients connect to."""
        if self.port is None:
            raise BrokerError("the local Kafka broker has no port yet: call start() first")
        return f"127.0.0.1:{self.port}"

    def server_properties(self) -> dict[str, str]:
        """The broker's configuration: a minimal combined KRaft node tuned for fast tests, plus ``overrides``."""
        plain, controller = f"127.0.0.1:{self.port}", f"127.0.0.1:{self.controller_port}"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": controller,
            "listeners": f"PLAINTEXT://{plain},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{plain},CONTROLLER://{controller}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "num.partitions": "1",
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "10",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "group.min.session.timeout.ms": "1000",
            "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
            "transaction.remove.expired.transaction.cleanup.interval.ms": "1000",
        }
        props.update(self.overrides)
        return props

    # -- lifecycle -------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """Whether the broker process is alive."""
        if self._proc is not None:
            return self._proc.poll() is None
        return self.pid is not None and pid_is_broker(self.pid, self.properties_path)

    def start(self, timeout: float = 120.0) -> LocalKafka:
        """Start the broker and wait until it serves requests; return ``self``.

        Raises :class:`BrokerError` (naming the log and quoting its end) when Java or the jars are
        missing, or the broker exits or is not ready within ``timeout`` seconds.
        """
        if self.is_running():
            return self
        java = require("java")
        lib = resolve_jars()
        deadline = time.monotonic() + timeout
        for attempt in range(3):
            self._pick_ports()
            self._write_config()
            fresh = self._format(java, lib, deadline)
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            self._launch(java, lib)
            try:
                self._wait_ready(offset, deadline)
                self._fixed_ports = True  # restarts keep these ports
                return self
            except BrokerError:
                port_taken = "Address already in use" in read_from(self.log_path, offset)
                if not port_taken or not fresh or self._fixed_ports or attempt == 2:
                    raise
                # another process took a port between picking and binding: retry with fresh ports and data
                self.port = self.controller_port = None
                shutil.rmtree(self.data_dir / "logs", ignore_errors=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout`` seconds); remove a temporary data dir."""
        self._signal_and_wait(signal.SIGTERM, timeout)
        if self.is_running():
            self._signal_and_wait(signal.SIGKILL, 10.0)
        self._proc = None
        self.pid = None
        if self._owns_data_dir and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    def kill(self) -> None:
        """Kill the broker at once (SIGKILL), keeping its data: a crash, for failure tests."""
        self._signal_and_wait(signal.SIGKILL, 10.0)

    def restart(self, timeout: float = 120.0) -> LocalKafka:
        """Stop (or after :meth:`kill`, just reap) the broker and start it again on the same ports and data."""
        self._signal_and_wait(signal.SIGTERM, 30.0)
        if self.is_running():
            self._signal_and_wait(signal.SIGKILL, 10.0)
        return self.start(timeout)

    def __enter__(self) -> LocalKafka:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"LocalKafka(port={self.port}, data_dir={str(self._data_dir)!r}, {state})"

    # -- internals -------------------------------------------------------------------------------------------
    def _pick_ports(self) -> None:
        if self.port is None:
            self.port = free_port()
        if self.controller_port is None:
            self.controller_port = free_port()
            while self.controller_port == self.port:
                self.controller_port = free_port()

    def _write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"{key}={value}" for key, value in self.server_properties().items()]
        self.properties_path.write_text("\n".join(lines) + "\n")
        (self.data_dir / "log4j2.properties").write_text(_LOG4J2)

    def _java_cmd(self, java: str, lib: Path, main: str, *args: str) -> list[str]:
        return [
            java, "-Xms256m", f"-Xmx{self.heap}", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp", f"{lib}/*", main, *args,
        ]  # fmt: skip

    def _format(self, java: str, lib: Path, deadline: float) -> bool:
        """Format the storage unless it is; return whether it was formatted now."""
        if (self.data_dir / "logs" / "meta.properties").exists():
            return False
        remaining = max(1.0, deadline - time.monotonic())
        try:
            uuid = subprocess.run(
                self._java_cmd(java, lib, "kafka.tools.StorageTool", "random-uuid"),
                capture_output=True, text=True, timeout=remaining, check=True,
            ).stdout.strip().splitlines()[-1]  # fmt: skip
            fmt = self._java_cmd(java, lib, "kafka.tools.StorageTool", "format", "-t", uuid,
                                 "-c", str(self.properties_path), "--standalone")  # fmt: skip
            subprocess.run(fmt, capture_output=True, text=True, timeout=remaining, check=True)
        except subprocess.CalledProcessError as e:
            raise BrokerError(
                f"formatting the Kafka storage in {self.data_dir / 'logs'} failed:\n{e.stdout}{e.stderr}"
            ) from e
        except subprocess.TimeoutExpired as e:
            raise BrokerError(f"formatting the Kafka storage in {self.data_dir} timed out") from e
        return True

    def _launch(self, java: str, lib: Path) -> None:
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self._java_cmd(java, lib, "kafka.Kafka", str(self.properties_path)),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.data_dir, start_new_session=True,
            )  # fmt: skip
        self.pid = self._proc.pid
        if not self.detach and not self._atexit_registered:
            atexit.register(self._stop_at_exit)
            self._atexit_registered = True

    def _stop_at_exit(self) -> None:
        if self.is_running():
            self.stop(timeout=10.0)

    def _wait_ready(self, offset: int, deadline: float) -> None:
        while True:
            if not self.is_running():
                self._proc = None
                raise self._failure("exited during start-up")
            if _STARTED in read_from(self.log_path, offset) and accepts(self.port):
                return
            if time.monotonic() > deadline:
                self.kill()
                raise self._failure("was not ready before the deadline")
            time.sleep(0.1)

    def _failure(self, what: str) -> BrokerError:
        return BrokerError(
            f"the local Kafka broker on port {self.port} {what}; its log is {self.log_path}, ending with:\n"
            f"{tail(self.log_path)}"
        )

    def _signal_and_wait(self, sig: signal.Signals, timeout: float) -> None:
        if not self.is_running() or self.pid is None:
            if self._proc is not None:
                self._proc.wait()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)
        deadline = time.monotonic() + timeout
        while self.is_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._proc is not None and not self.is_running():
            self._proc.wait()
