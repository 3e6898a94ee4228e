"""Fixtures of the runtime tests: a fresh embedded broker per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker

from ._support import fresh_broker


@pytest.fixture
def broker() -> Iterator[tuple[str, EmbeddedBroker]]:
    """A fresh embedded broker (name, broker), forgotten after the test."""
    name, b = fresh_broker()
    yield name, b
    EmbeddedBroker.drop(name)
