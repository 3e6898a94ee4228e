"""ConfluentConsumer: the Consumer protocol over confluent-kafka.

What librdkafka leaves to its user, this class does, so the engine sees the same consumer as on the embedded
broker:

* **Explicit positions.** Every assigned partition starts at an offset resolved here: a seek made in the
  ``on_assign`` listener, else the group's committed offset, else ``auto.offset.reset`` (earliest: the log
  start; latest: the end). Under ``auto.offset.reset=none`` a partition with no committed offset is held back
  and ``poll_batch``/``position`` raise NoOffsetForPartitionError until it is sought.
* **Listeners inside poll.** Rebalances (the eager range assignor) call ``on_revoke``, ``on_lost`` and
  ``on_assign`` from ``poll_batch``; seeks and pauses made inside a listener are applied with the assignment.
  A listener's exception is raised by that ``poll_batch``.
* **Patterns** are matched here against the cluster's topics (librdkafka's regex dialect is not Python's), and
  re-matched every ``topic.metadata.refresh.interval.ms`` (5 s by default here).
* **End offsets** are the last stable offsets under ``read_committed`` (an admin ListOffsets request).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_INVALID, KafkaError, KafkaException
from confluent_kafka import Consumer as _Consumer
from confluent_kafka import TopicPartition as _TP
from confluent_kafka.admin import AdminClient, OffsetSpec

from kstreams_nb.clients.base import NoOffsetForPartitionError, OffsetOutOfRangeError, RebalanceListener
from kstreams_nb.clients.confluent._config import librdkafka_config
from kstreams_nb.clients.confluent._errors import GENERATION_ERRORS, retrying, translate
from kstreams_nb.clients.confluent.producer import make_client
from kstreams_nb.errors import BrokerError, CommitFailedError, ConfigError, UnknownTopicError
from kstreams_nb.records import EMPTY_HEADERS, ConsumerRecord, Headers, TopicPartition

__all__ = ["ConfluentConsumer", "ConfluentGroupMetadata"]

_TIMEOUT = 30.0
#: longest single wait inside poll_batch, so wakeup() is seen quickly
_SLICE = 0.1
_EOF_OR_NOISE = frozenset({KafkaError._PARTITION_EOF, KafkaError._MAX_POLL_EXCEEDED})
#: the group coordinator is loading or moving (e.g. on a fresh cluster): asking again soon succeeds

@dataclass(frozen=True)
class ConfluentGroupMetadata:
    """A consumer's group identity (KIP-447): ``native`` is librdkafka's opaque object for the producer."""

    group_id: str
    generation: int
    member_id: str
    native: Any


def _generation(native: Any) -> int:
    """The generation inside librdkafka's serialized group metadata (``CGMDv2:`` + little-endian int32), or -1."""
    data = native if isinstance(native, bytes) else b""
    prefix = b"CGMDv2:"
    if data.startswith(prefix) and len(data) >= len(prefix) + 4:
        return int.from_bytes(data[len(prefix):len(prefix) + 4], "little", signed=True)
    return -1


def _tp(p: Any) -> TopicPartition:
    return TopicPartition(p.topic, p.partition)


