"""The notebook face of kstreams_nb: a cell-safe builder, previews on sampled records, pictures and widgets.

Nothing below this package knows that notebooks exist. Names are loaded on first use, so ``import
kstreams_nb.notebook`` stays light (pandas, matplotlib and ipywidgets are imported by the functions that use them).

Example::

    >>> from kstreams_nb.notebook import NotebookBuilder, preview
    >>> nb = NotebookBuilder()
    >>> with nb.cell("words"):
    ...     nb.stream("lines").flat_map_values(lambda line: line.split()).to("words")
    >>> preview(nb, {"lines": ["a b"]}).topic("words")["value"].tolist()
    ['a', 'b']
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported eagerly: the submodule shares the function's name, and a lazy export would be shadowed by the
# submodule as soon as anything imports ``kstreams_nb.notebook.preview`` (it loads nothing heavy).
from kstreams_nb.notebook.preview import Preview, preview

__all__ = [
    "NotebookBuilder",
    "NotebookTopology",
    "Preview",
    "draw",
    "explore",
    "preview",
    "produce",
    "read",
    "records",
    "sample",
]

# public name -> submodule of kstreams_nb.notebook (or an absolute module path)
_EXPORTS: dict[str, str] = {
    "NotebookBuilder": "kstreams_nb.notebook.builder",
    "NotebookTopology": "kstreams_nb.notebook.builder",
    "records": "kstreams_nb.notebook.inputs",
    "sample": "kstreams_nb.notebook.io",
    "produce": "kstreams_nb.notebook.io",
    "read": "kstreams_nb.notebook.io",
    "explore": "kstreams_nb.notebook.widgets",
    "draw": "kstreams_nb.topology.draw",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kstreams_nb.notebook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
