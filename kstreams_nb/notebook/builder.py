"""Cell-safe builders: NotebookBuilder (the Streams DSL) and NotebookTopology (the Processor API).

Running a cell again replaces what that cell built, instead of adding a second copy. The builders record each call
as data, tagged with the cell that made it, and ``build()`` replays every cell, in the order the cells first ran,
into a fresh ``StreamsBuilder`` or ``Topology``: auto-generated names and ``describe()`` are those of a fresh
top-to-bottom run, however often and in whatever order the cells ran.

A cell is, in order: the block of an explicit ``with nb.cell("name"):``; the notebook cell, known by the
``cellId`` JupyterLab and Notebook 7 send, else by its source text (nbclient, nbval, a terminal IPython); or,
outside IPython, one cell for the whole script, where nothing is ever replaced (a script behaves like
``StreamsBuilder``). Two notebook cells with the same source text and no cell id count as one cell.

A stream or table a cell returns is a handle: calls on it are recorded too. A handle names a position (the n-th
handle its cell made), so a later cell's handles keep working when an earlier cell runs again.

Example::

    >>> nb = NotebookBuilder()
    >>> with nb.cell("source"):
    ...     orders = nb.stream("orders")
    >>> with nb.cell("big"):
    ...     orders.filter(lambda k, v: v > 100).to("big-orders")
    >>> with nb.cell("big"):  # run again: replaces, no second filter or sink
    ...     orders.filter(lambda k, v: v > 100).to("big-orders")
    >>> nb
    NotebookBuilder with 2 cells:
      source: KSTREAM-SOURCE-0000000000
      big: KSTREAM-FILTER-0000000001, KSTREAM-SINK-0000000002
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from kstreams_nb.dsl import StreamsBuilder
from kstreams_nb.errors import KStreamsError, TopologyError
from kstreams_nb.notebook._record import Recorder
from kstreams_nb.topology import Topology

__all__ = ["NotebookBuilder", "NotebookTopology"]


def _topology_names(topology: Topology) -> tuple[list[str], list[str]]:
    tb = topology.internal_builder
    return list(tb.nodes), [*tb.stores, *tb.global_stores]


def _built_names(builder: StreamsBuilder) -> tuple[list[str], list[str]]:
    try:
        return _topology_names(builder.build())
    except KStreamsError:  # not buildable yet (a later cell completes it): later cells are credited instead
        return [], []


class _CellBuilder:
    """What both builders share: cells, removal, sources, display."""

    _recorder: Recorder

    def _build_topology(self) -> Topology:
        raise NotImplementedError

    def cell(self, name: str) -> AbstractContextManager[None]:
        """Calls in this block belong to the cell ``name`` (this wins over the notebook cell); running the block
        again replaces what it built.

        Example: ``with nb.cell("orders"): orders = nb.stream("orders")``.
        """
        return self._recorder.named_cell(name)

    @property
    def cells(self) -> list[str]:
        """The cells that built something, in the order they first ran (the order ``build()`` replays them)."""
        return list(self._recorder.cells)

    def remove(self, cell: str) -> None:
        """Drop what ``cell`` built (a name from ``cells``); handles it made stop working.

        Example: ``nb.remove("orders")``.
        """
        self._recorder.remove(cell)

    def reset(self) -> None:
        """Drop every cell: the builder is empty again."""
        self._recorder.reset()

    def source_of(self, cell: str) -> str:
        """The source text of the notebook cell that last ran ``cell`` ("" in a script).

        Example: ``nb.source_of(nb.cells[0])``.
        """
        found = self._recorder.cells.get(cell)
        if found is None:
            raise TopologyError(f"source_of({cell!r}): no such cell (cells: {self.cells})")
        return found.source

    def cell_of_node(self, node_name: str) -> str | None:
        """The cell whose calls created the node (or store) ``node_name``, or None.

        Example: ``nb.cell_of_node("KSTREAM-FILTER-0000000001")``.
        """
        for key, (nodes, stores) in self._recorder.attribution().items():
            if node_name in nodes or node_name in stores:
                return key
        return None

    def describe(self) -> Any:
        """The description of a fresh build; ``str()`` of it is Kafka's ``describe()`` text."""
        return self._build_topology().describe()

    def to_networkx(self) -> Any:
        """A ``networkx.DiGraph`` of a fresh build (see ``Topology.to_networkx``)."""
        return self._build_topology().to_networkx()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        try:
            topology = self._build_topology()
        except KStreamsError as exc:  # shown, not raised: a display must not hide the notebook's output
            return {"text/plain": f"{self!r}\n(cannot build yet: {exc})"}
        try:
            draw = importlib.import_module("kstreams_nb.topology.draw")
        except ImportError:
            return {"text/plain": str(topology.describe())}
        bundle: dict[str, Any] = draw.mimebundle(topology, include, exclude)
        return bundle

    def __repr__(self) -> str:
        cells = self._recorder.cells
        lines = [f"{type(self).__name__} with {len(cells)} cell{'' if len(cells) == 1 else 's'}:"]
        try:
            added = self._recorder.attribution()
        except KStreamsError as exc:
            return "\n".join([*lines, *(f"  {key}" for key in cells), f"(cannot replay: {exc})"])
        for key in cells:
            nodes, stores = added.get(key, ([], []))
            what = ", ".join(nodes) or "(no nodes)"
            if stores:
                what += f"; stores: {', '.join(stores)}"
            lines.append(f"  {key}: {what}")
        return "\n".join(lines)


