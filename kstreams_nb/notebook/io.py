"""Typed topic helpers for notebooks: ``sample``, ``produce`` and ``read`` (serdes applied, no bytes in sight).

They reach the broker through the client protocols only (``kstreams_nb.clients.base``), picked from
``bootstrap.servers`` as KafkaStreams does (default ``memory://default``, the embedded broker). Reads are
assign-only: no consumer group is joined and nothing is committed, so sampling never disturbs an application.
Keys and values use the given serdes, else ``default.key.serde`` / ``default.value.serde`` of ``config``, else
JSON.

Example::

    >>> from kstreams_nb.clients.memory import EmbeddedBroker
    >>> EmbeddedBroker.reset("io-doc").create_topic("orders", partitions=2)
    >>> cfg = {"bootstrap.servers": "memory://io-doc"}
    >>> produce("orders", records([("a", {"n": 1}, 10), ("b", {"n": 2}, 20)]), config=cfg)
    2
    >>> sample("orders", config=cfg)[["key", "value", "timestamp"]].values.tolist()
    [['a', {'n': 1}, 10], ['b', {'n': 2}, 20]]
    >>> EmbeddedBroker.drop("io-doc")
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping
from typing import Any

from kstreams_nb._engine.task import default_serde
from kstreams_nb.clients.base import ClientSupplier, Consumer, supplier_for
from kstreams_nb.errors import UnknownTopicError
from kstreams_nb.notebook._frames import frame
from kstreams_nb.notebook.inputs import coerce_records, records
from kstreams_nb.records import ConsumerRecord, TopicPartition

__all__ = ["produce", "read", "records", "sample"]

_DEFAULT_SERVERS = "memory://default"
_COLUMNS = ["key", "value", "timestamp", "partition", "offset"]
_POLL_MAX = 1000
_POLL_WAIT = 0.2


def _servers(config: Mapping[str, Any] | None) -> str:
    return str((config or {}).get("bootstrap.servers") or _DEFAULT_SERVERS)


def _supplier(config: Mapping[str, Any] | None) -> ClientSupplier:
    return supplier_for(_servers(config))


def _serdes(config: Mapping[str, Any] | None, key_serde: Any, value_serde: Any) -> tuple[Any, Any]:
    cfg = config or {}
    return (
        key_serde if key_serde is not None else default_serde(cfg, "default.key.serde"),
        value_serde if value_serde is not None else default_serde(cfg, "default.value.serde"),
    )


def _partitions(supplier: ClientSupplier, config: Mapping[str, Any] | None, topic: str) -> list[TopicPartition]:
    admin = supplier.admin({"bootstrap.servers": _servers(config)})
    try:
        count = admin.partitions_for(topic)
        if count is None:
            existing = sorted(t for t in admin.list_topics() if not t.startswith("__"))
            raise UnknownTopicError(
                f"topic {topic!r} does not exist on {_servers(config)}; existing topics: "
                f"{', '.join(existing) or 'none'}. Check the name, or create it first."
            )
    finally:
        admin.close()
    return [TopicPartition(topic, p) for p in range(count)]


def _consumer(supplier: ClientSupplier, config: Mapping[str, Any] | None) -> Consumer:
    cfg = config or {}
    return supplier.consumer({
        "bootstrap.servers": _servers(config),
        "client.id": "kstreams-nb-notebook-reader",
        "isolation.level": cfg.get("isolation.level", "read_committed"),
        "auto.offset.reset": "earliest",
    })


def _shares(available: Mapping[TopicPartition, int], n: int) -> dict[TopicPartition, int]:
    """Up to ``n`` records spread as evenly as possible over partitions holding ``available`` records each."""
    shares = dict.fromkeys(available, 0)
    left = n
    open_tps = [tp for tp, count in available.items() if count > 0]
    while left > 0 and open_tps:
        each = max(1, left // len(open_tps))
        for tp in list(open_tps):
            take = min(each, available[tp] - shares[tp], left)
            shares[tp] += take
            left -= take
            if shares[tp] >= available[tp]:
                open_tps.remove(tp)
            if left == 0:
                break
    return shares


def _fetch(
    topic: str, n: int | None, config: Mapping[str, Any] | None, start: str | int, timeout: float
) -> dict[TopicPartition, list[ConsumerRecord]]:
    """Per partition, the records from ``start`` up to the end offsets seen when the read began (``n`` in all)."""
    supplier = _supplier(config)
    tps = _partitions(supplier, config, topic)
    consumer = _consumer(supplier, config)
    try:
        consumer.assign(tps)
        ends = consumer.end_offsets(tps)
        consumer.seek_to_beginning(tps)
        begins = {tp: consumer.position(tp) for tp in tps}
        if start == "latest":
            shares = _shares({tp: ends[tp] - begins[tp] for tp in tps}, n if n is not None else 1 << 62)
            for tp in tps:
                consumer.seek(tp, ends[tp] - shares[tp])
        elif isinstance(start, int) and not isinstance(start, bool):
            found = consumer.offsets_for_times(dict.fromkeys(tps, start))
            for tp in tps:
                offset = found.get(tp)
                consumer.seek(tp, ends[tp] if offset is None else offset)
        elif start != "earliest":
            raise ValueError(f"start must be 'earliest', 'latest' or a timestamp in epoch ms, got {start!r}")
        out: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in tps}
        pending = {tp for tp in tps if consumer.position(tp) < ends[tp]}
        total = 0
        deadline = time.monotonic() + timeout
        while pending and (n is None or total < n):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            want = _POLL_MAX if n is None else min(_POLL_MAX, n - total)
            for rec in consumer.poll_batch(want, min(remaining, _POLL_WAIT)):
                tp = TopicPartition(rec.topic, rec.partition)
                if rec.offset < ends[tp] and (n is None or total < n):
                    out[tp].append(rec)
                    total += 1
            pending = {tp for tp in pending if consumer.position(tp) < ends[tp]}
        return out
    finally:
        consumer.close()


def _to_frame(rows: list[ConsumerRecord], key_serde: Any, value_serde: Any) -> Any:
    kd, vd = key_serde.deserialize, value_serde.deserialize
    return frame(
        [(kd(r.topic, r.key), vd(r.topic, r.value), r.timestamp, r.partition, r.offset) for r in rows], _COLUMNS
    )


def sample(
    topic: str,
    n: int = 100,
    *,
    config: Mapping[str, Any] | None = None,
    start: str | int = "earliest",
    timeout: float = 10.0,
    key_serde: Any = None,
    value_serde: Any = None,
) -> Any:
    """Up to ``n`` records of ``topic`` as a DataFrame (key, value, timestamp, partition, offset), ready for
    :func:`~kstreams_nb.notebook.preview`.

    ``start``: ``"earliest"`` (the first records), ``"latest"`` (the last records of each partition, ``n`` in
    all) or a timestamp in epoch ms (the records from that time on). Every partition is read, up to its end as
    it was when the call began, for at most ``timeout`` seconds. Rows come merged across partitions lowest
    timestamp first, each partition in offset order (as a task reads them). UnknownTopicError names a missing
    topic and the existing ones.

    Example: ``preview(topology, {"orders": sample("orders", 50, start="latest")})``.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    key_serde, value_serde = _serdes(config, key_serde, value_serde)
    per_partition = _fetch(topic, n, config, start, timeout)
    merged = heapq.merge(*per_partition.values(), key=lambda r: r.timestamp)
    return _to_frame(list(merged), key_serde, value_serde)


