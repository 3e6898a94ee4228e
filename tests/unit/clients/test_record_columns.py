"""The embedded broker's compact partition storage returns exactly the records appended, in any mix of null keys,
null or empty values and headers, across batches and for any index range."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kstreams_nb.clients.memory.storage import RecordColumns
from kstreams_nb.records import EMPTY_HEADERS, Headers

_bytes = st.one_of(st.none(), st.binary(max_size=12))
_headers = st.one_of(st.just(EMPTY_HEADERS), st.just(Headers()), st.builds(lambda v: Headers([("h", v)]), _bytes))
_record = st.tuples(_bytes, _bytes, st.integers(0, 2**40), _headers)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_record, max_size=20), max_size=5), st.data())
def test_records_come_back_as_appended(batches: list[list[tuple]], data: st.DataObject) -> None:
    cols = RecordColumns()
    appended = []
    for batch in batches:
        cols.extend(len(appended), batch)
        appended.extend(batch)
    assert len(cols) == len(appended)
    lo = data.draw(st.integers(0, len(appended)))
    hi = data.draw(st.integers(lo, len(appended)))
    got = cols.records("t", 3, lo, hi)
    assert [(r.topic, r.partition, r.offset) for r in got] == [("t", 3, i) for i in range(lo, hi)]
    assert [(r.key, r.value, r.timestamp, r.headers) for r in got] == [
        (k, v, ts, h if h else EMPTY_HEADERS) for k, v, ts, h in appended[lo:hi]
    ]
    assert list(cols.keys(lo, hi)) == [k for k, *_ in appended[lo:hi]]
