"""Java collection emulation behind describe(): String.hashCode/compareTo, HashSet order, TreeSet shape.

Expected orders come from the Kafka Streams oracle's own output (tests/golden/describe/*.txt, written by
tests/java/run_oracle.py), never from this emulation.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from kstreams_nb.topology._java import (
    JavaHashSet,
    JavaTreeSet,
    compare_strings,
    java_collection_str,
    string_hash,
    to_int32,
)

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "describe"


def _bracketed(fixture: str, prefix: str, field: str) -> list[str]:
    """The ``[a, b]`` list after ``field`` on the line of ``fixture`` starting with ``prefix``."""
    text = (GOLDEN / f"{fixture}.txt").read_text(encoding="utf-8")
    line = next(x.strip() for x in text.splitlines() if x.strip().startswith(prefix))
    m = re.search(re.escape(field) + r": \[(.*)\]\)$", line)
    assert m is not None, line
    return m.group(1).split(", ")


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("hello", 99162322),
        ("", 0),
        ("a", 97),
        ("Aa", 2112),
        ("BB", 2112),
        ("polygenelubricants", -2147483648),  # the famous Integer.MIN_VALUE hash
        ("\U0001f600", 0xD83D * 31 + 0xDE00),  # a surrogate pair: two UTF-16 code units
    ],
)
def test_string_hash_is_java_string_hashcode(s: str, expected: int) -> None:
    assert string_hash(s) == expected


def test_to_int32_wraps() -> None:
    assert to_int32(2**31) == -(2**31)
    assert to_int32(-1) == -1
    assert to_int32(2**32 + 5) == 5


def test_compare_strings_uses_utf16_code_units() -> None:
    assert compare_strings("a", "b") == -1
    assert compare_strings("abc", "ab") == 1
    assert compare_strings("same", "same") == 0
    assert compare_strings("B", "a") < 0  # upper case sorts first, as in Java
    # Python orders U+1F600 after U+FFFF; Java compares the high surrogate U+D83D with U+FFFF
    assert "\U0001f600" > "\uffff"
    assert compare_strings("\U0001f600", "\uffff") < 0


def test_hash_set_orders_as_java_for_source_topics() -> None:
    topics = ["topic-a", "topic-b", "input", "zzz", "A1"]
    expected = _bracketed("many_topics", "Source: multi", "topics")
    assert list(JavaHashSet.copy_of(topics)) == expected == ["A1", "input", "topic-a", "zzz", "topic-b"]


def test_hash_set_orders_as_java_for_store_names() -> None:
    assert list(JavaHashSet(["store-one", "store-two"])) == _bracketed("two_stores_two_sinks", "Processor:", "stores")
    thirteen = [f"store-{i:02d}" for i in range(13)]
    twelve = ["Twelve" + chr(ord("A") + i) for i in range(12)]
    assert list(JavaHashSet.copy_of(JavaHashSet(thirteen))) == _bracketed(
        "many_stores", "Processor: thirteen", "stores"
    )
    assert list(JavaHashSet.copy_of(JavaHashSet(twelve))) == _bracketed("many_stores", "Processor: twelve", "stores")


def test_hash_set_non_bmp_topics() -> None:
    topics = ["t\u00f6pic", "\U0001f600-topic", "\uffff-topic"]
    assert list(JavaHashSet.copy_of(topics)) == _bracketed("unicode_names", "Source:", "topics")


def test_hash_set_capacity_grows_past_three_quarters() -> None:
    s = JavaHashSet(f"k{i}" for i in range(12))
    assert s.capacity == 16
    s.add("k12")
    assert s.capacity == 32
    assert JavaHashSet().capacity == 0
    # new HashSet<>(collection) sizes its table as max((int) (n / .75f) + 1, 16)
    assert JavaHashSet.copy_of(f"k{i}" for i in range(12)).capacity == 32
    assert JavaHashSet.copy_of(["a"]).capacity == 16


def test_hash_set_ninth_collision_resizes_a_small_table() -> None:
    colliding = ["".join(p) for p in itertools.product(["Aa", "BB"], repeat=4)][:9]
    assert len({string_hash(c) for c in colliding}) == 1
    s = JavaHashSet(colliding[:8])
    assert s.capacity == 16
    s.add(colliding[8])  # HashMap.treeifyBin on a table under 64 resizes instead
    assert s.capacity == 32
    others = ["topic-a", "input", "zzz", "A1", "x1", "orders", "payments"]
    assert list(JavaHashSet.copy_of(colliding + others)) == _bracketed("hash_collisions", "Source:", "topics")


def test_hash_set_basics() -> None:
    s = JavaHashSet(["b", "a"])
    assert s.add("c") is True
    assert s.add("a") is False
    assert len(s) == 3
    assert "a" in s and "z" not in s and 1 not in s
    assert str(s) == "[a, b, c]"
    assert java_collection_str([]) == "[]"
    assert repr(s) == "JavaHashSet(['a', 'b', 'c'])"


def test_tree_set_with_consistent_comparator_sorts() -> None:
    s = JavaTreeSet[int](lambda a, b: a - b)
    for x in [5, 3, 8, 1, 4, 7, 9, 2, 6, 5]:
        s.add(x)
    assert list(s) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert len(s) == 9


def test_tree_set_keeps_the_shape_java_leaves_when_keys_change() -> None:
    # Kafka's node comparator reads sizes that grow after insertion; the tree is not re-sorted
    size = {"a": 1, "b": 1, "c": 1}

    def cmp(x: str, y: str) -> int:
        return (size[y] - size[x]) or compare_strings(x, y)

    s = JavaTreeSet[str](cmp)
    s.add("b")
    s.add("c")
    size["c"] = 5  # c now "belongs" before b, but stays where it was inserted
    s.add("a")
    assert list(s) == ["a", "b", "c"]


def test_tree_set_rotations_match_red_black_insertion() -> None:
    # ascending inserts: TreeMap rotates at the 3rd insert, so the root becomes 2
    s = JavaTreeSet[int](lambda a, b: a - b)
    for x in (1, 2, 3):
        s.add(x)
    assert s._root is not None and s._root.key == 2
    assert s._root.black and s._root.left is not None and not s._root.left.black
