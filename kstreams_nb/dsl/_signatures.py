"""Option objects passed positionally: Kafka's overloads, and a TypeError naming the keyword for the rest.

Kafka writes ``count(Materialized.as("counts"))``: its overload sets (``count()``, ``count(Named)``,
``count(Materialized)``, ``count(Named, Materialized)``) become one Python signature whose first option is
``named``. Where Kafka has the ``X(..., Materialized)`` overload, a Materialized in the ``named`` position is taken
as the materialized (:func:`named_and_materialized`); any other option object in the wrong position gets a
TypeError that names the keyword to pass it by (:func:`expect`), rather than an AttributeError later on.

Example::

    >>> from kstreams_nb.dsl import StreamsBuilder, Materialized, Grouped
    >>> grouped = StreamsBuilder().stream("words").group_by_key()
    >>> grouped.count(Materialized.as_("counts")).queryable_store_name()
    'counts'
    >>> grouped.count(Grouped.as_("g"))
    Traceback (most recent call last):
    ...
    TypeError: count() got a Grouped as 'named', which takes a Named or str; count() has no place for a Grouped
"""

from __future__ import annotations

import inspect
from typing import Any

from kstreams_nb.dsl.options import (
    Branched,
    Consumed,
    Grouped,
    Joined,
    Materialized,
    Named,
    Printed,
    Produced,
    Repartitioned,
    StreamJoined,
)

__all__ = ["expect", "named_and_materialized"]

#: option class -> the keyword DSL methods take it by
_KEYWORDS: dict[type, str] = {
    Branched: "branched",
    Consumed: "consumed",
    Grouped: "grouped",
    Joined: "joined",
    Materialized: "materialized",
    Named: "named",
    Printed: "printed",
    Produced: "produced",
    Repartitioned: "repartitioned",
    StreamJoined: "stream_joined",
}


def _public_caller() -> tuple[str, set[str]]:
    """The DSL method the user called (the first frame out of private helpers) and its parameter names.

    Used on the error path only.
    """
    frame = inspect.currentframe()
    while frame is not None and (frame.f_code.co_name.startswith("_") or frame.f_code.co_filename == __file__):
        frame = frame.f_back
    if frame is None:
        return "this operation", set()
    name = frame.f_code.co_name
    owner = frame.f_locals.get("self")
    method = getattr(type(owner), name, None) if owner is not None else None
    return name, set(inspect.signature(method).parameters) if callable(method) else set()


def expect(param: str, value: Any, *types: type) -> None:
    """Raise a TypeError naming the right keyword unless ``value`` is None or one of ``types``."""
    if value is None or isinstance(value, types):
        return
    method, params = _public_caller()
    wanted = " or ".join(t.__name__ for t in types)
    got = type(value).__name__
    keyword = _KEYWORDS.get(type(value))
    if keyword is not None and keyword in params and keyword != param:
        hint = f"pass it by keyword: {method}(..., {keyword}={got}...)"
    elif keyword is not None:
        hint = f"{method}() has no place for {_a(got)}"
    else:
        hint = f"got {value!r}"
    raise TypeError(f"{method}() got {_a(got)} as {param!r}, which takes {_a(wanted)}; {hint}")


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def named_and_materialized(
    named: Named | str | None, materialized: Materialized | None
) -> tuple[Named | str | None, Materialized | None]:
    """Kafka's ``X(..., Materialized)`` overload: a Materialized given where ``named`` stands is the materialized."""
    if isinstance(named, Materialized) and materialized is None:
        named, materialized = None, named
    expect("named", named, Named, str)
    expect("materialized", materialized, Materialized)
    return named, materialized
