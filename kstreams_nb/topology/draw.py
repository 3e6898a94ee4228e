"""A picture of a topology: left-to-right layers, a box per sub-topology, one shape and colour per kind.

:func:`draw` is a pure function returning a ``matplotlib.figure.Figure`` (no pyplot, no global state);
matplotlib is imported inside it, so importing this module stays light. The figure is a ``TopologyFigure``
(made on first use, so ``from kstreams_nb.topology.draw import TopologyFigure`` imports matplotlib), which
Jupyter shows as its SVG picture by itself, without ``%matplotlib inline``. The figure is sized from the
measured text of its labels, so no two labels overlap and every edge is one arrow. :func:`mimebundle` and
:func:`to_svg` give Jupyter its rich display (deterministic SVG: the same topology gives the same bytes).

Layout: the graph of :func:`kstreams_nb.topology.export.topology_graph` is layered by longest path (topics
are pulled next to the node that reads them); each sub-topology (and each global store) is a horizontal band
boxed with its title, topics shared between sub-topologies (repartition topics) get an unboxed band after
the writer's; rows inside a band are ordered by the barycenter of neighbours, sweeping forward and back.

Example::

    >>> from kstreams_nb.topology import Topology
    >>> fig = draw(Topology().add_source("S", "in").add_sink("K", "out", "S"))
    >>> type(fig).__name__, fig._repr_mimebundle_(include=["text/plain"])
    ('TopologyFigure', {'text/plain': '<Topology picture: 2 nodes, 1 sub-topology>'})
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb.topology.export import KIND_STYLES, TopologyGraph, topology_graph

__all__ = ["Drawing", "draw", "drawing", "mimebundle", "short_label", "to_svg"]

FONT = "DejaVu Sans"  # shipped with matplotlib: the same glyphs, hence the same SVG, on every machine
FONT_SIZE = 8.0
MAX_LABEL = 40
_KAFKA_NAME = re.compile(r"^(?P<prefix>.*?)(?:KSTREAM|KTABLE|COGROUPKSTREAM)-(?P<op>[A-Z][A-Z0-9-]*?)-(?P<num>\d{10})")
_BOX_STYLES = {
    "source": "rarrow",
    "processor": "square",
    "sink": "darrow",
    "store": "round4",
    "global-store": "round4",
}
_ARROWS = {"store": ":", "changelog": ":"}


def short_label(name: str, *, full_names: bool = False, limit: int = MAX_LABEL) -> str:
    """Kafka's generated names as operator and number (``KSTREAM-FILTER-0000000001`` → ``FILTER-1``).

    User names are kept, truncated with an ellipsis past ``limit`` characters; ``full_names`` returns
    ``name`` unchanged. Example: ``short_label("KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition")``
    is ``"AGGREGATE-STATE-STORE-3-repartition"``.
    """
    if full_names:
        return name
    m = _KAFKA_NAME.match(name)
    if m:
        rest = name[m.end() :]
        suffix = rest if not rest or rest.startswith("-") else f"/{rest}"
        name = f"{m['prefix']}{m['op']}-{int(m['num'])}{suffix}"
    return name if len(name) <= limit else name[: limit - 1] + "\u2026"


def _node_label(node_id: str, name: str, full_names: bool) -> str:
    if node_id.startswith("pattern:"):
        return short_label(f"/{name}/", full_names=full_names)
    if node_id.startswith("extractor:") and not full_names:
        return short_label(name.rpartition(".")[2] + "()")
    return short_label(name, full_names=full_names)


@dataclass
class Drawing:
    """What :func:`drawing` made: the figure and, by graph node id, its artists (for tests and tools).

    ``labels`` are the node label ``Text`` objects, ``boxes`` the node shapes, ``arrows`` one
    ``FancyArrowPatch`` per graph edge ``(source id, target id)``, ``groups`` the sub-topology boxes by group key.
    Example: ``len(drawing(topology).arrows) == len(topology_graph(topology).edges)``.
    """

    figure: Any
    graph: TopologyGraph
    labels: dict[str, Any] = field(default_factory=dict)
    boxes: dict[str, Any] = field(default_factory=dict)
    arrows: dict[tuple[str, str], Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    titles: dict[str, Any] = field(default_factory=dict)


@contextmanager
def _quiet_glyphs() -> Iterator[None]:
    """Names may hold characters the font lacks (emoji): they draw as boxes, without a warning per glyph."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        yield


