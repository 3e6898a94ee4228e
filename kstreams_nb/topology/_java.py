"""Just enough of Java's collections to print what Kafka Streams prints.

Kafka's ``describe()`` text depends on the iteration order of ``java.util.HashSet``/``HashMap`` (topics, store
names, nodes) and on ``java.util.TreeSet`` filled with a comparator whose answers change after insertion (node
sizes grow while the description is being built). Reproducing the text byte for byte therefore needs:

- :func:`string_hash` and :func:`compare_strings`: ``String.hashCode`` and ``String.compareTo`` (both work on
  UTF-16 code units, not code points);
- :class:`JavaHashSet`: a ``HashSet<String>`` (JDK 17 ``HashMap``: spread ``h ^ (h >>> 16)``, a power-of-two
  table from 16 doubling past 0.75 load or when a bin grows past 8 entries in a table under 64, new entries at a
  bin's tail, resize splitting bins in order). Bins that Java turns into trees (more than 8 colliding entries
  in a table of 64 or more) are not emulated: their order may differ;
- :class:`JavaTreeSet`: ``TreeSet`` as the red-black tree of ``TreeMap.put``/``fixAfterInsertion``, so that a
  comparator evaluated at insertion time leaves exactly the tree shape, and hence the in-order iteration,
  Java leaves.

Example::

    >>> string_hash("hello")
    99162322
    >>> list(JavaHashSet(["topic-a", "topic-b", "input", "zzz", "A1"]))
    ['A1', 'input', 'topic-a', 'zzz', 'topic-b']
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["JavaHashSet", "JavaTreeSet", "compare_strings", "java_collection_str", "string_hash", "to_int32"]

T = TypeVar("T")

_MAXIMUM_CAPACITY = 1 << 30
_DEFAULT_CAPACITY = 16
_TREEIFY_THRESHOLD = 8
_MIN_TREEIFY_CAPACITY = 64


def to_int32(value: int) -> int:
    """Wrap ``value`` to a signed 32-bit int, as Java ``int`` arithmetic does.

    >>> to_int32(2**31)
    -2147483648
    """
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _utf16_units(s: str) -> bytes:
    return s.encode("utf-16-be", "surrogatepass")


def string_hash(s: str) -> int:
    """Java's ``String.hashCode()``: ``s[0]*31^(n-1) + ... + s[n-1]`` over UTF-16 code units, as an int.

    >>> string_hash("hello"), string_hash("")
    (99162322, 0)
    """
    units = _utf16_units(s)
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + ((units[i] << 8) | units[i + 1])) & 0xFFFFFFFF
    return to_int32(h)


def compare_strings(a: str, b: str) -> int:
    """Java's ``String.compareTo``: negative, zero or positive, comparing UTF-16 code units.

    It differs from Python's ordering for characters outside the BMP (a surrogate pair sorts before U+FFFF).

    >>> compare_strings("\\U0001F600", "\\uffff") < 0
    True
    """
    ua, ub = _utf16_units(a), _utf16_units(b)
    for i in range(0, min(len(ua), len(ub)), 2):
        ca = (ua[i] << 8) | ua[i + 1]
        cb = (ub[i] << 8) | ub[i + 1]
        if ca != cb:
            return ca - cb
    return (len(ua) - len(ub)) // 2


def _spread(s: str) -> int:
    h = string_hash(s) & 0xFFFFFFFF
    return h ^ (h >> 16)


def _table_size_for(capacity: int) -> int:
    n = 1
    while n < capacity:
        n <<= 1
    return min(n, _MAXIMUM_CAPACITY)


def _float32(value: float) -> float:
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def java_collection_str(items: Iterable[str]) -> str:
    """``AbstractCollection.toString()``: ``[a, b, c]``."""
    return "[" + ", ".join(items) + "]"


class JavaHashSet:
    """A ``java.util.HashSet<String>`` that iterates in Java's order.

    ``JavaHashSet(items)`` behaves like ``new HashSet<>()`` followed by ``add`` of each item in turn;
    :meth:`copy_of` behaves like ``new HashSet<>(collection)`` (which sizes its table from the collection).

    >>> s = JavaHashSet(["store-one", "store-two"])
    >>> str(s)
    '[store-two, store-one]'
    """

    def __init__(self, items: Iterable[str] = (), *, initial_capacity: int | None = None) -> None:
        self._table: list[list[tuple[int, str]]] | None = None
        self._threshold = 0 if initial_capacity is None else _table_size_for(initial_capacity)
        self._size = 0
        for item in items:
            self.add(item)

    @classmethod
    def copy_of(cls, items: Iterable[str]) -> JavaHashSet:
        """``new HashSet<>(collection)``: capacity ``max((int) (n / .75f) + 1, 16)``, then ``addAll``."""
        seq = list(items)
        capacity = max(int(_float32(len(seq) / 0.75)) + 1, _DEFAULT_CAPACITY)
        return cls(seq, initial_capacity=capacity)

    @property
    def capacity(self) -> int:
        """The current table length (0 before the first ``add``)."""
        return 0 if self._table is None else len(self._table)

    def _resize(self) -> list[list[tuple[int, str]]]:
        old = self._table
        old_cap = 0 if old is None else len(old)
        old_thr = self._threshold
        new_thr = 0
        if old_cap > 0:
            if old_cap >= _MAXIMUM_CAPACITY:
                self._threshold = 0x7FFFFFFF
                assert old is not None
                return old
            new_cap = old_cap << 1
            if new_cap < _MAXIMUM_CAPACITY and old_cap >= _DEFAULT_CAPACITY:
                new_thr = old_thr << 1
        elif old_thr > 0:
            new_cap = old_thr
        else:
            new_cap = _DEFAULT_CAPACITY
            new_thr = int(_DEFAULT_CAPACITY * 0.75)
        if new_thr == 0:
            ft = _float32(new_cap * 0.75)
            new_thr = int(ft) if new_cap < _MAXIMUM_CAPACITY and ft < _MAXIMUM_CAPACITY else 0x7FFFFFFF
        self._threshold = new_thr
        table: list[list[tuple[int, str]]] = [[] for _ in range(new_cap)]
        if old is not None:
            # Java splits each bin into a "lo" and a "hi" list keeping relative order; walking the old bins in
            # index order and appending gives the same lists.
            for bin_ in old:
                for entry in bin_:
                    table[entry[0] & (new_cap - 1)].append(entry)
        self._table = table
        return table

    def add(self, item: str) -> bool:
        """Add ``item``; False when it was already present (``HashSet.add``)."""
        table = self._table if self._table is not None else self._resize()
        h = _spread(item)
        bin_ = table[h & (len(table) - 1)]
        for eh, existing in bin_:
            if eh == h and existing == item:
                return False
        bin_.append((h, item))
        if len(bin_) > _TREEIFY_THRESHOLD and len(table) < _MIN_TREEIFY_CAPACITY:
            self._resize()  # treeifyBin() on a small table resizes instead
        self._size += 1
        if self._size > self._threshold:
            self._resize()
        return True

    def __iter__(self) -> Iterator[str]:
        if self._table is None:
            return
        for bin_ in self._table:
            for _, item in bin_:
                yield item

    def __len__(self) -> int:
        return self._size

    def __contains__(self, item: object) -> bool:
        if self._table is None or not isinstance(item, str):
            return False
        h = _spread(item)
        return any(eh == h and e == item for eh, e in self._table[h & (len(self._table) - 1)])

    def __str__(self) -> str:
        return java_collection_str(self)

    def __repr__(self) -> str:
        return f"JavaHashSet({list(self)!r})"


class _Entry(Generic[T]):
    __slots__ = ("black", "key", "left", "parent", "right")

    def __init__(self, key: T, parent: _Entry[T] | None) -> None:
        self.key = key
        self.parent = parent
        self.left: _Entry[T] | None = None
        self.right: _Entry[T] | None = None
        self.black = True


def _is_black(e: _Entry[T] | None) -> bool:
    return True if e is None else e.black


class JavaTreeSet(Generic[T]):
    """A ``java.util.TreeSet`` with a comparator: the exact red-black tree of JDK 17's ``TreeMap``.

    The comparator is called when an element is inserted, as in Java; when its answers change afterwards the
    iteration order is whatever the tree's shape makes it, as in Java.

    >>> s = JavaTreeSet[int](lambda a, b: a - b)
    >>> for x in (3, 1, 2, 1):
    ...     _ = s.add(x)
    >>> list(s)
    [1, 2, 3]
    """

    def __init__(self, comparator: Callable[[T, T], int]) -> None:
        self._cmp = comparator
        self._root: _Entry[T] | None = None
        self._size = 0

    def add(self, key: T) -> bool:
        """Insert ``key``; False when the comparator finds an equal element (``TreeSet.add``)."""
        t = self._root
        if t is None:
            self._cmp(key, key)  # TreeMap.put type-checks with compare(key, key)
            self._root = _Entry(key, None)
            self._size = 1
            return True
        while True:
            parent = t
            c = self._cmp(key, t.key)
            if c < 0:
                t = t.left
            elif c > 0:
                t = t.right
            else:
                return False
            if t is None:
                break
        e = _Entry(key, parent)
        if c < 0:
            parent.left = e
        else:
            parent.right = e
        self._fix_after_insertion(e)
        self._size += 1
        return True

    def _rotate_left(self, p: _Entry[T] | None) -> None:
        if p is None:
            return
        r = p.right
        assert r is not None
        p.right = r.left
        if r.left is not None:
            r.left.parent = p
        r.parent = p.parent
        if p.parent is None:
            self._root = r
        elif p.parent.left is p:
            p.parent.left = r
        else:
            p.parent.right = r
        r.left = p
        p.parent = r

    def _rotate_right(self, p: _Entry[T] | None) -> None:
        if p is None:
            return
        left = p.left
        assert left is not None
        p.left = left.right
        if left.right is not None:
            left.right.parent = p
        left.parent = p.parent
        if p.parent is None:
            self._root = left
        elif p.parent.right is p:
            p.parent.right = left
        else:
            p.parent.left = left
        left.right = p
        p.parent = left

    def _fix_after_insertion(self, x: _Entry[T]) -> None:
        x.black = False
        while x is not self._root and x.parent is not None and not x.parent.black:
            parent = x.parent
            grand = parent.parent
            assert grand is not None  # a red parent is never the root
            if parent is grand.left:
                uncle = grand.right
                if not _is_black(uncle):
                    assert uncle is not None
                    parent.black = True
                    uncle.black = True
                    grand.black = False
                    x = grand
                else:
                    if x is parent.right:
                        x = parent
                        self._rotate_left(x)
                    assert x.parent is not None and x.parent.parent is not None
                    x.parent.black = True
                    x.parent.parent.black = False
                    self._rotate_right(x.parent.parent)
            else:
                uncle = grand.left
                if not _is_black(uncle):
                    assert uncle is not None
                    parent.black = True
                    uncle.black = True
                    grand.black = False
                    x = grand
                else:
                    if x is parent.left:
                        x = parent
                        self._rotate_right(x)
                    assert x.parent is not None and x.parent.parent is not None
                    x.parent.black = True
                    x.parent.parent.black = False
                    self._rotate_left(x.parent.parent)
        assert self._root is not None
        self._root.black = True

    def __iter__(self) -> Iterator[T]:
        stack: list[_Entry[T]] = []
        node = self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            yield node.key
            node = node.right

    def __len__(self) -> int:
        return self._size
