"""Command line: ``kstreams-nb demo`` (also ``python -m kstreams_nb demo``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _demo() -> int:
    from kstreams_nb.demo import run_demo

    return run_demo(sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kstreams-nb`` command."""
    parser = argparse.ArgumentParser(prog="kstreams-nb", description="Kafka Streams for Python and Jupyter")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the demo on the embedded broker and print topologies and results")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo()
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse exits first
    return 2