# --------------------------------------------------------------------------------------------------- layering


def _layers(graph: TopologyGraph) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Longest-path layers (cycles broken at the earliest node), then roots moved next to their successors."""
    order = list(graph.nodes)
    preds: dict[str, list[str]] = {n: [] for n in order}
    succs: dict[str, list[str]] = {n: [] for n in order}
    for a, b, _ in graph.edges:
        succs[a].append(b)
        preds[b].append(a)
    indegree = {n: len(preds[n]) for n in order}
    layer: dict[str, int] = {}
    ready = [n for n in order if indegree[n] == 0]
    remaining = dict.fromkeys(order)
    while remaining:
        if not ready:  # a cycle (a topic written and read back): start from the earliest remaining node
            ready = [next(iter(remaining))]
        current, ready = ready, []
        for n in current:
            if n not in remaining:
                continue
            del remaining[n]
            layer[n] = max((layer[p] + 1 for p in preds[n] if p in layer), default=0)
            for s in succs[n]:
                indegree[s] -= 1
                if indegree[s] == 0 and s in remaining:
                    ready.append(s)
    back = {(a, b) for a, b, _ in graph.edges if layer[a] >= layer[b]}
    for n in order:
        if not preds[n] and succs[n]:
            layer[n] = max(layer[n], min(layer[s] for s in succs[n]) - 1)
    return layer, back


def _rows(graph: TopologyGraph, layer: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Row of each node inside its band (barycenter sweeps), and each band's height in rows."""
    cells: dict[tuple[str, int], list[str]] = {}
    for n, node in graph.nodes.items():
        cells.setdefault((node.group, layer[n]), []).append(n)
    height: dict[str, int] = {}
    for (group, _), members in cells.items():
        height[group] = max(height.get(group, 0), len(members))
    row: dict[str, int] = {}
    for members in cells.values():
        for i, n in enumerate(members):
            row[n] = i
    neighbours: dict[str, dict[bool, list[str]]] = {n: {True: [], False: []} for n in graph.nodes}
    for a, b, _ in graph.edges:
        if graph.nodes[a].group == graph.nodes[b].group:
            neighbours[b][True].append(a)
            neighbours[a][False].append(b)
    keys = sorted(cells, key=lambda k: k[1])
    for forward in (True, False, True):
        for key in keys if forward else reversed(keys):
            members = cells[key]
            desired = {}
            for n in members:
                near = neighbours[n][forward]
                desired[n] = sum(row[m] for m in near) / len(near) if near else float(row[n])
            members.sort(key=lambda n: (desired[n], row[n]))
            top = height[key[0]] - 1
            placed: list[int] = []
            for n in members:
                placed.append(max(placed[-1] + 1 if placed else 0, round(desired[n])))
            for i in range(len(placed) - 1, -1, -1):
                placed[i] = min(placed[i], top - (len(placed) - 1 - i))
            for n, r in zip(members, placed, strict=True):
                row[n] = r
    return row, height


# ---------------------------------------------------------------------------------------------------- drawing


@functools.cache
def _figure_class() -> type[Any]:
    """``TopologyFigure``, made on first use: matplotlib is only imported once a picture is drawn."""
    from matplotlib.figure import Figure

    class TopologyFigure(Figure):
        """The ``matplotlib.figure.Figure`` that :func:`draw` returns: Jupyter shows it as its SVG picture
        with no ``%matplotlib`` backend set up; its ``text/plain`` says what it shows.

        Example: ``draw(topology)._repr_mimebundle_()["image/svg+xml"] == to_svg(draw(topology))``.
        """

        #: the ``text/plain`` of the display, e.g. ``<Topology picture: 5 nodes, 2 sub-topologies>``
        caption = "<Topology picture>"

        def _repr_mimebundle_(
            self, include: Collection[str] | None = None, exclude: Collection[str] | None = None
        ) -> dict[str, str]:
            wanted = _wanted(include, exclude)
            bundle: dict[str, str] = {}
            if "text/plain" in wanted:
                bundle["text/plain"] = self.caption
            if "image/svg+xml" in wanted:
                bundle["image/svg+xml"] = to_svg(self)
            return bundle

    # found by name in this module (pickle, copy), through the module's __getattr__
    TopologyFigure.__module__ = __name__
    TopologyFigure.__qualname__ = "TopologyFigure"
    return TopologyFigure


