"""Fixtures for the state-store unit tests."""

from __future__ import annotations

import pytest
from _state_fakes import FakeContext


@pytest.fixture
def ctx() -> FakeContext:
    return FakeContext()
