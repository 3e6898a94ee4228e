"""Replay coverage: a whole run of the semantics suite replays at least as many sessions as it did before.

The conftest moves this test to the end of the run and counts, per guarantee, the driver sessions it replayed on
KafkaStreams (see ``conftest.py`` and ``_replay.py``). Runs that select only part of the suite (paths, ``-k``,
``--deselect``) are not counted.
"""

from __future__ import annotations

import pytest

from ._replay import COVERAGE, MIN_REPLAYED_SESSIONS
from .conftest import REPLAY


def test_replay_coverage(replay_guarantee: str) -> None:
    if not REPLAY:
        pytest.skip("replay is off (KSTREAMS_NB_REPLAY=0)")
    if not COVERAGE.whole_suite():
        pytest.skip(
            f"only a run of the whole semantics suite is counted ({COVERAGE.deselected} tests deselected, "
            f"files not collected: {sorted(COVERAGE.files_missing)[:3]})"
        )
    replayed = COVERAGE.replayed[replay_guarantee]
    assert replayed >= MIN_REPLAYED_SESSIONS, (
        f"{replayed} semantics sessions were replayed on KafkaStreams under {replay_guarantee}, fewer than "
        f"{MIN_REPLAYED_SESSIONS}: a case stopped being replayed (see the runtime_replay property of each test)"
    )
