"""Promote a notebook topology to a module: :func:`export` writes the cells that built it as a standalone ``.py``
file defining ``topology``, and a ``.properties`` file beside it for ``kstreams-nb run``.

The module holds, in the order the cells first ran, each cell's latest source reduced to what builds the topology
(imports, definitions, builder calls and the assignments they use; previews, pictures, deploys, displays and
other notebook-only statements are dropped), preceded by what those statements use without defining it: the
defining statement found in the kernel's history (the last cell that ran ``import json``, ``def parse(...)``,
``THRESHOLD = 5``...), else an import line for a module, function or class of the kernel's namespace, else a
literal value. The notebook builder itself becomes a plain ``StreamsBuilder()`` (``Topology()`` for a
``NotebookTopology``): the module does not depend on notebook cell tracking, and ``with nb.cell(...)`` blocks are
unwrapped. The module ends with ``topology = nb.build()``. It is checked by running it in a fresh interpreter and
comparing its ``describe()`` with the builder's.

Example::

    >>> from kstreams_nb.jobs import export                                   # doctest: +SKIP
    >>> export(nb, "wordcount.py", config={"application.id": "wc"})          # doctest: +SKIP
    ExportResult(module=PosixPath('wordcount.py'), properties=PosixPath('wordcount.properties'), ...)
"""

from __future__ import annotations

import ast
import builtins
import difflib
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from kstreams_nb.config import StreamsConfig, is_secret_key
from kstreams_nb.errors import JobError
from kstreams_nb.jobs._export_code import (
    CellFilter,
    Stmt,
    binding_names,
    cell_statements,
    keep_statements,
    statement_text,
)

__all__ = ["ExportResult", "export", "properties_text"]

