"""The source analysis behind :func:`kstreams_nb.jobs.export`: which statements of the notebook's cells build the
topology, which names they use without defining them, and where those names come from.

A cell's top-level statements are kept when they matter for the topology: imports, function and class
definitions, builder calls (a method call on the builder or on a stream/table it made, or a call given one of
them), and assignments whose names a kept statement uses. ``with nb.cell(...)`` blocks are unwrapped, and
statements that call notebook-only functions (``preview``, ``explore``, ``draw``, ``deploy``, ``sample``,
``produce``, ``read``, ``export``, ``KafkaStreams``, ``display``, ``print``) or only show or inspect the builder
are dropped, so importing the module has no side effect besides building the topology.

Example::

    >>> scope("t = t.add_source('S', TOPIC)\\nf = lambda v: parse(v)")
    (['t', 'TOPIC'], {'parse'}, {'f', 't'})
"""

from __future__ import annotations

import ast
import builtins
import symtable
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = ["Stmt", "binding_names", "cell_statements", "keep_statements", "scope", "statement_text"]

# methods of the notebook builders and handles that show or inspect, never build
INSPECT = frozenset({
    "build", "describe", "to_networkx", "cells", "source_of", "cell_of_node", "remove", "reset", "cell",
})
# notebook-only calls, known by name when the kernel's namespace cannot tell what they are
BANNED_NAMES = frozenset({
    "preview", "explore", "draw", "deploy", "sample", "produce", "read", "export", "display", "print", "pprint",
    "KafkaStreams", "TopologyTestDriver", "PreviewSession",
})
BANNED_ATTRS = frozenset({"preview", "explore", "deploy", "display", "KafkaStreams", "TopologyTestDriver"})
_BANNED_MODULES = ("kstreams_nb.notebook", "kstreams_nb.jobs", "kstreams_nb.testing", "kstreams_nb.topology.draw",
                   "kstreams_nb.streams", "IPython", "pprint")
_ALWAYS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})


@dataclass
class Stmt:
    """A kept statement: its source text and the names it uses now (``uses``), later (``deferred``) and binds."""

    text: str
    uses: list[str] = field(default_factory=list)
    deferred: set[str] = field(default_factory=set)
    binds: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, text: str) -> Stmt:
        uses, deferred, binds = scope(text)
        return cls(text, uses, deferred, binds)


def scope(text: str) -> tuple[list[str], set[str], set[str]]:
    """``(uses, deferred, binds)`` of module-level ``text``: global names read when it runs (in order), global
    names read later by the functions and lambdas it defines, and the names it binds."""
    top = symtable.symtable(text, "<cell>", "exec")
    read: set[str] = set()
    binds: set[str] = set()
    for sym in top.get_symbols():
        if sym.is_referenced():
            read.add(sym.get_name())
        if sym.is_assigned() or sym.is_imported():
            binds.add(sym.get_name())
    deferred: set[str] = set()

    def visit(table: symtable.SymbolTable, later: bool) -> None:
        for child in table.get_children():
            child_later = later or (child.get_type() != "class" and child.get_name() not in _COMPREHENSIONS)
            for sym in child.get_symbols():
                if sym.is_global() and sym.is_referenced():
                    (deferred if child_later else read).add(sym.get_name())
            visit(child, child_later)

    visit(top, False)
    tree = ast.parse(text)
    if not all(isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)) for node in tree.body):
        read -= binds  # a loop or block binds its names before it reads them (a good enough approximation)
    deferred -= binds
    order = sorted((n.lineno, n.col_offset, n.id) for n in ast.walk(tree) if isinstance(n, ast.Name))
    uses = list(dict.fromkeys(name for _, _, name in order if name in read))
    uses += sorted(read - set(uses))
    return uses, deferred, binds