class NotebookBuilder(_CellBuilder):
    """A ``StreamsBuilder`` for notebooks: running a cell again replaces what it built.

    Same DSL as ``StreamsBuilder``; streams and tables it returns are handles whose calls are recorded.
    ``build()`` replays every cell into a fresh ``StreamsBuilder``.

    Example::

        >>> nb = NotebookBuilder()
        >>> words = nb.stream("lines").flat_map_values(lambda line: line.split())
        >>> words.to("words")
        >>> words.name
        'KSTREAM-FLATMAPVALUES-0000000001'
        >>> list(nb.build().internal_builder.nodes)
        ['KSTREAM-SOURCE-0000000000', 'KSTREAM-FLATMAPVALUES-0000000001', 'KSTREAM-SINK-0000000002']
    """

    def __init__(self) -> None:
        self._recorder = Recorder(StreamsBuilder, self, _built_names)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._recorder.call(None, method, args, kwargs)

    def stream(self, topics: str | Sequence[str] | None = None, consumed: Any = None, **kwargs: Any) -> Any:
        """A stream of ``topics`` (or ``pattern=``): see ``StreamsBuilder.stream``.

        Example: ``orders = nb.stream("orders")``.
        """
        return self._call("stream", topics, consumed, **kwargs)

    def table(self, topic: str, consumed: Any = None, materialized: Any = None) -> Any:
        """The topic read as a table: see ``StreamsBuilder.table``.

        Example: ``prices = nb.table("prices")``.
        """
        return self._call("table", topic, consumed, materialized)

    def add_state_store(self, store_builder: Any) -> NotebookBuilder:
        """Add a store that ``process(..., store_name)`` can use: see ``StreamsBuilder.add_state_store``.

        Example: ``nb.add_state_store(Stores.key_value_store_builder(Stores.in_memory_key_value_store("s")))``.
        """
        result: NotebookBuilder = self._call("add_state_store", store_builder)
        return result

    def add_global_store(self, store_builder: Any, topic: str, consumed: Any, supplier: Callable[[], Any]) -> Any:
        """A global store filled from ``topic`` by ``supplier``'s processor: see ``StreamsBuilder.add_global_store``.

        Example: ``nb.add_global_store(store_builder, "countries", None, CountryUpdater)``.
        """
        return self._call("add_global_store", store_builder, topic, consumed, supplier)

    def build(self, props: Mapping[str, Any] | None = None) -> Topology:
        """A new Topology: every cell replayed, in the order the cells first ran, into a fresh StreamsBuilder.

        Example: ``topology = nb.build()``.
        """
        builder: StreamsBuilder = self._recorder.replay_fresh()
        return builder.build(props)

    def _build_topology(self) -> Topology:
        return self.build()


class NotebookTopology(_CellBuilder):
    """A Processor API ``Topology`` for notebooks: running a cell again replaces the nodes it added.

    Every ``add_*`` returns this object for chaining; ``build()`` replays every cell into a fresh ``Topology``.

    Example::

        >>> t = NotebookTopology()
        >>> with t.cell("io"):
        ...     t = t.add_source("Source", "in").add_sink("Sink", "out", "Source")
        >>> with t.cell("io"):  # again: no "Processor Sink is already added"
        ...     t = t.add_source("Source", "in").add_sink("Sink", "out", "Source")
        >>> sorted(t.build().internal_builder.nodes)
        ['Sink', 'Source']
    """

    def __init__(self) -> None:
        self._recorder = Recorder(Topology, self, _topology_names)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> NotebookTopology:
        result: NotebookTopology = self._recorder.call(None, method, args, kwargs)
        return result

    def add_source(self, name: str, *topics: str, **kwargs: Any) -> NotebookTopology:
        """Add a source node: see ``Topology.add_source``.

        Example: ``t.add_source("Source", "input")``.
        """
        return self._call("add_source", name, *topics, **kwargs)

    def add_processor(self, name: str, supplier: Callable[[], Any], *parent_names: str) -> NotebookTopology:
        """Add a processor: see ``Topology.add_processor``.

        Example: ``t.add_processor("Process", WordCounter, "Source")``.
        """
        return self._call("add_processor", name, supplier, *parent_names)

    def add_sink(self, name: str, topic_or_extractor: Any, *parent_names: str, **kwargs: Any) -> NotebookTopology:
        """Add a sink: see ``Topology.add_sink``.

        Example: ``t.add_sink("Sink", "output", "Process")``.
        """
        return self._call("add_sink", name, topic_or_extractor, *parent_names, **kwargs)

    def add_state_store(self, builder: Any, *processor_names: str) -> NotebookTopology:
        """Add a state store connected to ``processor_names``: see ``Topology.add_state_store``.

        Example: ``t.add_state_store(store_builder, "Process")``.
        """
        return self._call("add_state_store", builder, *processor_names)

    def connect_processor_and_state_stores(self, processor_name: str, *store_names: str) -> NotebookTopology:
        """Let a processor use stores already added: see ``Topology.connect_processor_and_state_stores``.

        Example: ``t.connect_processor_and_state_stores("Process2", "Counts")``.
        """
        return self._call("connect_processor_and_state_stores", processor_name, *store_names)

    def add_global_store(
        self, store_builder: Any, source_name: str, topic: str, processor_name: str, supplier: Callable[[], Any],
        **kwargs: Any,
    ) -> NotebookTopology:
        """Add a global store: see ``Topology.add_global_store``.

        Example: ``t.add_global_store(builder.with_logging_disabled(), "gsource", "gtopic", "gproc", Updater)``.
        """
        return self._call("add_global_store", store_builder, source_name, topic, processor_name, supplier, **kwargs)

    def build(self) -> Topology:
        """A new Topology with every cell's nodes, replayed in the order the cells first ran.

        Example: ``topology = t.build()``.
        """
        topology: Topology = self._recorder.replay_fresh()
        return topology

    def _build_topology(self) -> Topology:
        return self.build()
