"""The jars, ports, files and processes behind :mod:`kstreams_nb.testing.kafka` (the local broker).

Example::

    >>> from kstreams_nb.testing._kafka_jars import KAFKA_VERSION, port_is_free
    >>> KAFKA_VERSION
    '4.4.0'
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

from kstreams_nb.errors import BrokerError

#: the Apache Kafka release the local broker runs (and the Java oracle compiles against)
KAFKA_VERSION = "4.4.0"
#: the log4j release of the broker's logging binding (the one log4j-core that kafka_2.13 brings)
LOG4J_VERSION = "2.25.5"

_MARKER = ".resolved"
_LOG_TAIL_LINES = 30


def cache_root() -> Path:
    """The cache of jars: ``$KSTREAMS_NB_CACHE`` or ``~/.cache/kstreams_nb``.

    Example::

        >>> cache_root()                                 # doctest: +SKIP
        PosixPath('/home/me/.cache/kstreams_nb')
    """
    configured = os.environ.get("KSTREAMS_NB_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "kstreams_nb"


def require(tool: str) -> str:
    """The path of ``tool`` on PATH; :class:`BrokerError` saying what to install when it is missing."""
    found = shutil.which(tool)
    if found is None:
        raise BrokerError(f"the local Kafka broker needs {tool!r} on PATH (install a JDK 17+ and Maven)")
    return found


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if missing) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def resolve_jars(cache_dir: Path | str | None = None, *, version: str = KAFKA_VERSION) -> Path:
    """Download (once) the broker's runtime jars; return the directory holding them.

    The default directory is ``<cache_root()>/kafka-<version>/lib``. A marker file is written after a complete
    download, so an interrupted one is redone; concurrent callers wait for each other.

    Example::

        >>> lib = resolve_jars()                         # doctest: +SKIP
        >>> sorted(p.name for p in lib.glob("kafka_2.13-*.jar"))    # doctest: +SKIP
        ['kafka_2.13-4.4.0.jar']
    """
    lib = Path(cache_dir) if cache_dir is not None else cache_root() / f"kafka-{version}" / "lib"
    if (lib / _MARKER).exists():
        return lib
    with locked(lib.parent / f".{lib.name}.lock"):
        if (lib / _MARKER).exists():
            return lib
        mvn = require("mvn")
        partial = lib.parent / f"{lib.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        template = Path(__file__).with_name("_kafka_pom.xml").read_text()
        pom = partial / "pom.xml"
        pom.write_text(template.replace("@KAFKA_VERSION@", version).replace("@LOG4J_VERSION@", LOG4J_VERSION))
        jars = partial / "jars"
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={jars}",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=partial)
        if result.returncode != 0 or not any(jars.glob(f"kafka_2.13-{version}.jar")):
            output = (result.stdout + result.stderr).strip()[-4000:]
            raise BrokerError(
                f"Maven could not resolve org.apache.kafka:kafka_2.13:{version} into {jars} "
                f"(is Maven Central reachable?):\n{output}"
            )
        (jars / _MARKER).write_text(version + "\n")
        shutil.rmtree(lib, ignore_errors=True)
        jars.rename(lib)
        shutil.rmtree(partial, ignore_errors=True)
    return lib


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether ``port`` can be bound on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of the text file ``path`` ("" when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def read_from(path: Path, offset: int) -> str:
    """The text of ``path`` from byte ``offset`` on ("" when the file does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def accepts(port: int | None) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    if port is None:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def pid_is_broker(pid: int, properties: Path | str | None = None) -> bool:
    """Whether ``pid`` is a live (not zombie) ``kafka.Kafka`` JVM (running with ``properties``, if given)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    if state in {"Z", "X"} or b"kafka.Kafka" not in cmdline:
        return False
    return properties is None or os.fsencode(str(properties)) in cmdline
