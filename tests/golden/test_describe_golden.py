"""Golden describe() texts: kstreams_nb prints exactly what Kafka Streams 4.4.0 prints for the same topology.

The fixtures in tests/golden/describe/ were written by the Java oracle (tests/java, run through
tests/java/run_oracle.py); test_oracle_matches_fixtures re-runs it to prove they still are its output.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "describe"


def _load(name: str, path: Path) -> ModuleType:
    """Import a helper file by path (tests/ is not a package), registered under a unique module name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


topologies = _load("kstreams_nb_golden_topologies", HERE / "topologies.py")
FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.txt"))


def _fixture(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8")


def test_every_fixture_has_a_topology_and_back() -> None:
    assert FIXTURE_NAMES, "no golden fixtures found"
    assert sorted(topologies.TOPOLOGIES) == FIXTURE_NAMES


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_describe_matches_kafka(name: str) -> None:
    topology = topologies.TOPOLOGIES[name]()
    assert str(topology.describe()) == _fixture(name)


def test_empty_topology_prints_the_bare_header() -> None:
    assert str(topologies.empty().describe()) == "Topologies:\n "
    assert _fixture("empty") == "Topologies:\n "


def test_describe_is_repeatable() -> None:
    topology = topologies.random_dag(5, 35)
    assert str(topology.describe()) == str(topology.describe())
    assert topology.describe() == topology.describe()


@pytest.mark.java
def test_oracle_matches_fixtures() -> None:
    """Run Kafka Streams itself; its texts must be the committed fixtures, byte for byte."""
    oracle = _load("kstreams_nb_run_oracle", HERE.parent / "java" / "run_oracle.py")
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        texts = oracle.run()
    except oracle.OracleUnavailable as exc:
        if in_ci:
            pytest.fail(f"the Kafka Streams oracle must run in CI: {exc}")
        pytest.skip(f"Kafka Streams oracle unavailable: {exc}")
    assert sorted(texts) == FIXTURE_NAMES
    stale = [name for name, text in texts.items() if text != _fixture(name)]
    assert not stale, f"fixtures differ from the oracle (run python tests/java/run_oracle.py): {stale}"