def statement_text(node: ast.stmt, lines: list[str], siblings: list[ast.stmt]) -> str:
    """The statement's own source lines (decorators and comments inside it kept), dedented; its unparsed form when
    it shares a line with another statement or its lines do not parse on their own."""
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    end = node.end_lineno or node.lineno
    shared = any(o is not node and (o.end_lineno or o.lineno) >= start and o.lineno <= end for o in siblings)
    if not shared:
        text = textwrap.dedent("\n".join(lines[start - 1 : end]))
        try:
            ast.parse(text)
            return text
        except SyntaxError:
            pass
    return ast.unparse(node)


def binding_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement defines (for finding a name's definition in the history); ``x += 1`` and loop
    variables do not count as definitions."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, (ast.If, ast.Try)):
        inner = [*node.body, *node.orelse, *getattr(node, "finalbody", [])]
        inner += [s for h in getattr(node, "handlers", []) for s in h.body]
        return {name for s in inner for name in binding_names(s)}
    return set()


def _module_level(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``node`` evaluated when it runs: not the bodies of functions and lambdas."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield from _module_level(child)


def _root(expr: ast.expr) -> str | None:
    while isinstance(expr, (ast.Attribute, ast.Subscript, ast.Call)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


class CellFilter:
    """Decide what a cell keeps, knowing the kernel's namespace and the names that stand for the builder."""

    def __init__(self, ns: dict[str, Any], builder_names: set[str], replace: list[tuple[Any, str]]) -> None:
        self.ns = ns
        self.names = set(builder_names)  # the builder and every stream/table/split made from it
        self.replace = replace  # NotebookBuilder -> "StreamsBuilder", NotebookTopology -> "Topology"
        self.replaced: set[str] = set()

    def resolve(self, expr: ast.expr) -> Any:
        """The object ``expr`` (a name or a dotted attribute of a module or class) is in the namespace, or None."""
        if isinstance(expr, ast.Name):
            return self.ns.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value)
            if isinstance(base, (ModuleType, type)):
                return getattr(base, expr.attr, None)
        return None

    def banned(self, call: ast.Call) -> bool:
        obj = self.resolve(call.func)
        if obj is not None:
            if obj is print:
                return True
            module = getattr(obj, "__module__", None) or ""
            return any(module == m or module.startswith(m + ".") for m in _BANNED_MODULES)
        if isinstance(call.func, ast.Name):
            return call.func.id in BANNED_NAMES
        return isinstance(call.func, ast.Attribute) and call.func.attr in BANNED_ATTRS

    def _calls(self, node: ast.AST) -> Iterator[ast.Call]:
        return (n for n in _module_level(node) if isinstance(n, ast.Call))

    def has_banned(self, node: ast.AST) -> bool:
        return any(self.banned(c) for c in self._calls(node))

    def builds(self, node: ast.AST) -> bool:
        """True when ``node`` calls a builder method, or passes the builder (or a stream...) to a function."""
        for call in self._calls(node):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr not in INSPECT and _root(func.value) in self.names:
                return True
            if isinstance(func, ast.Attribute):
                owner = self.ns.get(_root(func.value) or "")
                if owner is not None and not isinstance(owner, (ModuleType, type)):
                    continue  # a method of another object (a preview, a frame) given a stream reads it, not builds
            builtin = isinstance(func, ast.Name) and func.id not in self.ns and hasattr(builtins, func.id)
            args = [*call.args, *(k.value for k in call.keywords)]
            if not builtin and any(_root(a) in self.names for a in args if isinstance(a, (ast.Name, ast.Starred))):
                return True
        return False

    def _cell_block(self, node: ast.stmt) -> bool:
        return isinstance(node, ast.With) and all(
            isinstance(i.context_expr, ast.Call) and isinstance(i.context_expr.func, ast.Attribute)
            and i.context_expr.func.attr == "cell" and _root(i.context_expr.func.value) in self.names
            for i in node.items
        )

    def _swap_constructors(self, node: ast.stmt) -> bool:
        changed = False
        for call in self._calls(node):
            found = self.resolve(call.func)
            name = next((n for cls, n in self.replace if found is cls), None)
            if name is not None:
                call.func, call.args, call.keywords = ast.Name(name, ast.Load()), [], []
                self.replaced.add(name)
                changed = True
        return changed

    def _scrub(self, body: list[ast.stmt]) -> list[ast.stmt]:
        """A compound statement's body without notebook-only calls and bare expressions that build nothing."""
        out: list[ast.stmt] = []
        for stmt in body:
            if self.has_banned(stmt) and not isinstance(stmt, _ALWAYS) and not self._compound(stmt):
                continue
            if isinstance(stmt, ast.Expr) and not self.builds(stmt):
                continue
            self._scrub_children(stmt)
            out.append(stmt)
        return out or [ast.Pass()]

    def _compound(self, stmt: ast.stmt) -> bool:
        return isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try))

    def _scrub_children(self, stmt: ast.stmt) -> None:
        if self._compound(stmt):
            for attr in ("body", "orelse", "finalbody"):
                if getattr(stmt, attr, None):
                    setattr(stmt, attr, self._scrub(getattr(stmt, attr)))
            for handler in getattr(stmt, "handlers", []):
                handler.body = self._scrub(handler.body)

    def flatten(self, source: str) -> list[tuple[ast.stmt, str, bool]]:
        """The cell's statements as ``(node, text, may_build)``, ``with nb.cell(...)`` blocks unwrapped."""
        tree = ast.parse(source)
        lines = source.splitlines()
        out: list[tuple[ast.stmt, str, bool]] = []

        def walk(body: list[ast.stmt]) -> None:
            for node in body:
                if isinstance(node, ast.With) and self._cell_block(node):
                    walk(node.body)
                    continue
                changed = self._swap_constructors(node)
                banned = self.has_banned(node) and not isinstance(node, _ALWAYS)
                if banned and not self._compound(node):
                    continue
                if self._compound(node):
                    before = ast.dump(node)
                    self._scrub_children(node)
                    changed = changed or ast.dump(node) != before
                    if self.has_banned_head(node):
                        continue
                text = ast.unparse(node) if changed else statement_text(node, lines, body)
                builds = self.builds(node)
                if builds:
                    self.names |= binding_names(node) | _targets(node)
                out.append((node, text, builds))

        walk(tree.body)
        return out

    def has_banned_head(self, node: ast.stmt) -> bool:
        """A banned call in the part of a compound statement that is not a body (a loop's iterable, a test...)."""
        heads = [getattr(node, a) for a in ("iter", "test") if getattr(node, a, None) is not None]
        heads += [i.context_expr for i in getattr(node, "items", [])]
        return any(self.has_banned(h) for h in heads)


def _targets(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return set()


def cell_statements(source: str, flt: CellFilter) -> list[tuple[Stmt, bool, bool]]:
    """``(statement, always kept, builds)`` for each statement of a cell that may be kept."""
    out = []
    for node, text, builds in flt.flatten(source):
        if isinstance(node, ast.Expr) and not builds:
            continue
        if isinstance(node, (ast.Pass, ast.Delete, ast.Global, ast.Nonlocal)):
            continue
        out.append((Stmt.of(text), isinstance(node, _ALWAYS), builds))
    return out


def keep_statements(cells: list[list[tuple[Stmt, bool, bool]]]) -> list[list[Stmt]]:
    """Per cell, the statements kept: imports, definitions, builder calls, and what those use (a backward pass)."""
    needed: set[str] = set()
    for cell in cells:
        for stmt, always, _ in cell:
            if always:
                needed |= stmt.deferred
    kept: list[list[Stmt]] = [[] for _ in cells]
    for i in range(len(cells) - 1, -1, -1):
        for stmt, always, builds in reversed(cells[i]):
            if always or builds or stmt.binds & needed:
                kept[i].append(stmt)
                needed |= set(stmt.uses) | stmt.deferred
        kept[i].reverse()
    return kept