VERIFY_TIMEOUT = 120.0
_CACHE_NAME = re.compile(r"^(_+|_\d+|_i+\d*|_ii+|In|Out|_ih|_oh|_dh|exit|quit|get_ipython)$")
_REQUIRED = ("application.id", "bootstrap.servers")
_SECRET_NOTE = "put it here, or ${ENV_VAR} to read it from the environment"
_CONSTRUCTORS = {"StreamsBuilder": "kstreams_nb.dsl", "Topology": "kstreams_nb.topology"}


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote: the module, the properties file, the cells exported (in first-run order) and
    the helpers brought from the kernel's history or namespace (names the cells use without defining them).

    Example: ``ExportResult(Path("app.py"), Path("app.properties"), ("source:3f2a...",), ("parse",))``.
    """

    module: Path
    properties: Path
    cells: tuple[str, ...]
    helpers: tuple[str, ...]


def _shell() -> Any:
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def _history(shell: Any) -> list[str]:
    hist = getattr(getattr(shell, "history_manager", None), "input_hist_parsed", None)
    if not hist:
        hist = shell.user_ns.get("In") or shell.user_ns.get("_ih") or []
    return [h for h in hist if isinstance(h, str)]


class _Assembler:
    """Lays out the module: header imports, then each cell's statements with the definitions they need first."""

    def __init__(self, ns: dict[str, Any], aliases: list[str], flt: CellFilter, history: list[str],
                 constructor: tuple[str, str]) -> None:
        self.ns, self.aliases, self.flt, self.constructor = ns, aliases, flt, constructor
        self.imports: list[str] = []
        self.body: list[str] = []
        self.bound: set[str] = set()
        self.program: set[str] = set()  # every name the cells' kept statements bind
        self.resolving: set[str] = set()
        self.helpers: list[str] = []
        self.index: dict[str, tuple[ast.stmt, str, bool, int]] = {}  # name -> (statement, text, notebook-only, In[n])
        self.star_modules: list[str] = []  # ``from m import *`` of the history, latest first
        for number, source in enumerate(history):
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            lines = source.splitlines()
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module and any(a.name == "*" for a in node.names):
                    self.star_modules.insert(0, node.module)
                names = binding_names(node)
                if not names:
                    continue
                banned = flt.has_banned(node) and not isinstance(node, (ast.Import, ast.ImportFrom))
                for name in names:
                    self.index[name] = (node, statement_text(node, lines, tree.body), banned, number)

    def _import(self, line: str) -> None:
        if line not in self.imports:
            self.imports.append(line)

    def require(self, name: str, user: str) -> None:
        """Make ``name`` defined before what comes next in the module."""
        if name in self.bound or name in self.resolving:
            return
        self.resolving.add(name)
        try:
            found = self._definition(name, user)
            if found is None:
                return
            stmt, is_import = found
            for used in [*stmt.uses, *sorted(stmt.deferred - self.program)]:
                self.require(used, name)
            if is_import:
                self._import(stmt.text)
            else:
                self.body.append(stmt.text)
            self.bound |= stmt.binds | {name}
            if name not in self.aliases:
                self.helpers.append(name)
        finally:
            self.resolving.discard(name)

    def _definition(self, name: str, user: str) -> tuple[Stmt, bool] | None:
        if name in self.aliases:
            first = self.aliases[0]
            if name != first:
                self.require(first, name)
                return Stmt(f"{name} = {first}", binds={name}), False
            module, cls = self.constructor
            self._import(f"from {module} import {cls}")
            self.bound.add(cls)
            return Stmt(f"{name} = {cls}()", binds={name}), False
        if name in self.index:
            node, text, banned, number = self.index[name]
            if banned:
                raise JobError(
                    f"export: {user!r} uses {name!r}, which cell In[{number}] defines with a notebook-only call "
                    f"({text.splitlines()[0][:80]!r}); define {name!r} with plain code in a cell, run it, and export "
                    "again"
                )
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a for a in node.names if (a.asname or a.name).split(".")[0] == name]
                narrowed = ast.Import(names) if isinstance(node, ast.Import) else ast.ImportFrom(
                    node.module, names, node.level)
                return Stmt.of(ast.unparse(narrowed)), True
            return Stmt.of(text), False
        if name not in self.ns:
            if hasattr(builtins, name):
                return None
            raise JobError(
                f"export: {user!r} uses {name!r}, which is defined nowhere in this kernel (not in its history nor "
                f"its namespace); define it in a cell, run that cell, and export again"
            )
        star = next((m for m in self.star_modules if getattr(sys.modules.get(m), name, None) is self.ns[name]), None)
        line = f"from {star} import {name}" if star else _import_line(name, self.ns[name])
        if line is not None:
            return Stmt(line, binds={name}), True
        value = self.ns[name]
        try:
            literal = repr(value)
            if ast.literal_eval(literal) == value:
                return Stmt(f"{name} = {literal}", binds={name}), False
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            pass
        raise JobError(
            f"export: {user!r} uses {name!r} ({type(value).__name__}), which no cell in this kernel's history "
            "defines and which cannot be written as an import or a literal; define it in a cell, run that cell, "
            "and export again"
        )

    def assemble(self, cells: list[tuple[str, list[Stmt]]], topology_line: str, header: str) -> str:
        self.program = {n for _, stmts in cells for s in stmts for n in s.binds}
        for cls in sorted(self.flt.replaced):
            self._import(f"from {_CONSTRUCTORS[cls]} import {cls}")
            self.bound.add(cls)
        for key, stmts in cells:
            self.body.append(f"# --- cell {key}")
            for stmt in stmts:
                for used in [*stmt.uses, *sorted(stmt.deferred - self.program)]:
                    self.require(used, stmt.text.splitlines()[0][:60])
                self.body.append(stmt.text)
                self.bound |= stmt.binds
        alias = next((a for a in self.aliases if a in self.bound), self.aliases[0])
        self.require(alias, "topology")
        self.body.append(topology_line.format(alias))
        chunks = [header, "\n".join(self.imports)] if self.imports else [header]
        body = "\n".join(f"\n{c}\n" if "\n" in c or c.startswith("# --- cell") else c for c in self.body)
        return "\n\n".join([*chunks, re.sub(r"\n{3,}", "\n\n", body).strip("\n")]) + "\n"


def _import_line(name: str, value: Any) -> str | None:
    """``import x as name`` for a module, ``from m import f as name`` for an importable function or class."""
    if isinstance(value, ModuleType):
        real = value.__name__
        if real == "__main__":
            return None
        return f"import {real}" if real == name else f"import {real} as {name}"
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or module == "__main__" or "." in qualname:
        return None
    if getattr(sys.modules.get(module), qualname, None) is not value:
        return None
    return f"from {module} import {qualname}" + ("" if qualname == name else f" as {name}")


