"""Rows to pandas DataFrames and small HTML tables (pandas is imported inside the functions)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from kstreams_nb.dsl.table import Change
from kstreams_nb.records import Record, Windowed
from kstreams_nb.state import ValueAndTimestamp

__all__ = ["frame", "html_table", "node_frame", "store_rows"]

LINEAGE = ("input", "input_topic", "input_offset")


#: columns holding user data: kept as Python objects (None stays None, 1 stays an int beside "a")
_OBJECT_COLUMNS = frozenset({"key", "value", "old_value"})


def frame(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> Any:
    """A DataFrame of ``rows`` (an empty one keeps its columns); user keys and values keep their Python types."""
    import pandas as pd

    cols = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    data = {
        name: pd.Series(list(values), dtype=object if name in _OBJECT_COLUMNS or not values else None)
        for name, values in zip(columns, cols, strict=True)
    }
    return pd.DataFrame(data, columns=list(columns))


def _split_key(key: Any) -> tuple[Any, Any, Any]:
    if isinstance(key, Windowed):
        return key.key, key.window.start, key.window.end
    return key, None, None


def node_frame(rows: Iterable[tuple[int, Record]], lineage: Sequence[tuple[str, int]]) -> Any:
    """One node's rows (what it sent on, or what it received): key, value, timestamp, lineage; windowed keys
    are split into key and window start/end, table updates (``Change``) into value and ``old_value``."""
    out: list[list[Any]] = []
    windowed = changes = False  # columns shown only when some row needs them
    no_lineage = (None, None)
    for index, record in rows:
        key, value = record[0], record[1]
        start = end = old = None
        if type(key) is Windowed:
            key, start, end = _split_key(key)
            windowed = True
        if type(value) is Change:
            value, old = value.new, value.old
            changes = changes or old is not None
        topic, offset = lineage[index] if 0 <= index < len(lineage) else no_lineage
        out.append([key, value, record[2], index, topic, offset, start, end, old])
    columns = ["key", "value", "timestamp", *LINEAGE, "window_start", "window_end", "old_value"]
    df = frame(out, columns)
    drop = ([] if windowed else ["window_start", "window_end"]) + ([] if changes else ["old_value"])
    return df.drop(columns=drop) if drop else df


def store_rows(store: Any) -> tuple[list[list[Any]], bool]:
    """Every entry of a key-value or window store as ``[key, value, timestamp, window_start, window_end]``;
    True when the store is windowed."""
    out: list[list[Any]] = []
    windowed = False
    all_entries = getattr(store, "all", None)
    if all_entries is None:
        return out, windowed
    with all_entries() as entries:
        for key, value in entries:
            timestamp = None
            if isinstance(value, ValueAndTimestamp):
                value, timestamp = value.value, value.timestamp
            if isinstance(key, Windowed):
                windowed = True
            k, start, end = _split_key(key)
            out.append([k, value, timestamp, start, end])
    return out, windowed


def html_table(df: Any, title: str, max_rows: int, css_class: str = "") -> str:
    """A titled, size-limited HTML table of ``df`` (deterministic: no ids, no styles)."""
    shown = df.head(max_rows)
    more = len(df) - len(shown)
    first = f", first {max_rows}" if more > 0 else ""
    caption = f"<b>{html.escape(title)}</b> <small>({len(df)} rows{first})</small>"
    table = shown.to_html(index=False, border=0, classes=css_class or None, na_rep="", escape=True)
    return f"<div>{caption}{table}</div>"
