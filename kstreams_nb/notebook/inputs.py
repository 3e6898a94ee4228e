"""Turning what a notebook has at hand (tuples, plain values, pandas DataFrames) into records.

Used by :func:`~kstreams_nb.notebook.preview` and :func:`~kstreams_nb.notebook.produce`. A topic's records may be
given as:

* a pandas DataFrame with ``key``, ``value`` and optional ``timestamp`` columns; a DataFrame without a ``value``
  column gives one record per row, whose value is the row as a dict (the key is None);
* a list of :class:`~kstreams_nb.records.Record` objects (:func:`records` builds them from tuples);
* a list of plain values (keys are None).

Records without a timestamp get their position in the topic's list (0, 1, 2, ...). numpy and pandas scalars become
plain Python values, inside dicts and lists too (``np.int64`` -> int, ``pd.Timestamp`` -> epoch milliseconds, NaN,
NaT and ``pd.NA`` -> None), so the JSON serdes can write them.

Example::

    >>> [tuple(r)[:3] for r in records([("a", 1), ("b", 2, 50)])]
    [('a', 1, 0), ('b', 2, 50)]
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from kstreams_nb.records import EMPTY_HEADERS, Record

__all__ = ["coerce_records", "plain", "records"]

_SCALARS = (str, int, bool, bytes, type(None))
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def plain(value: Any) -> Any:
    """``value`` with numpy/pandas scalars replaced by plain Python values, recursively.

    Example::

        >>> import numpy as np
        >>> plain({"n": np.int64(3), "xs": [np.float64(0.5), float("nan")]})
        {'n': 3, 'xs': [0.5, None]}
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is float:
        return None if math.isnan(value) else value
    if kind is dict:
        return {plain(k): plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return kind(plain(v) for v in value)
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    if isinstance(value, _dt.datetime):  # pd.Timestamp is a datetime
        if _is_missing(value):  # pd.NaT
            return None
        return _datetime_ms(value)
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    module = type(value).__module__
    if module.startswith(("numpy", "pandas")):
        if _is_missing(value):
            return None
        if type(value).__name__.startswith("datetime64"):
            return _numpy_datetime_ms(value)
        if hasattr(value, "tolist"):  # numpy scalars and arrays
            return plain(value.tolist())
        if hasattr(value, "to_pydatetime"):
            return _datetime_ms(value.to_pydatetime())
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    return value


def _is_missing(value: Any) -> bool:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency of the notebook layer
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _datetime_ms(value: _dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return int((value - _EPOCH) // _dt.timedelta(milliseconds=1))


def _numpy_datetime_ms(value: Any) -> int:
    import numpy as np

    return int(value.astype("datetime64[ms]").astype(np.int64))


def _timestamp(value: Any, default: int, what: str) -> int:
    value = plain(value)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what}: a timestamp must be epoch milliseconds (an int) or a datetime, got {value!r}")
    if value < 0:
        raise ValueError(f"{what}: a timestamp must not be negative, got {value}")
    return int(value)


def records(items: Iterable[Any]) -> list[Record]:
    """Records from ``(key, value)`` or ``(key, value, timestamp)`` tuples; a missing timestamp is the position.

    Example::

        >>> [r.timestamp for r in records([("k", "v"), ("k", "w", 100), ("k", "x")])]
        [0, 100, 2]
    """
    out: list[Record] = []
    for i, item in enumerate(items):
        if isinstance(item, Record):
            out.append(item)
            continue
        if not isinstance(item, tuple) or len(item) not in (2, 3):
            raise TypeError(
                f"records(): item {i} is {item!r}; give (key, value) or (key, value, timestamp) tuples"
            )
        ts = _timestamp(item[2], i, f"records(): item {i}") if len(item) == 3 else i
        out.append(Record._unchecked(plain(item[0]), plain(item[1]), ts, EMPTY_HEADERS))
    return out


def coerce_records(data: Any, topic: str = "?", *, stamped: bool = True) -> list[Record]:
    """The records of one topic given as a DataFrame, a list of Records or a list of plain values.

    A record given without a timestamp gets its position, or -1 when not ``stamped`` (a producer then stamps it).

    Example::

        >>> import pandas as pd
        >>> [tuple(r)[:3] for r in coerce_records(pd.DataFrame({"user": ["ann"], "n": [1]}), "t")]
        [(None, {'user': 'ann', 'n': 1}, 0)]
    """
    if isinstance(data, Record):
        raise TypeError(f"inputs for topic {topic!r}: give a list of records, not a single Record")
    if hasattr(data, "columns") and hasattr(data, "itertuples"):
        return _from_frame(data, topic, stamped)
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise TypeError(
            f"inputs for topic {topic!r}: expected a DataFrame or a list (of Records or plain values), "
            f"got {type(data).__name__}"
        )
    out: list[Record] = []
    for i, item in enumerate(data):
        if isinstance(item, Record):
            out.append(item)
        else:
            out.append(Record._unchecked(None, plain(item), i if stamped else -1, EMPTY_HEADERS))
    return out


def _from_frame(frame: Any, topic: str, stamped: bool) -> list[Record]:
    columns = [str(c) for c in frame.columns]
    n = len(frame)
    if "value" not in columns:
        rows = frame.to_dict("records")
        return [Record._unchecked(None, plain(row), i if stamped else -1, EMPTY_HEADERS) for i, row in enumerate(rows)]
    values = [plain(v) for v in frame["value"].tolist()]
    keys = [plain(k) for k in frame["key"].tolist()] if "key" in columns else [None] * n
    if "timestamp" in columns:
        times = _frame_times(frame["timestamp"], topic, stamped)
    else:
        times = list(range(n)) if stamped else [-1] * n
    return [Record._unchecked(keys[i], values[i], times[i], EMPTY_HEADERS) for i in range(n)]


def _frame_times(column: Any, topic: str, stamped: bool) -> list[int]:
    kind = str(getattr(column, "dtype", ""))
    if kind.startswith("datetime64"):
        import pandas as pd

        column = [None if pd.isna(t) else int(t.value // 1_000_000) for t in pd.to_datetime(column, utc=True)]
    else:
        column = column.tolist()
    return [_timestamp(t, i if stamped else -1, f"inputs for topic {topic!r}, row {i}") for i, t in enumerate(column)]
