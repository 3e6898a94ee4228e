"""Input coercion for previews and produce(): tuples, plain values, Records, DataFrames, numpy/pandas scalars."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kstreams_nb.notebook.inputs import coerce_records, plain, records
from kstreams_nb.records import Record


def triples(recs: list[Record]) -> list[tuple[object, object, int]]:
    return [(r.key, r.value, r.timestamp) for r in recs]


def test_records_from_tuples_default_timestamps_to_positions() -> None:
    assert triples(records([("a", 1), ("b", 2, 50), ("c", 3)])) == [("a", 1, 0), ("b", 2, 50), ("c", 3, 2)]


def test_records_refuses_what_is_not_a_pair_or_triple() -> None:
    with pytest.raises(TypeError, match=r"item 1 is 'x'.*\(key, value\)"):
        records([("a", 1), "x"])
    with pytest.raises(ValueError, match="must not be negative"):
        records([("a", 1, -5)])


def test_plain_values_get_null_keys_and_positions() -> None:
    assert triples(coerce_records(["x", "y"], "t")) == [(None, "x", 0), (None, "y", 1)]


def test_a_list_of_records_is_kept() -> None:
    given = [Record("k", "v", 7)]
    assert coerce_records(given, "t") == given


def test_dataframe_with_key_value_timestamp_columns() -> None:
    df = pd.DataFrame({"key": ["a", None], "value": [{"n": 1}, {"n": 2}], "timestamp": [100, 200]})
    assert triples(coerce_records(df, "t")) == [("a", {"n": 1}, 100), (None, {"n": 2}, 200)]


def test_dataframe_without_value_column_gives_one_dict_value_per_row_not_column_names() -> None:
    df = pd.DataFrame({"user": ["ann", "bob"], "amount": [np.int64(3), np.int64(4)]})
    recs = coerce_records(df, "t")
    assert triples(recs) == [(None, {"user": "ann", "amount": 3}, 0), (None, {"user": "bob", "amount": 4}, 1)]
    assert type(recs[0].value["amount"]) is int


def test_datetime_timestamp_column_becomes_epoch_ms() -> None:
    times = pd.to_datetime(["1970-01-01 00:00:01.000", "1970-01-01 00:00:02.500"])
    df = pd.DataFrame({"value": [1, 2], "timestamp": times})
    assert [r.timestamp for r in coerce_records(df, "t")] == [1000, 2500]


def test_numpy_and_pandas_scalars_become_plain_python_recursively() -> None:
    value = {
        "i": np.int64(3),
        "f": np.float64(0.5),
        "b": np.bool_(True),
        "nan": np.float64("nan"),
        "na": pd.NA,
        "nat": pd.NaT,
        "when": pd.Timestamp("1970-01-01 00:00:01"),
        "arr": np.array([1, 2]),
        "nested": [{"x": np.int32(1)}],
    }
    out = plain(value)
    assert out == {"i": 3, "f": 0.5, "b": True, "nan": None, "na": None, "nat": None, "when": 1000, "arr": [1, 2],
                   "nested": [{"x": 1}]}
    assert [type(out[k]) for k in ("i", "f", "b")] == [int, float, bool]
    json.dumps(out)  # the JSON serdes can write it


def test_unstamped_records_leave_the_timestamp_to_the_producer() -> None:
    assert [r.timestamp for r in coerce_records(["x"], "t", stamped=False)] == [-1]
    assert [r.timestamp for r in coerce_records(pd.DataFrame({"value": [1]}), "t", stamped=False)] == [-1]


@pytest.mark.parametrize("bad", ["text", {"a": 1}, 5])
def test_inputs_that_are_not_lists_or_frames_are_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="inputs for topic 't'"):
        coerce_records(bad, "t")
