"""The TopologyTestDriver's own state directory (no ``state.dir`` given): removed on close, and also when a driver
that was never closed is collected, so notebook re-runs and forgotten drivers leave nothing in the temp directory."""

from __future__ import annotations

import gc
import os

from kstreams_nb import Serdes, TopologyTestDriver
from kstreams_nb.dsl import Consumed, Materialized, StreamsBuilder
from kstreams_nb.state import Stores

S = Serdes.string()


def _persistent_count() -> object:
    b = StreamsBuilder()
    b.stream("in", Consumed.with_(S, S)).group_by_key().count(
        Materialized.as_(Stores.persistent_key_value_store("counts")))
    return b.build()


def test_closed_driver_removes_its_own_state_dir() -> None:
    driver = TopologyTestDriver(_persistent_count())
    path = driver.config["state.dir"]
    driver.create_input_topic("in", S, S).pipe_input("a", "1")
    assert os.path.isdir(path)
    driver.close()
    assert not os.path.exists(path)


def test_unclosed_driver_removes_its_own_state_dir_when_collected() -> None:
    driver = TopologyTestDriver(_persistent_count())
    path = driver.config["state.dir"]
    driver.create_input_topic("in", S, S).pipe_input("a", "1")
    assert os.path.isdir(path)
    del driver
    gc.collect()
    assert not os.path.exists(path)


def test_given_state_dir_is_left_in_place(tmp_path: os.PathLike[str]) -> None:
    with TopologyTestDriver(_persistent_count(), {"state.dir": str(tmp_path)}) as driver:
        driver.create_input_topic("in", S, S).pipe_input("a", "1")
    assert os.path.isdir(tmp_path)
