"""Load a topology from a reference: ``module:attr`` or ``path/to/file.py:attr``.

``attr`` (dotted for nested attributes, ``topology`` when omitted) names a ``Topology``, a ``StreamsBuilder``, a
notebook builder (``NotebookBuilder`` / ``NotebookTopology``), or a zero-argument callable returning one of them.
For a module reference the current directory comes first on ``sys.path``, as ``python -m`` does; for a file
reference, the file's directory does, as ``python path/to/file.py`` does.

Errors say which reference failed and what was found: JobError when the reference cannot be resolved (bad
syntax, module or file missing, an import failing, attribute missing, the callable failing), TopologyError when
it resolves to something that is not a topology.

Example::

    >>> topology = load_topology("kstreams_nb.examples:routing_topology")  # a zero-argument callable
    >>> type(topology).__name__
    'Topology'
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from kstreams_nb.errors import JobError, TopologyError
from kstreams_nb.topology import Topology

__all__ = ["load_topology", "split_ref"]

DEFAULT_ATTR = "topology"


def split_ref(ref: str) -> tuple[str, str]:
    """``(module or file, attribute)`` of a reference; the attribute defaults to ``topology``.

    Example::

        >>> split_ref("app:topology"), split_ref("jobs/app.py:build"), split_ref("app")
        (('app', 'topology'), ('jobs/app.py', 'build'), ('app', 'topology'))
    """
    if not isinstance(ref, str) or not ref.strip():
        raise JobError(f"a topology reference is 'module:attr' or 'path/to/file.py:attr', got {ref!r}")
    where, sep, attr = ref.strip().rpartition(":")
    if not sep or (len(where) == 1 and where.isalpha()):  # no colon, or only a Windows drive letter
        where, attr = ref.strip(), DEFAULT_ATTR
    if not where or not attr or not all(part.isidentifier() for part in attr.split(".")):
        raise JobError(
            f"bad topology reference {ref!r}: expected 'module:attr' or 'path/to/file.py:attr' "
            "(attr a Python name, e.g. 'app:topology')"
        )
    return where, attr


def _is_file(where: str) -> bool:
    return where.endswith(".py") or os.sep in where or "/" in where


def _import_module(ref: str, name: str) -> ModuleType:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    if not all(part.isidentifier() for part in name.split(".")):
        raise JobError(f"{ref!r}: {name!r} is not a module name (a file reference ends in .py)")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if name == missing or name.startswith(missing + "."):
            raise JobError(
                f"{ref!r}: no module named {missing!r} (searched the current directory {cwd} and sys.path); "
                "run from the directory that holds it, or give a file: path/to/file.py:attr"
            ) from None
        raise JobError(f"{ref!r}: importing {name!r} failed: {e}") from e
    except Exception as e:
        raise JobError(f"{ref!r}: importing {name!r} failed: {type(e).__name__}: {e}") from e


def _load_file(ref: str, where: str) -> ModuleType:
    path = Path(where).expanduser().resolve()
    if not path.is_file():
        raise JobError(f"{ref!r}: no such file {str(path)!r}")
    name = "_kstreams_nb_ref_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise JobError(f"{ref!r}: {str(path)!r} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module  # classes and functions defined in it can then be pickled by reference
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        sys.modules.pop(name, None)
        raise JobError(f"{ref!r}: running {str(path)!r} failed: {type(e).__name__}: {e}") from e
    return module


def _as_topology(ref: str, value: Any, *, call: bool) -> Topology:
    from kstreams_nb.dsl import StreamsBuilder

    if isinstance(value, Topology):
        return value
    if isinstance(value, StreamsBuilder):
        return value.build()
    if type(value).__name__ in ("NotebookBuilder", "NotebookTopology") and callable(getattr(value, "build", None)):
        built = value.build()
        if isinstance(built, Topology):
            return built
    if call and callable(value):
        try:
            inspect.signature(value).bind()
        except TypeError:
            raise JobError(f"{ref!r} is a callable that needs arguments; give one that takes none") from None
        except ValueError:  # no signature to check (a builtin): just call it
            pass
        try:
            result = value()
        except Exception as e:
            raise JobError(f"{ref!r}: calling it failed: {type(e).__name__}: {e}") from e
        return _as_topology(ref, result, call=False)
    what = f"returned {type(value).__name__}" if not call else f"is {type(value).__name__}"
    raise TopologyError(
        f"{ref!r} {what}: expected a Topology, a StreamsBuilder, a NotebookBuilder/NotebookTopology, or a "
        "zero-argument callable returning one"
    )


def load_topology(ref: str) -> Topology:
    """The Topology that ``ref`` (``module:attr`` or ``path/to/file.py:attr``) names, built if it is a builder.

    Example::

        >>> load_topology("no_such_module:topology")
        Traceback (most recent call last):
        ...
        kstreams_nb.errors.JobError: 'no_such_module:topology': no module named 'no_such_module' (searched ...
    """
    where, attr = split_ref(ref)
    module = _load_file(ref, where) if _is_file(where) else _import_module(ref, where)
    value: Any = module
    for i, part in enumerate(attr.split(".")):
        try:
            value = getattr(value, part)
        except AttributeError:
            owner = where if i == 0 else f"{where}:{'.'.join(attr.split('.')[:i])}"
            names = sorted(n for n in dir(value) if not n.startswith("_"))[:12] if i == 0 else []
            hint = f" (it has: {', '.join(names)})" if names else ""
            raise JobError(f"{ref!r}: {owner} has no attribute {part!r}{hint}") from None
    return _as_topology(ref, value, call=True)
