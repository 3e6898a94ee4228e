"""Fixtures shared by every test directory: one real Apache Kafka broker for the whole session, and an IPython shell.

When the broker cannot start (no Java, no Maven, no network for the first download) the tests that need it are
skipped, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest
from integration._kafka import DEADLINE, admin

from kstreams_nb.state import directory
from kstreams_nb.testing.kafka import LocalKafka

_state_dirs = itertools.count()


@pytest.fixture(autouse=True)
def _own_default_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's default ``state.dir`` (Kafka's: kafka-streams under the temp directory) is its own. Tests reuse
    application ids ("app", the replay's numbered ones), so a persistent store an earlier test or an earlier run
    left behind would otherwise be opened again, and its records joined or counted twice."""
    path = tmp_path_factory.getbasetemp() / f"state-{next(_state_dirs)}" / "kafka-streams"
    monkeypatch.setattr(directory, "default_state_dir", lambda: path)


def unavailable(reason: str) -> None:
    """Skip the test (fail it in CI, where the broker must run) because the broker is unavailable."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the local Kafka broker must run in CI: {reason}")
    pytest.skip(f"local Kafka broker unavailable: {reason}")


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """The session's broker (a started :class:`LocalKafka`), stopped at the end of the session."""
    kafka = LocalKafka(data_dir=tmp_path_factory.mktemp("kafka"))
    try:
        kafka.start()
        admin(kafka).list_topics(timeout=DEADLINE)  # serves metadata to confluent-kafka clients
    except Exception as e:  # any failure to start means "no broker here"
        kafka.stop()
        unavailable(f"{type(e).__name__}: {e}")
    try:
        yield kafka
    finally:
        kafka.stop()


@pytest.fixture
def ipython_shell() -> Iterator[Any]:
    """A terminal IPython shell of this interpreter (history in memory), cleared after the test."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from kstreams_nb.notebook import _cells

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    try:
        yield shell
    finally:
        InteractiveShell.clear_instance()
        _cells._watchers.pop(shell, None)