def read(
    topic: str,
    *,
    config: Mapping[str, Any] | None = None,
    timeout: float = 10.0,
    key_serde: Any = None,
    value_serde: Any = None,
) -> Any:
    """Every record currently in ``topic`` as a DataFrame (key, value, timestamp, partition, offset), ordered
    by partition and offset.

    Example: ``read("word-counts", config={"bootstrap.servers": "memory://demo"})``.
    """
    key_serde, value_serde = _serdes(config, key_serde, value_serde)
    per_partition = _fetch(topic, None, config, "earliest", timeout)
    return _to_frame([r for tp in sorted(per_partition) for r in per_partition[tp]], key_serde, value_serde)


def produce(
    topic: str,
    data: Any,
    *,
    config: Mapping[str, Any] | None = None,
    key_serde: Any = None,
    value_serde: Any = None,
    partition: int | None = None,
) -> int:
    """Write records to an existing ``topic``; returns how many were written.

    ``data`` is given as preview inputs are: a DataFrame, a list of Records (:func:`records`) or a list of plain
    values. Records without a timestamp get the producer's current time; keys pick the partition with Kafka's
    default partitioner unless ``partition`` is given. Nothing is created implicitly: a missing topic raises
    UnknownTopicError (unless the embedded broker auto-creates topics).

    Example: ``produce("orders", pd.DataFrame({"key": ["a"], "value": [{"n": 1}]}))``.
    """
    recs = coerce_records(data, topic, stamped=False)
    key_serde, value_serde = _serdes(config, key_serde, value_serde)
    supplier = _supplier(config)
    producer = supplier.producer({"bootstrap.servers": _servers(config), "client.id": "kstreams-nb-notebook-writer"})
    try:
        try:
            producer.partitions_for(topic)
        except UnknownTopicError:
            _partitions(supplier, config, topic)  # raises with the list of existing topics
            raise
        for r in recs:
            ts = r[2]
            producer.produce(
                topic,
                key_serde.serialize(topic, r[0]),
                value_serde.serialize(topic, r[1]),
                partition=partition,
                timestamp=ts if ts >= 0 else None,
                headers=r[3],
            )
        producer.flush()
    finally:
        producer.close()
    return len(recs)
