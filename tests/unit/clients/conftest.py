"""Fixtures and helpers for the embedded broker tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kstreams_nb._time import ManualClock
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier, MemoryConsumer

from ._helpers import Ticker


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_000)


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def broker(clock: ManualClock, ticker: Ticker) -> EmbeddedBroker:
    return EmbeddedBroker("test", clock=clock, ticker=ticker)


@pytest.fixture
def supplier(broker: EmbeddedBroker) -> MemoryClientSupplier:
    return MemoryClientSupplier(broker)


@pytest.fixture
def consumers(supplier: MemoryClientSupplier) -> Iterator[list[MemoryConsumer]]:
    """Consumers made by a test through ``consumers.append``; closed afterwards."""
    made: list[MemoryConsumer] = []
    yield made
    for c in made:
        c.close()
