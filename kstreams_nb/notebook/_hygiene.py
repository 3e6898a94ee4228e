"""Notebook hygiene for KafkaStreams: re-running the cell that started an instance replaces that instance.

``kstreams_nb.streams`` loads this module by name when IPython is present (it never imports the notebook layer
itself). Importing it registers an origin provider keyed by the running cell: the cell's key (its JupyterLab
``cellId``, its explicit name, or its source) and the token of the current execution. So when a cell that started
a KafkaStreams runs again, ``start()`` closes the instance the earlier run started (logged at INFO) instead of
adding a silent second group member; instances started by other cells, or by the same run of one cell (a loop),
are kept and keep sharing their tasks.

Example (in a notebook, nothing to call: it works on its own)::

    >>> from kstreams_nb.notebook._hygiene import cell_origin
    >>> cell_origin() is None        # outside a running notebook cell there is no origin
    True
"""

from __future__ import annotations

from collections.abc import Hashable

from kstreams_nb.notebook._cells import current_cell
from kstreams_nb.streams import register_origin_provider

__all__ = ["cell_origin"]


def cell_origin() -> tuple[Hashable, Hashable] | None:
    """``(cell key, execution token)`` of the notebook cell running now, or None outside a cell."""
    cell = current_cell()
    if cell is None:
        return None
    return (cell.key, cell.execution)


register_origin_provider(cell_origin)
