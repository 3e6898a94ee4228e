"""Build and run the Kafka Streams oracle; write (or check) the golden describe() fixtures.

The oracle (tests/java/src/main/java/kstreams_nb/oracle/Describe.java) prints, for every named topology, a
line ``=== <name>``, Kafka Streams' own ``topology.describe()`` text, and one newline. This script:

1. resolves the class path with ``mvn -q -o dependency:build-classpath`` (offline first, online if that
   fails; cached in target/classpath.txt until pom.xml changes),
2. compiles the sources with ``javac`` when they changed,
3. runs ``java -cp ... kstreams_nb.oracle.Describe`` and splits its output.

Other oracle programs run through :func:`run_main` (:func:`run_main_in_test` from a test):
``kstreams_nb.oracle.SuppressChangelog`` prints the
suppression buffer's changelog and outputs for fixed inputs (fixture tests/semantics/dsl/suppress_oracle.txt,
rewritten with ``python -c "import run_oracle as r; print(r.run_main('kstreams_nb.oracle.SuppressChangelog'),
end='')" > ../semantics/dsl/suppress_oracle.txt`` from this directory); ``kstreams_nb.oracle.PartitionMetadata``
prints Kafka's offset metadata (TopicPartitionMetadata) for fixed cases (fixture
tests/unit/engine/partition_metadata_oracle.txt, rewritten the same way); ``kstreams_nb.oracle.JoinCases`` prints
the outputs of joins and session windows for fixed edge-case inputs (fixture
tests/semantics/dsl_kafka_checked/join_and_session_oracle.txt, rewritten the same way);
``kstreams_nb.oracle.JoinCases2`` does the same for left/outer stream-stream joins, sliding windows, cogroup and
foreign-key joins (fixture tests/semantics/dsl_kafka_checked/dsl_part2_oracle.txt).

Usage::

    python tests/java/run_oracle.py              # rewrite tests/golden/describe/<name>.txt for every topology
    python tests/java/run_oracle.py --check      # exit 1 when a fixture differs from the oracle
    python tests/java/run_oracle.py fan_out      # only the named topologies
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:  # the one pin of the Kafka release; the pom's own <kafka.version> when kstreams_nb is not importable
    from kstreams_nb.testing.kafka import KAFKA_VERSION as _KAFKA_VERSION

    _VERSION_FLAGS = [f"-Dkafka.version={_KAFKA_VERSION}"]
except ImportError:  # pragma: no cover - run outside the project's environment
    _KAFKA_VERSION, _VERSION_FLAGS = "pom", []

HERE = Path(__file__).resolve().parent
TARGET = HERE / "target"
CLASSES = TARGET / "classes"
CLASSPATH_FILE = TARGET / f"classpath-{_KAFKA_VERSION}.txt"
SOURCES = HERE / "src" / "main" / "java"
FIXTURES = HERE.parent / "golden" / "describe"
MAIN_CLASS = "kstreams_nb.oracle.Describe"
_HEADER = re.compile(r"^=== (.+)\n", re.MULTILINE)


class OracleUnavailable(RuntimeError):
    """java, javac or mvn is missing, or Maven could not resolve kafka-streams."""


def missing_tools() -> list[str]:
    """The tools the oracle needs that are not on PATH."""
    return [tool for tool in ("java", "javac", "mvn") if shutil.which(tool) is None]


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=HERE, capture_output=True, text=True)


def _classpath() -> str:
    pom = HERE / "pom.xml"
    if not CLASSPATH_FILE.exists() or CLASSPATH_FILE.stat().st_mtime < pom.stat().st_mtime:
        TARGET.mkdir(exist_ok=True)
        base = ["mvn", "-q", "-B", "dependency:build-classpath", f"-Dmdep.outputFile={CLASSPATH_FILE}", *_VERSION_FLAGS]
        result = _run([*base[:2], "-o", *base[2:]])
        if result.returncode != 0:
            result = _run(base)
        if result.returncode != 0:
            raise OracleUnavailable(f"mvn could not resolve kafka-streams:\n{result.stdout}{result.stderr}")
    return CLASSPATH_FILE.read_text().strip()


def _compile(classpath: str) -> None:
    sources = sorted(SOURCES.rglob("*.java"))
    stamp = CLASSES / ".stamp"
    newest = max(p.stat().st_mtime for p in [*sources, CLASSPATH_FILE])
    if stamp.exists() and stamp.stat().st_mtime >= newest:
        return
    shutil.rmtree(CLASSES, ignore_errors=True)
    CLASSES.mkdir(parents=True)
    cmd = ["javac", "-encoding", "UTF-8", "--release", "17", "-d", str(CLASSES), "-cp", classpath]
    result = _run([*cmd, *map(str, sources)])
    if result.returncode != 0:
        raise RuntimeError(f"javac failed:\n{result.stdout}{result.stderr}")
    stamp.touch()


def run_main(main_class: str, args: list[str] | None = None) -> str:
    """Build the oracle and run ``main_class`` (e.g. ``kstreams_nb.oracle.SuppressChangelog``); return its output."""
    missing = missing_tools()
    if missing:
        raise OracleUnavailable(f"the Kafka Streams oracle needs {', '.join(missing)} on PATH")
    classpath = _classpath()
    _compile(classpath)
    cmd = ["java", "-Dfile.encoding=UTF-8", "-cp", f"{CLASSES}{os.pathsep}{classpath}", main_class, *(args or [])]
    result = subprocess.run(cmd, cwd=HERE, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"the oracle failed:\n{result.stderr.decode(errors='replace')}")
    return result.stdout.decode("utf-8")


def run_main_in_test(main_class: str) -> str:
    """:func:`run_main` inside a pytest test: the test is skipped when the oracle cannot run here (no Java or
    Maven), and fails instead in CI (``CI=true``), where the oracle must run."""
    import pytest

    try:
        return run_main(main_class)
    except OracleUnavailable as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the Kafka Streams oracle must run in CI: {e}")
        pytest.skip(f"Kafka Streams oracle unavailable: {e}")


def run(names: list[str] | None = None) -> dict[str, str]:
    """Run the oracle; return ``{name: describe() text}`` in the oracle's order."""
    return parse(run_main(MAIN_CLASS, names))


def parse(output: str) -> dict[str, str]:
    """Split the oracle's output into ``{name: text}`` (each text without the newline the oracle adds)."""
    headers = list(_HEADER.finditer(output))
    if not headers or headers[0].start() != 0:
        raise ValueError("oracle output does not start with '=== <name>'")
    out: dict[str, str] = {}
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(output)
        chunk = output[m.end() : end]
        if not chunk.endswith("\n"):
            raise ValueError(f"oracle output for {m.group(1)} does not end with a newline")
        out[m.group(1)] = chunk[:-1]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="topologies to run (default: all)")
    parser.add_argument("--check", action="store_true", help="compare with the fixtures instead of writing them")
    parser.add_argument("--out", type=Path, default=FIXTURES, help="fixture directory (default: %(default)s)")
    args = parser.parse_args(argv)
    texts = run(args.names)
    args.out.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, text in texts.items():
        path = args.out / f"{name}.txt"
        data = text.encode("utf-8")
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        elif not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            print(f"wrote {path}")
    if stale:
        print("fixtures differing from the oracle: " + ", ".join(stale), file=sys.stderr)
        return 1
    print(f"{len(texts)} topologies {'checked' if args.check else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