def __getattr__(name: str) -> Any:
    if name == "TopologyFigure":
        return _figure_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _caption(graph: TopologyGraph) -> str:
    nodes = sum(1 for n in graph.nodes if n.startswith("node:"))
    subs = sum(1 for g in graph.groups if g.id is not None)
    return (
        f"<Topology picture: {nodes} node{'' if nodes == 1 else 's'}, "
        f"{subs} sub-topolog{'y' if subs == 1 else 'ies'}>"
    )


def _new_figure() -> tuple[Any, Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()()
    canvas: Any = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    return fig, ax, canvas.get_renderer()


def _text(ax: Any, label: str, size: float, **kwargs: Any) -> Any:
    return ax.text(0, 0, label, fontsize=size, fontfamily=FONT, parse_math=False, usetex=False, zorder=4, **kwargs)


def _extent(artist: Any, renderer: Any, dpi: float) -> tuple[float, float]:
    box = artist.get_window_extent(renderer)
    return box.width / dpi, box.height / dpi


def drawing(obj: Any, *, full_names: bool = False, figsize: tuple[float, float] | None = None) -> Drawing:
    """Lay out and draw ``obj`` (see :func:`draw`); the :class:`Drawing` also names each artist.

    Example: ``d = drawing(topology); d.labels["node:KSTREAM-SOURCE-0000000000"].get_text()``.
    """
    graph = obj if isinstance(obj, TopologyGraph) else topology_graph(obj)
    with _quiet_glyphs():
        fig, ax, renderer = _new_figure()
        fig.caption = _caption(graph)
        result = Drawing(fig, graph)
        if not graph.nodes:
            fig.set_size_inches(*(figsize or (3.0, 1.0)))
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            _text(ax, "empty topology (no nodes)", FONT_SIZE, ha="center", va="center").set_position((0.5, 0.5))
            return result
        for n, node in graph.nodes.items():
            result.labels[n] = _text(ax, _node_label(n, node.name, full_names), FONT_SIZE, ha="center", va="center")
        for group in graph.groups:
            if group.title is not None:
                result.titles[group.key] = _text(
                    ax, group.title, FONT_SIZE, ha="left", va="top", fontweight="bold", color="#37474f"
                )
        size = FONT_SIZE
        for _ in range(4):  # a figsize smaller than the natural size scales the fonts (and every gap) down
            width, height, legend_h = _place(result, renderer, fig.dpi, size)
            if figsize is None:
                break
            scale = min(figsize[0] / width, figsize[1] / (height + legend_h))
            if scale >= 1.0 or size < 2.0:
                break
            size = size * scale * 0.98
        total_w, total_h = (width, height + legend_h) if figsize is None else figsize
        fig.set_size_inches(total_w, total_h)
        ax.set_position((0.0, legend_h / total_h, 1.0, 1.0 - legend_h / total_h))
        dx, dy = max(0.0, (total_w - width) / 2), max(0.0, (total_h - legend_h - height) / 2)
        ax.set_xlim(-dx, total_w - dx)
        ax.set_ylim(-dy, total_h - legend_h - dy)
        for artist in (*result.boxes.values(), *result.groups.values(), *result.arrows.values()):
            ax.add_patch(artist)
    return result


def _place(result: Drawing, renderer: Any, dpi: float, size: float) -> tuple[float, float, float]:
    """Measure labels at font ``size``, compute positions, and make boxes, arrows and the legend (inches)."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    graph = result.graph
    em = size / 72.0
    pad, col_gap, row_gap, box_pad, band_gap = 0.35 * em, 3.4 * em, 1.1 * em, 0.7 * em, 1.2 * em
    layer, back = _layers(graph)
    row, band_rows = _rows(graph, layer)
    shapes: dict[str, tuple[Any, float, float, float, float]] = {}  # patch, left, right, down, up from center
    for n, node in graph.nodes.items():
        text = result.labels[n]
        text.set_fontsize(size)
        w, h = _extent(text, renderer, dpi)
        fill, edge, line_style, _ = KIND_STYLES[node.kind]
        style = _BOX_STYLES.get(node.kind) or f"round,pad={pad},rounding_size={h / 2 + pad}"
        if "," not in style:
            style = f"{style},pad={pad}"
        patch = FancyBboxPatch(
            (-w / 2, -h / 2),
            w,
            h,
            boxstyle=style,
            mutation_scale=1,
            facecolor=fill,
            edgecolor=edge,
            linestyle=line_style,
            linewidth=1.6 if node.kind == "global-store" else 0.9,
            zorder=3,
        )
        ext = patch.get_path().get_extents()
        shapes[n] = (patch, -ext.x0, ext.x1, -ext.y0, ext.y1)
    n_layers = max(layer.values()) + 1
    left = [0.0] * n_layers
    right = [0.0] * n_layers
    for n, (_, le, ri, _, _) in shapes.items():
        left[layer[n]] = max(left[layer[n]], le)
        right[layer[n]] = max(right[layer[n]], ri)
    centers, x = [], box_pad + em
    for i in range(n_layers):
        centers.append(x + left[i])
        x = centers[-1] + right[i] + col_gap
    row_h = max(d + u for _, _, _, d, u in shapes.values()) + row_gap
    # bands from the top (y grows downwards here; flipped when placing)
    ys: dict[str, float] = {}
    band_top: dict[str, tuple[float, float]] = {}
    y = em
    for group in graph.groups:
        title_h = 0.0
        if group.title is not None:
            result.titles[group.key].set_fontsize(size)
            title_h = _extent(result.titles[group.key], renderer, dpi)[1] + 0.5 * em
        first = y + box_pad + title_h
        for n, node in graph.nodes.items():
            if node.group == group.key:
                ys[n] = first + (row[n] + 0.5) * row_h
        bottom = first + band_rows.get(group.key, 0) * row_h + box_pad
        band_top[group.key] = (y, bottom)
        y = bottom + band_gap
    height = y
    width = x - col_gap + box_pad + em
    for n, (patch, *_) in shapes.items():
        cx, cy = centers[layer[n]], height - ys[n]
        w, h = patch.get_width(), patch.get_height()
        patch.set_bounds(cx - w / 2, cy - h / 2, w, h)
        result.labels[n].set_position((cx, cy))
        result.boxes[n] = patch
    for group in graph.groups:
        if group.title is None:
            continue
        members = [n for n, node in graph.nodes.items() if node.group == group.key]
        x0 = min(centers[layer[n]] - shapes[n][1] for n in members) - box_pad
        x1 = max(centers[layer[n]] + shapes[n][2] for n in members) + box_pad
        title = result.titles[group.key]
        x1 = max(x1, x0 + _extent(title, renderer, dpi)[0] + 2 * box_pad)
        top, bottom = band_top[group.key]
        title.set_position((x0 + box_pad, height - top - 0.3 * em))
        result.groups[group.key] = FancyBboxPatch(
            (x0, height - bottom),
            x1 - x0,
            bottom - top,
            boxstyle=f"round,pad=0,rounding_size={em}",
            mutation_scale=1,
            facecolor="#f5f7f8",
            edgecolor="#90a4ae",
            linewidth=1.0,
            zorder=1,
        )
        width = max(width, x1 + em)
    for a, b, kind in graph.edges:
        (_, _, ra, da, _), (_, lb, _, db, _) = shapes[a], shapes[b]
        xa, ya, xb, yb = centers[layer[a]], height - ys[a], centers[layer[b]], height - ys[b]
        if (a, b) in back:
            start, end, bend = (xa, ya - da), (xb, yb - db), "arc3,rad=0.3"
        else:
            start, end, bend = (xa + ra, ya), (xb - lb, yb), "arc3,rad=0"
        result.arrows[(a, b)] = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=7 * size / FONT_SIZE,
            connectionstyle=bend,
            shrinkA=1,
            shrinkB=1,
            linestyle=_ARROWS.get(kind, "-"),
            linewidth=0.8,
            color="#455a64",
            zorder=2,
        )
    legend_w, legend_h = _legend(result, renderer, dpi, size)
    return max(width, legend_w + 2 * em), height, legend_h


def _legend(result: Drawing, renderer: Any, dpi: float, size: float) -> tuple[float, float]:
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

    fig = result.figure
    for old in list(fig.legends):
        old.remove()
    kinds = [k for k in KIND_STYLES if any(n.kind == k for n in result.graph.nodes.values())]
    styles: list[tuple[str, str, Any, str]] = [KIND_STYLES[k] for k in kinds]
    handles = [Patch(facecolor=fill, edgecolor=edge, linestyle=line, label=text) for fill, edge, line, text in styles]
    legend = fig.legend(
        handles=handles,
        loc="lower center",
        ncols=min(len(handles), 5),
        frameon=False,
        prop=FontProperties(family=FONT, size=size),
        handlelength=1.6,
        columnspacing=1.4,
    )
    w, h = _extent(legend, renderer, dpi)
    return w, h + 0.4 * size / 72.0


def draw(obj: Any, *, full_names: bool = False, figsize: tuple[float, float] | None = None) -> Any:
    """A ``matplotlib.figure.Figure`` of ``obj``: a Topology, a TopologyDescription (also one parsed from
    Java's text), or a builder with ``build()`` / an object with ``describe()``. The figure (a
    ``TopologyFigure``) shows itself in Jupyter as SVG, with no ``%matplotlib inline`` needed.

    Labels are short (``FILTER-1`` for ``KSTREAM-FILTER-0000000001``; long user names end in an ellipsis);
    ``full_names=True`` shows Kafka's names. The size follows the graph; ``figsize`` forces one (fonts shrink
    to fit). From a Topology, stores that log show their changelog topic. Example::

        fig = draw(builder, full_names=True)
        fig.savefig("topology.png", dpi=150)
    """
    return drawing(obj, full_names=full_names, figsize=figsize).figure


def to_svg(obj: Any) -> str:
    """Deterministic SVG text of ``draw(obj)`` (or of a Figure): no date, fixed ids, glyphs as paths.

    Example: ``Path("topology.svg").write_text(to_svg(topology))``.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    fig = obj if isinstance(obj, Figure) else draw(obj)
    buffer = io.StringIO()
    rc: Any = {"svg.hashsalt": "kstreams-nb", "svg.fonttype": "path", "svg.image_inline": True}
    with mpl.rc_context(rc), _quiet_glyphs():
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "kstreams_nb"})
    return buffer.getvalue()


def mimebundle(obj: Any, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """Jupyter's ``_repr_mimebundle_`` data: ``text/plain`` (the describe text) and ``image/svg+xml``.

    ``include``/``exclude`` (collections of MIME types) keep or drop entries; the SVG is only rendered when
    kept. Example: ``mimebundle(topology, include={"text/plain"})``.
    """
    graph = topology_graph(obj)
    wanted = _wanted(include, exclude)
    bundle: dict[str, str] = {}
    if "text/plain" in wanted:
        bundle["text/plain"] = graph.text
    if "image/svg+xml" in wanted:
        bundle["image/svg+xml"] = to_svg(drawing(graph).figure)
    return bundle


def _wanted(include: Collection[str] | None, exclude: Collection[str] | None) -> list[str]:
    """The MIME types of the rich display that ``include``/``exclude`` keep."""
    wanted = ["text/plain", "image/svg+xml"]
    if include is not None:
        wanted = [m for m in wanted if m in include]
    if exclude is not None:
        wanted = [m for m in wanted if m not in exclude]
    return wanted