def properties_text(config: Mapping[str, Any] | None, module_ref: str) -> str:
    """A Java properties file of ``config`` for ``kstreams-nb run``; secret keys as commented placeholders.

    Example::

        >>> print(properties_text({"application.id": "wc", "sasl.password": "x"}, "wc:topology"), end="")
        # Config of wc:topology, written by kstreams_nb.jobs.export. Run it with:
        #   kstreams-nb run wc:topology --config <this file>
        # A value may be ${NAME}: the environment variable NAME is read when the job starts.
        application.id=wc
        # bootstrap.servers=   (required: the Kafka brokers, host:port,...)
        # sasl.password=   (secret: not written; put it here, or ${ENV_VAR} to read it from the environment)
    """
    given: dict[str, Any] = {}
    if isinstance(config, StreamsConfig):
        given = {k: config[k] for k in config if config.is_set(k)}
    elif config is not None:
        given = dict(config)
    lines = [
        f"# Config of {module_ref}, written by kstreams_nb.jobs.export. Run it with:",
        f"#   kstreams-nb run {module_ref} --config <this file>",
        "# A value may be ${NAME}: the environment variable NAME is read when the job starts.",
    ]
    keys = [*_REQUIRED, *sorted(k for k in given if k not in _REQUIRED)]
    for key in keys:
        value = given.get(key)
        if key not in given or value is None:
            if key in _REQUIRED:
                what = "a name for the application" if key == "application.id" else "the Kafka brokers, host:port,..."
                lines.append(f"# {key}=   (required: {what})")
        elif is_secret_key(key):
            lines.append(f"# {key}=   (secret: not written; {_SECRET_NOTE})")
        elif isinstance(value, bool):
            lines.append(f"{key}={'true' if value else 'false'}")
        elif isinstance(value, (str, int, float)) and "\n" not in str(value):
            lines.append(f"{key}={value}")
        else:
            lines.append(f"# {key}=   (a {type(value).__name__} value: a properties file holds text; set it here)")
    return "\n".join(lines) + "\n"


def _verify(module: Path, expected: str) -> None:
    """Run the module in a fresh interpreter; JobError when it fails or describes another topology."""
    code = (
        "import runpy, sys\n"
        "from kstreams_nb.topology import Topology\n"
        "t = runpy.run_path(sys.argv[1]).get('topology')\n"
        "if not isinstance(t, Topology):\n"
        "    sys.exit(f'TypeError: topology is {type(t).__name__}, not a Topology')\n"
        "sys.stdout.write(str(t.describe()))\n"
    )
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(module)], capture_output=True, text=True,
                              timeout=VERIFY_TIMEOUT, cwd=os.getcwd(), check=False)
    except subprocess.TimeoutExpired:
        raise JobError(f"export: running {module} on its own took over {VERIFY_TIMEOUT:.0f} s; "
                       "does a cell wait for something?") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no error output)"])[-1]
        missing = re.search(r"NameError: name '(\w+)' is not defined", proc.stderr)
        hint = (f"{missing.group(1)!r} is not defined there: define (or import) it in a cell above the cells that "
                "use it, run that cell, and export again") if missing else "see the error above"
        raise JobError(f"export: {module} fails when run on its own: {last}; {hint} (the module is left there "
                       "to look at)")
    if proc.stdout.strip() != expected.strip():
        diff = "\n".join(list(difflib.unified_diff(expected.splitlines(), proc.stdout.splitlines(), "notebook",
                                                   str(module), lineterm=""))[:30])
        raise JobError(f"export: {module} builds a different topology than the notebook builder:\n{diff}")


