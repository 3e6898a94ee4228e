"""Fused stateless chains: consecutive single-child stateless processors run as one callable.

A chain such as ``map_values → filter → map_values`` costs a forward per node when each node runs on its own
(set the current node, call the child, catch its errors). When a task starts processing, each DSL stateless
processor (one whose ``fusion()`` describes its step: filter, map, map_values, select_key, peek, ...) that
forwards to exactly one such processor gets, as its entry point, one generated function doing the steps of the
whole chain in order and then forwarding the last step's record to the last node's children.

Nothing observable changes: the topology, its description and node names are untouched (only ``Node.run`` of
the chain's first node is replaced); a failing step is reported as its own node's failure (the processing
handler sees that node, a ProcessingError names it); records keep their timestamps and headers, as the steps
never change them. A node whose entry point or children were instrumented (per-node metrics at DEBUG, the
notebook preview's recorder) is not fused, so what instruments a node sees every record it processes.

Example::

    fuse_chains(task.nodes.values(), task.ctx)  # StreamTask does this before its first record
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kstreams_nb._engine.nodes import _PASS_THROUGH, Node, ProcessorNode, SinkNode
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serde

if TYPE_CHECKING:
    from kstreams_nb._engine.context import ProcessorContextImpl

__all__ = ["fuse_chains"]

#: step kind -> (lines of the step, whether it makes a new record, whether it changes the key); ``f`` is the
#: step's function, ``flag`` its option (filter: negate)
_STEPS: dict[str, tuple[tuple[str, ...], bool, bool]] = {
    "filter": (("if not f(key, value): return",), False, False),
    "filter_not": (("if f(key, value): return",), False, False),
    "not_null_key": (("if key is None: return",), False, False),
    "map_values": (("value = f(value)",), True, False),
    "map_values_with_key": (("value = f(key, value)",), True, False),
    "select_key": (("key = f(key, value)",), True, True),
    "map": (
        (
            "pair = f(key, value)",
            "if not isinstance(pair, tuple) or len(pair) != 2:",
            "    raise TypeError(f\"map's mapper must return a (key, value) tuple, got {pair!r}\")",
            "key, value = pair",
        ),
        True,
        True,
    ),
    "peek": (("f(key, value)",), False, False),
    "to_stream": (("value = value.new",), True, False),
    "to_stream_rekey": (("key = f(key, value.new)", "value = value.new"), True, True),
    "pass": ((), False, False),
}


def _step(node: Node) -> tuple[str, Any] | None:
    """``(kind, function)`` when ``node`` runs a fusable stateless step and nothing instruments it."""
    if type(node) is not ProcessorNode or node.fixed_key:
        return None
    processor = node.processor
    if node.run != processor.process:  # wrapped: per-node metrics, the notebook recorder
        return None
    describe = getattr(processor, "fusion", None)
    step = describe() if callable(describe) else None
    if not isinstance(step, tuple) or len(step) != 2 or step[0] not in _STEPS:
        return None
    return step


def _next(node: Node) -> Node | None:
    """The only child of ``node`` when it has exactly one, connected the plain way."""
    children = node.children
    if len(children) != 1 or type(node.children_by_name) is not dict:
        return None
    return children[0]


def _sink(node: Node) -> SinkNode | None:
    """The only child of ``node`` when it is a sink that can run inline: a fixed topic of the application's
    cluster, the default partitioner, built-in serdes, nothing instrumenting it."""
    child = _next(node)
    if type(child) is not SinkNode or child.run != child.process or child.topic is None:
        return None
    if child.partitioner is not None or child._send != child.ctx.collector.send:
        return None
    if type(child.key_serializer) is not Serde or type(child.value_serializer) is not Serde:
        return None
    return child


def fuse_chains(nodes: Iterable[Node], ctx: ProcessorContextImpl) -> int:
    """Give every fusable node followed by at least one more, or by a sink that can run inline, its chain's fused
    entry point; returns how many."""
    fused = 0
    for node in list(nodes):
        first = _step(node)
        if first is None:
            continue
        chain: list[tuple[Node, tuple[str, Any]]] = [(node, first)]
        child = _next(node)
        while child is not None:
            step = _step(child)
            if step is None or any(n is child for n, _ in chain):
                break
            chain.append((child, step))
            child = _next(child)
        sink = _sink(chain[-1][0])
        if len(chain) > 1 or sink is not None:
            node.run = _compile(chain, ctx, sink)
            fused += 1
    return fused


def _compile(
    chain: list[tuple[Node, tuple[str, Any]]], ctx: ProcessorContextImpl, sink: SinkNode | None = None
) -> Callable[[Record], None]:
    names: dict[str, Any] = {
        "PASS": _PASS_THROUGH, "ctx": ctx, "forward": ctx.forward, "Record": Record, "new": tuple.__new__,
        "last": chain[-1][0], "failed": _failure(ctx),
    }
    lines = ["def fused(record):", "    key, value, ts, headers = record", "    rtype = type(record)"]
    changed = False  # has a step made a new record?
    for i, (node, (kind, fn)) in enumerate(chain):
        body, makes, rekeys = _STEPS[kind]
        names[f"f{i}"], names[f"n{i}"] = fn, node
        if body:
            before = "record" if not changed else "new(rtype, (key, value, ts, headers))"
            lines.append("    try:")
            lines.extend(f"        {line}".replace("f(", f"f{i}(") for line in body)
            lines.append("    except PASS:")
            lines.append("        raise")
            lines.append("    except Exception as e:")
            lines.append(f"        return failed(n{i}, {before}, e)")
        if rekeys:
            lines.append("    rtype = Record")
        changed = changed or makes
    out = "new(rtype, (key, value, ts, headers))" if changed else "record"
    if sink is not None:  # the sink inline: serialize, then hand the bytes to the producer
        names.update(sink=sink, topic=sink.topic, producer=ctx.collector.producer,
                     kto=sink.key_serializer.to_bytes, vto=sink.value_serializer.to_bytes,
                     produce_failed=_produce_failure(ctx, sink))
        lines += [
            "    try:",
            "        kb = None if key is None else kto(key)",
            "        vb = None if value is None else vto(value)",
            "    except Exception:",  # the sink's own path reports it (the serde's error, the production handler)
            "        ctx.current_node = last",
            f"        return forward({out})",
            "    ctx.current_node = sink",
            "    try:",
            "        producer.produce(topic, kb, vb, partition=None, timestamp=ts, headers=headers)",
            "    except Exception as e:",
            f"        produce_failed({out}, e)",
        ]
    else:
        lines.append("    ctx.current_node = last")
        lines.append(f"    forward({out})")
    source = "\n".join(lines)
    exec(compile(source, f"<fused chain {chain[0][0].name}>", "exec"), names)  # the text is built above
    run: Callable[[Record], None] = names["fused"]
    return run


def _produce_failure(ctx: ProcessorContextImpl, sink: SinkNode) -> Callable[[Record, Exception], None]:
    """What an inline sink does when the producer refuses a record: what the sink's collector and the forwarding
    context do (the production handler decides; a failed transaction is a processing failure)."""
    refused, topic = ctx.collector.produce_failed, sink.topic or ""

    def produce_failed(record: Record, error: Exception) -> None:
        try:
            refused(topic, error)
        except _PASS_THROUGH:
            raise
        except Exception as e:
            ctx.processing_failed(sink, record, e)

    return produce_failed


def _failure(ctx: ProcessorContextImpl) -> Callable[[Node, Record, Exception], None]:
    """What a failing step does: what the forwarding context does for a failing child."""

    def failed(node: Node, record: Record, error: Exception) -> None:
        ctx.current_node = node
        ctx.processing_failed(node, record, error)

    return failed
