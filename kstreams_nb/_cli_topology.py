"""The ``kstreams-nb describe`` and ``kstreams-nb draw`` commands.

``kstreams-nb describe module:attr`` prints the topology's ``describe()`` text (Kafka's format);
``kstreams-nb draw module:attr -o topo.svg`` (or ``.png``) writes its picture. ``module:attr`` may also be
``path/to/file.py:attr`` and names a Topology, a StreamsBuilder, a notebook builder or a zero-argument callable
returning one (see :func:`kstreams_nb.jobs._load.load_topology`). A reference that cannot be loaded exits 2 with
the reason on stderr.

Example::

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="kstreams-nb")
    >>> add_topology_commands(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["draw", "app:topology", "-o", "topo.svg"])
    >>> args.ref, args.output, args.full_names
    ('app:topology', 'topo.svg', False)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from kstreams_nb.errors import KStreamsError

__all__ = ["add_topology_commands", "run_describe", "run_draw"]

_REF_HELP = (
    "module:attr or path/to/file.py:attr: a Topology, StreamsBuilder, notebook builder, or a zero-argument "
    "callable returning one (attr defaults to 'topology')"
)
_FORMATS = {".svg": "svg", ".png": "png"}


def add_topology_commands(subparsers: Any) -> None:
    """Add ``describe`` and ``draw`` to the ``kstreams-nb`` sub-commands (``subparsers`` from ``add_subparsers``)."""
    describe = subparsers.add_parser("describe", help="print a topology's describe() text")
    describe.add_argument("ref", help=_REF_HELP)
    draw = subparsers.add_parser("draw", help="write a picture of a topology (SVG or PNG)")
    draw.add_argument("ref", help=_REF_HELP)
    draw.add_argument("-o", "--output", required=True, metavar="FILE", help="the picture: a .svg or .png file")
    draw.add_argument("--full-names", action="store_true", help="label nodes with their full names")
    draw.add_argument("--dpi", type=float, default=150.0, help="resolution of a PNG (default 150)")


def _load(command: str, ref: str) -> Any:
    from kstreams_nb.jobs._load import load_topology

    try:
        return load_topology(ref)
    except KStreamsError as e:
        print(f"kstreams-nb {command}: {e}", file=sys.stderr)
        return None


def run_describe(args: argparse.Namespace) -> int:
    """Print ``str(topology.describe())`` and return 0; 2 with the reason on stderr when ``args.ref`` fails."""
    topology = _load("describe", args.ref)
    if topology is None:
        return 2
    print(str(topology.describe()))
    return 0


def run_draw(args: argparse.Namespace) -> int:
    """Write the picture to ``args.output`` (format from its suffix) and return 0; 2 on a bad reference or file."""
    output = Path(args.output)
    fmt = _FORMATS.get(output.suffix.lower())
    if fmt is None:
        print(f"kstreams-nb draw: {args.output!r}: the picture is written as .svg or .png, not "
              f"{output.suffix or 'a file without suffix'!r}", file=sys.stderr)
        return 2
    if not output.parent.is_dir():
        print(f"kstreams-nb draw: the folder of {args.output!r} does not exist", file=sys.stderr)
        return 2
    topology = _load("draw", args.ref)
    if topology is None:
        return 2
    draw = importlib.import_module("kstreams_nb.topology.draw")
    try:
        figure = draw.draw(topology, full_names=getattr(args, "full_names", False))
    except ImportError as e:  # matplotlib missing
        print(f"kstreams-nb draw: drawing needs matplotlib ({e}); pip install matplotlib", file=sys.stderr)
        return 1
    try:
        if fmt == "svg":
            output.write_text(draw.to_svg(figure), encoding="utf-8")
        else:
            figure.savefig(output, format="png", dpi=getattr(args, "dpi", 150.0), metadata={"Software": None})
    except OSError as e:
        print(f"kstreams-nb draw: cannot write {args.output!r}: {e.strerror or e}", file=sys.stderr)
        return 1
    nodes = len(topology.internal_builder.nodes)
    print(f"wrote {output} ({fmt.upper()}, {nodes} node{'' if nodes == 1 else 's'})")
    return 0