def export(builder: Any, path: str | os.PathLike[str], *, config: Mapping[str, Any] | None = None,
           verify: bool = True, overwrite_properties: bool = False) -> ExportResult:
    """Write the cells that built ``builder`` (a NotebookBuilder or NotebookTopology) as the module ``path``,
    defining ``topology``, and ``config`` as a properties file beside it (same name, ``.properties``). An
    existing properties file is kept (it may hold your edits): the new one is written as ``.properties.new``
    unless ``overwrite_properties=True``.

    Call it in the notebook whose cells built the topology. With ``verify`` (the default) the module is run in
    a fresh interpreter and must describe the same topology; JobError says what is wrong otherwise (a name
    defined nowhere, a notebook-only call defining a name the cells use, ...).

    Example::

        >>> result = export(nb, "wordcount.py", config={"application.id": "wc"})   # doctest: +SKIP
        >>> result.cells, result.properties                                          # doctest: +SKIP
    """
    from kstreams_nb.notebook import NotebookBuilder, NotebookTopology

    if not isinstance(builder, (NotebookBuilder, NotebookTopology)):
        raise JobError(f"export: expected a NotebookBuilder or NotebookTopology (its cells are exported), got "
                       f"{type(builder).__name__}; a topology already in a module can be run as 'module:attr'")
    module = Path(path)
    if module.suffix != ".py":
        raise JobError(f"export: the module path must end in .py, got {str(path)!r}")
    shell = _shell()
    if shell is None:
        raise JobError("export: no IPython shell; call export() in the notebook whose cells built the topology")
    keys = builder.cells
    if not keys:
        raise JobError("export: the builder has no cells yet; run the cells that build the topology first")
    ns: dict[str, Any] = shell.user_ns
    aliases = sorted((n for n, v in ns.items() if v is builder and not _CACHE_NAME.match(n)), key=len)
    if not aliases:
        raise JobError("export: the builder is not a variable of the notebook; assign it to a name "
                       "(nb = NotebookBuilder()) in the cells that use it")
    handles = {n for n, v in ns.items() if _made_by(v, builder)}
    is_dsl = isinstance(builder, NotebookBuilder)
    constructor = ("kstreams_nb.dsl", "StreamsBuilder") if is_dsl else ("kstreams_nb.topology", "Topology")
    flt = CellFilter(ns, set(aliases) | handles,
                     [(NotebookBuilder, "StreamsBuilder"), (NotebookTopology, "Topology")])
    by_source: dict[str, list[str]] = {}  # named cells of one notebook cell share its source: exported once
    for key in keys:
        source = builder.source_of(key)
        if not source.strip():
            raise JobError(f"export: cell {key!r} has no source (it ran outside IPython); export needs the cells "
                           "of a notebook or IPython session")
        by_source.setdefault(source, []).append(key)
    parsed = []
    for source, names in by_source.items():
        try:
            parsed.append((", ".join(names), cell_statements(shell.transform_cell(source), flt)))
        except SyntaxError as e:
            raise JobError(f"export: cell {names[0]!r} is not Python that can be exported: {e}") from None
    kept = keep_statements([stmts for _, stmts in parsed])
    ref = f"{module.stem}:topology" if module.stem.isidentifier() else f"{module}:topology"
    header = (f'"""{module.stem}: a topology exported from a notebook by kstreams_nb.jobs.export.\n\n'
              f"Run it:   kstreams-nb run {ref} --config {module.stem}.properties\n"
              f'Check it: kstreams-nb describe {ref}\n"""')
    assembler = _Assembler(ns, aliases, flt, _history(shell), constructor)
    text = assembler.assemble([(key, stmts) for (key, _), stmts in zip(parsed, kept)],
                              "topology = {}.build()" if is_dsl else "topology = {}", header)
    module.write_text(text, encoding="utf-8")
    properties = module.with_suffix(".properties")
    if properties.exists() and not overwrite_properties:  # the user may have edited it (servers, ${SECRETS})
        properties = properties.with_suffix(".properties.new")
    properties.write_text(properties_text(config, ref), encoding="utf-8")
    if verify:
        _verify(module, str(builder.describe()))
    return ExportResult(module, properties, tuple(keys), tuple(assembler.helpers))


def _made_by(value: Any, builder: Any) -> bool:
    """True for a stream/table handle of ``builder`` (or a dict of them, as ``split()`` returns)."""
    from kstreams_nb.notebook._handle import Handle

    recorder = getattr(builder, "_recorder", None)
    if isinstance(value, Handle):
        return value._recorder is recorder
    return type(value) is dict and any(isinstance(v, Handle) and v._recorder is recorder for v in value.values())
