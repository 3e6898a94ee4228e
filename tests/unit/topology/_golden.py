"""The golden topologies (tests/golden/topologies.py) and their describe() fixtures, for the picture tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
FIXTURES = GOLDEN / "describe"
FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.txt"))


def topologies() -> ModuleType:
    """tests/golden/topologies.py, imported once under the name tests/golden/test_describe_golden.py uses."""
    name = "kstreams_nb_golden_topologies"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN / "topologies.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def fixture(name: str) -> str:
    """The describe() text Kafka Streams printed for golden topology ``name``."""
    return (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8")