class ConfluentConsumer:
    """A librdkafka consumer (see the module docstring for what it adds)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._reset = str(config.get("auto.offset.reset", "latest")).lower()
        if self._reset not in ("earliest", "latest", "none"):
            raise ConfigError(f"auto.offset.reset must be earliest, latest or none, got {self._reset!r}")
        self._read_committed = str(config.get("isolation.level", "read_uncommitted")) == "read_committed"
        strategy = config.get("partition.assignment.strategy", "range")
        if strategy not in ("range", "RangeAssignor", "org.apache.kafka.clients.consumer.RangeAssignor"):
            raise ConfigError(f"partition.assignment.strategy: only the range assignor is supported, got {strategy!r}")
        conf = librdkafka_config(config, "consumer")
        self._group_id: str | None = conf.get("group.id")
        if self._group_id is None:  # librdkafka wants one; a consumer that only assigns never joins or commits
            conf["group.id"] = f"kstreams-nb-assign-only-{uuid.uuid4().hex}"
        # a fetch waits at most 100 ms for data (librdkafka: 500): a seek or resume takes effect after it returns
        conf.setdefault("fetch.wait.max.ms", 100)
        conf.update({"enable.auto.commit": False, "enable.auto.offset.store": False, "auto.offset.reset": "error",
                     "partition.assignment.strategy": "range", "enable.partition.eof": False})
        self._refresh_s = int(conf.pop("topic.metadata.refresh.interval.ms", 5000)) / 1000
        self._name = str(conf.get("client.id") or "consumer")
        self._admin_conf = {k: v for k, v in conf.items() if k.startswith(("bootstrap.", "security.", "sasl.", "ssl."))}
        self._c = make_client(_Consumer, conf, "consumer")
        self._admin: AdminClient | None = None
        self._positions: dict[TopicPartition, int] = {}
        self._assigned: list[TopicPartition] = []
        self._paused: set[TopicPartition] = set()
        self._unresolved: set[TopicPartition] = set()  # no position yet (auto.offset.reset=none)
        self._dirty = False  # positions changed in a way librdkafka must be told by a new assign()
        self._in_listener = False
        self._listener_error: BaseException | None = None
        self._listeners: tuple[RebalanceListener | None, RebalanceListener | None, RebalanceListener | None] = (
            None, None, None)
        self._pattern: re.Pattern[str] | None = None
        self._pattern_topics: list[str] = []
        self._pattern_checked = 0.0
        self._subscribed = False
        self._woken = threading.Event()
        self._buffer: list[ConsumerRecord] = []
        self._asked: dict[TopicPartition, tuple[float, int]] = {}
        self._sought: set[TopicPartition] = set()
        self._closed = False

    # ------------------------------------------------------------------ group membership
    def subscribe(
        self,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: RebalanceListener | None = None,
        on_revoke: RebalanceListener | None = None,
        on_lost: RebalanceListener | None = None,
    ) -> None:
        """Join the group ``group.id``; listeners run inside :meth:`poll_batch`."""
        if self._group_id is None:
            raise ConfigError("subscribe() needs a group.id")
        self._listeners = (on_assign, on_revoke, on_lost)
        if isinstance(topics, re.Pattern):
            self._pattern = topics
            self._pattern_topics = self._match_pattern()
            names = self._pattern_topics
        else:
            self._pattern = None
            names = list(topics)
        self._subscribed = True
        self._subscribe_native(names)

    def _subscribe_native(self, names: list[str]) -> None:
        if not names:  # nothing to read yet (a pattern that matches no topic): stay out of the group
            self._c.unsubscribe()
            return
        self._c.subscribe(names, on_assign=self._assigned_cb, on_revoke=self._revoked_cb, on_lost=self._lost_cb)

    def _match_pattern(self) -> list[str]:
        assert self._pattern is not None
        self._pattern_checked = time.monotonic()
        try:
            topics = self._c.list_topics(timeout=_TIMEOUT).topics
        except KafkaException as e:
            raise translate(e, f"consumer {self._name}: list topics") from None
        return sorted(t for t in topics if not t.startswith("__") and self._pattern.fullmatch(t))

    def unsubscribe(self) -> None:
        """Leave the group: ``on_revoke`` with the current partitions first."""
        if self._subscribed and self._assigned:
            self._call(self._listeners[1], list(self._assigned))
        self._subscribed = False
        self._listeners = (None, None, None)
        self._pattern = None
        self._c.unsubscribe()
        self._forget_assignment()
        self._raise_listener_error()

    # librdkafka's rebalance callbacks (called from inside consume())
    def _assigned_cb(self, _consumer: Any, partitions: list[Any]) -> None:
        tps = [_tp(p) for p in partitions]
        self._forget_assignment()
        self._assigned = tps
        self._seeks_in_listener: dict[TopicPartition, int] = {}
        self._call(self._listeners[0], tps)
        self._assign_native(tps, self._seeks_in_listener)

    def _revoked_cb(self, _consumer: Any, partitions: list[Any]) -> None:
        self._call(self._listeners[1], [_tp(p) for p in partitions])
        self._c.unassign()
        self._forget_assignment()

    def _lost_cb(self, _consumer: Any, partitions: list[Any]) -> None:
        listener = self._listeners[2] or self._listeners[1]
        self._call(listener, [_tp(p) for p in partitions])
        self._c.unassign()
        self._forget_assignment()

    def _call(self, listener: RebalanceListener | None, tps: list[TopicPartition]) -> None:
        if listener is None or self._closed:
            return
        self._in_listener = True
        try:
            listener(tps)
        except BaseException as e:  # raised by the poll_batch that ran the listener
            if self._listener_error is None:
                self._listener_error = e
        finally:
            self._in_listener = False

    def _raise_listener_error(self) -> None:
        error, self._listener_error = self._listener_error, None
        if error is not None:
            raise error

    def _forget_assignment(self) -> None:
        self._assigned = []
        self._positions.clear()
        self._paused.clear()
        self._unresolved.clear()
        self._sought.clear()
        self._dirty = False

    # ------------------------------------------------------------------ assignment
    def _resolve(self, tps: list[TopicPartition], given: Mapping[TopicPartition, int]) -> None:
        """Positions for ``tps``: ``given``, else committed, else the reset policy (or unresolved)."""
        todo = [tp for tp in tps if tp not in given]
        for tp, offset in given.items():
            self._positions[tp] = offset
        committed = self.committed(todo) if todo and self._group_id is not None else dict.fromkeys(todo)
        missing = [tp for tp in todo if committed.get(tp) is None]
        for tp in todo:
            found = committed.get(tp)
            if found is not None:
                self._positions[tp] = found
        if not missing:
            return
        if self._reset == "none":
            self._unresolved.update(missing)
            return
        bounds = self._beginnings(missing) if self._reset == "earliest" else self.end_offsets(missing)
        self._positions.update(bounds)

    def _assign_native(self, tps: list[TopicPartition], given: Mapping[TopicPartition, int]) -> None:
        self._resolve(tps, given)
        self._apply()

    def _apply(self) -> None:
        """Tell librdkafka the assignment with every resolved position, then the pauses."""
        native = [_TP(tp.topic, tp.partition, self._positions[tp]) for tp in self._assigned if tp in self._positions]
        try:
            self._c.assign(native)
            running = [p for p in native if _tp(p) not in self._paused]
            if running:  # librdkafka keeps a partition's pause flag across assignments; ours ends with them
                self._c.resume(running)
            if self._paused:
                self._c.pause([_TP(tp.topic, tp.partition) for tp in self._paused if tp in self._positions])
        except KafkaException as e:
            raise translate(e, f"consumer {self._name}: assign") from None
        self._dirty = False

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Read exactly these partitions, outside any group (positions of partitions kept stay)."""
        keep = {tp: self._positions[tp] for tp in partitions if tp in self._positions}
        paused = self._paused & set(partitions)
        self._forget_assignment()
        self._assigned = list(dict.fromkeys(partitions))
        self._paused = paused
        self._resolve(self._assigned, keep)
        self._apply()

    def assignment(self) -> list[TopicPartition]:
        """The assigned partitions."""
        return list(self._assigned)

    # ------------------------------------------------------------------ positions
    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Fetch ``tp`` from ``offset`` next."""
        if tp not in self._assigned:
            raise BrokerError(f"consumer {self._name}: cannot seek {tp}: it is not assigned")
        self._unresolved.discard(tp)
        self._positions[tp] = offset
        self._buffer = [r for r in self._buffer if (r.topic, r.partition) != (tp.topic, tp.partition)]
        if self._in_listener:
            self._seeks_in_listener[tp] = offset
        elif not self._dirty and tp not in self._paused:
            self._seek_native(tp, offset)

    def _seek_native(self, tp: TopicPartition, offset: int) -> None:
        self._sought.add(tp)  # librdkafka's own position is stale until a record from the new offset arrives
        try:
            self._c.seek(_TP(tp.topic, tp.partition, offset))
        except KafkaException:  # not fetched yet: the next poll assigns again with every position
            self._dirty = True

    def seek_to_beginning(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these partitions from their log start next."""
        for tp, offset in self._beginnings(list(partitions)).items():
            self.seek(tp, offset)

    def seek_to_end(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these partitions from their end (the last stable offset under read_committed) next."""
        for tp, offset in self.end_offsets(list(partitions)).items():
            self.seek(tp, offset)

    def position(self, tp: TopicPartition) -> int:
        """The offset of the next record ``poll_batch`` returns for ``tp``."""
        if tp in self._unresolved:
            raise NoOffsetForPartitionError([tp], f"no committed offset for {tp} and auto.offset.reset is none")
        if tp not in self._positions:
            raise BrokerError(f"consumer {self._name}: {tp} is not assigned")
        return self._positions[tp]

    def lag(self, tp: TopicPartition) -> int | None:
        """End offset minus position from the last fetch's high watermark (no request); None before one."""
        position = self._positions.get(tp)
        if position is None:
            return None
        native = _TP(tp.topic, tp.partition)
        try:
            _low, high = self._c.get_watermark_offsets(native, cached=True)
            if high is None or high < 0 or tp in self._paused:  # no fetch tells us: ask, at most once a second
                now = time.monotonic()
                asked = self._asked.get(tp)
                if asked is None or now - asked[0] >= 1.0:
                    asked = self._asked[tp] = (now, int(self._c.get_watermark_offsets(native, timeout=_TIMEOUT)[1]))
                high = asked[1]
        except KafkaException:
            return None
        return max(0, int(high) - position)

    def _list_offsets(self, tps: list[TopicPartition], spec: Any) -> dict[TopicPartition, int]:
        if not tps:
            return {}
        from confluent_kafka import IsolationLevel

        level = IsolationLevel.READ_COMMITTED if self._read_committed else IsolationLevel.READ_UNCOMMITTED
        natives = {_TP(tp.topic, tp.partition): spec for tp in tps}

        def query() -> dict[TopicPartition, int]:
            if self._admin is None:
                self._admin = AdminClient(dict(self._admin_conf))
            futures = self._admin.list_offsets(natives, isolation_level=level, request_timeout=_TIMEOUT)
            try:
                return {_tp(n): int(future.result(timeout=_TIMEOUT).offset) for n, future in futures.items()}
            except KafkaException:
                # librdkafka's admin client keeps the leader epochs it cached (a restarted broker answers
                # FENCED_LEADER_EPOCH for ever): the next attempt starts from fresh metadata
                self._admin = None
                raise

        try:
            return retrying(query)
        except KafkaException as e:
            self._check_exists(tps)
            shown = ", ".join(str(tp) for tp in tps)
            raise translate(e, f"consumer {self._name}: offsets of {shown}") from None

    def _check_exists(self, tps: Sequence[TopicPartition]) -> None:
        """UnknownTopicError naming the first partition the cluster does not have."""
        try:
            topics = self._c.list_topics(timeout=_TIMEOUT).topics
        except KafkaException as e:
            raise translate(e, f"consumer {self._name}: list topics") from None
        for tp in tps:
            found = topics.get(tp.topic)
            if found is None or found.error is not None or tp.partition not in found.partitions:
                raise UnknownTopicError(f"partition {tp} does not exist on the cluster")

    def _beginnings(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return self._list_offsets(tps, OffsetSpec.earliest())

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The end offset of each partition (the last stable offset under read_committed)."""
        return self._list_offsets(list(partitions), OffsetSpec.latest())

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """The earliest offset with a timestamp >= the given one, per partition (None when none is that late)."""
        if not timestamps:
            return {}
        natives = [_TP(tp.topic, tp.partition, ts) for tp, ts in timestamps.items()]
        try:
            found = retrying(lambda: self._c.offsets_for_times(natives, timeout=_TIMEOUT))
        except KafkaException as e:
            self._check_exists(list(timestamps))
            raise translate(e, f"consumer {self._name}: offsets for times") from None
        return {_tp(p): (p.offset if p.offset >= 0 else None) for p in found}

    # ------------------------------------------------------------------ pause
    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        """Stop returning records of these partitions until :meth:`resume`."""
        self._check_assigned(partitions, "pause")
        new = [tp for tp in partitions if tp not in self._paused]
        self._paused.update(new)
        self._buffer = [r for r in self._buffer if TopicPartition(r.topic, r.partition) not in self._paused]
        if new and not self._in_listener and not self._dirty:
            known = [_TP(tp.topic, tp.partition) for tp in new if tp in self._positions]
            if known:
                self._c.pause(known)

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        """Return records of these paused partitions again, from their positions."""
        self._check_assigned(partitions, "resume")
        back = [tp for tp in partitions if tp in self._paused]
        self._paused.difference_update(back)
        if back and not self._in_listener and not self._dirty:
            known = [tp for tp in back if tp in self._positions]
            if known:
                self._c.resume([_TP(tp.topic, tp.partition) for tp in known])
                for tp in known:  # records fetched before the pause were dropped: fetch from our position
                    self._seek_native(tp, self._positions[tp])

    def paused(self) -> set[TopicPartition]:
        """The assigned partitions paused now."""
        return set(self._paused)

    def _check_assigned(self, partitions: Sequence[TopicPartition], what: str) -> None:
        missing = [str(tp) for tp in partitions if tp not in self._assigned]
        if missing:
            raise BrokerError(f"consumer {self._name}: cannot {what} {missing}: not assigned")

    # ------------------------------------------------------------------ fetching
    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumerRecord]:
        """Up to ``max_records`` records, waiting up to ``timeout`` seconds for the first; rebalance listeners
        run here first."""
        self._woken.clear()
        if self._pattern is not None and time.monotonic() - self._pattern_checked >= self._refresh_s:
            matched = self._match_pattern()
            if matched != self._pattern_topics:
                self._pattern_topics = matched
                self._subscribe_native(matched)
        if self._unresolved:
            raise NoOffsetForPartitionError(sorted(self._unresolved, key=lambda tp: (tp.topic, tp.partition)),
                                            f"no committed offset for {sorted(map(str, self._unresolved))} and "
                                            "auto.offset.reset is none")
        if self._dirty:
            self._apply()
        if self._buffer:
            out, self._buffer = self._buffer[:max_records], self._buffer[max_records:]
            return out
        deadline = time.monotonic() + timeout
        while True:
            wait = max(0.0, min(_SLICE, deadline - time.monotonic()))
            try:
                messages = self._c.consume(num_messages=max_records, timeout=wait)
            except KafkaException as e:
                raise translate(e, f"consumer {self._name}: poll") from None
            self._raise_listener_error()
            if self._unresolved:
                raise NoOffsetForPartitionError(sorted(self._unresolved, key=lambda tp: (tp.topic, tp.partition)),
                                                "no committed offset and auto.offset.reset is none")
            records = self._records(messages)
            if records or self._woken.is_set() or time.monotonic() >= deadline:
                return records

    def _catch_up(self, skipped: set[TopicPartition]) -> None:
        """Move positions past what librdkafka skipped without returning it (transaction markers, aborted
        records under read_committed), for partitions where this batch dropped nothing."""
        live = [tp for tp in self._assigned if tp in self._positions and tp not in self._paused
                and tp not in skipped and tp not in self._sought]
        if not live or self._dirty:
            return
        for p in self._c.position([_TP(tp.topic, tp.partition) for tp in live]):
            tp = _tp(p)
            if p.offset >= 0 and p.offset > self._positions.get(tp, p.offset):
                self._positions[tp] = p.offset

    def _records(self, messages: list[Any]) -> list[ConsumerRecord]:
        out: list[ConsumerRecord] = []
        positions = self._positions
        paused = self._paused
        skipped: set[TopicPartition] = set()
        for m in messages:
            err = m.error()
            if err is not None:
                self._on_error(err, m, out)
                continue
            topic, partition, offset = m.topic(), m.partition(), m.offset()
            tp = TopicPartition(topic, partition)
            if tp in paused or tp not in positions or offset < positions[tp]:
                skipped.add(tp)
                continue  # fetched before a pause or a seek: fetched again from the position later
            positions[tp] = offset + 1
            if self._sought:
                self._sought.discard(tp)
            raw_headers = m.headers()
            out.append(ConsumerRecord(topic, partition, offset, m.timestamp()[1], m.key(), m.value(),
                                      Headers(raw_headers) if raw_headers else EMPTY_HEADERS))
        self._catch_up(skipped)
        return out

    def _on_error(self, err: KafkaError, message: Any, got: list[ConsumerRecord]) -> None:
        code = err.code()
        if code in _EOF_OR_NOISE:
            return
        if code in (KafkaError.OFFSET_OUT_OF_RANGE, KafkaError._AUTO_OFFSET_RESET):
            tp = TopicPartition(message.topic(), message.partition())
            if self._reset == "earliest":
                self.seek_to_beginning([tp])
                return
            if self._reset == "latest":
                self.seek_to_end([tp])
                return
            self._buffer.extend(got)  # records of this batch come back first, after the seek
            got.clear()
            raise OffsetOutOfRangeError([tp], f"the position of {tp} is outside its log: {err.str()}")
        raise translate(err, f"consumer {self._name}: poll")

    # ------------------------------------------------------------------ commits
    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        """The group's committed offsets (None where nothing was committed)."""
        return {tp: off for tp, (off, _md) in self._committed(partitions).items()}

    def committed_metadata(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, str | None]:
        """The metadata committed with each offset (None: no offset, or one without metadata)."""
        return {tp: md for tp, (_off, md) in self._committed(partitions).items()}

    def _committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, tuple[int | None, str | None]]:
        if not partitions:
            return {}
        native = [_TP(tp.topic, tp.partition) for tp in partitions]
        try:
            found = retrying(lambda: self._c.committed(native, timeout=_TIMEOUT))
        except KafkaException as e:
            raise translate(e, f"consumer {self._name}: committed offsets") from None
        out: dict[TopicPartition, tuple[int | None, str | None]] = {}
        for p in found:
            has = p.offset >= 0 and p.offset != OFFSET_INVALID
            out[_tp(p)] = (p.offset if has else None, (p.metadata or None) if has else None)
        return out

    def wait_for_committed(self, offsets: Mapping[TopicPartition, int], timeout: float) -> bool:
        """Poll the group's committed offsets until each reaches ``offsets`` (True) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            now = self.committed(list(offsets))
            if all((now.get(tp) or 0) >= target for tp, target in offsets.items()):
                return True
            if time.monotonic() >= deadline:
                return False
            self._woken.wait(0.05)

    def commit(
        self, offsets: Mapping[TopicPartition, int], metadata: Mapping[TopicPartition, str] | None = None
    ) -> None:
        """Commit the next offsets to read (each with optional metadata); CommitFailedError when the group
        moved on without this member."""
        if not offsets:
            return
        md = metadata or {}
        native = [_TP(tp.topic, tp.partition, off, md[tp]) if tp in md else _TP(tp.topic, tp.partition, off)
                  for tp, off in offsets.items()]
        try:
            result = retrying(lambda: self._c.commit(offsets=native, asynchronous=False))
        except KafkaException as e:
            raise translate(e, f"consumer {self._name}: commit offsets of group {self._group_id}") from None
        for p in result or []:
            if p.error is not None:
                if p.error.code() in GENERATION_ERRORS:
                    raise CommitFailedError(f"consumer {self._name}: commit of {_tp(p)} refused: {p.error.str()}")
                raise translate(p.error, f"consumer {self._name}: commit of {_tp(p)}")

    def group_metadata(self) -> ConfluentGroupMetadata:
        """This member's group identity, for ``send_offsets_to_transaction``."""
        try:
            native = self._c.consumer_group_metadata()
            member = self._c.memberid() or ""
        except (KafkaException, RuntimeError) as e:
            raise translate(e, f"consumer {self._name}: group metadata") from None
        return ConfluentGroupMetadata(str(self._group_id), _generation(native), member, native)

    # ------------------------------------------------------------------ lifecycle
    def wakeup(self) -> None:
        """Make a blocked :meth:`poll_batch` return (within 0.1 s) with what it has."""
        self._woken.set()

    def close(self) -> None:
        """Leave the group (listeners are not called) and release the client."""
        if self._closed:
            return
        self._closed = True
        self._admin = None  # librdkafka's admin handle closes when its last reference goes
        try:
            self._c.close()
        except (KafkaException, RuntimeError):
            pass

    def __repr__(self) -> str:
        return f"ConfluentConsumer({self._name!r}, group={self._group_id!r}, assigned={len(self._assigned)})"

