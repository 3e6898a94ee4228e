"""The five processors of a foreign-key table-table join (Kafka's internals/foreignkeyjoin suppliers).

Left side (this table's task): :class:`SubscriptionSendProcessorSupplier` turns each update into subscriptions
keyed by the foreign key; :class:`ResponseJoinProcessorSupplier` joins each response with the left row's current
value, dropping responses whose value hash no longer matches (the row changed since). Foreign side (the foreign
table's task): :class:`SubscriptionReceiveProcessorSupplier` keeps the subscriptions in a store keyed by
:class:`~kstreams_nb.dsl.join_foreign_key_wrappers.CombinedKey`, :class:`SubscriptionJoinProcessorSupplier`
answers a subscription with the current foreign value, :class:`ForeignTableJoinProcessorSupplier` answers every
subscriber of a foreign key when its value changes (a prefix scan of the store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams_nb.dsl import table as tp
from kstreams_nb.dsl._murmur3 import hash128
from kstreams_nb.dsl.join_foreign_key_wrappers import (
    CombinedKey,
    Instruction,
    JoinSerdes,
    SubscriptionResponseWrapper,
    SubscriptionWrapper,
)
from kstreams_nb.errors import KStreamsError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record
from kstreams_nb.state import ValueAndTimestamp

__all__ = [
    "ForeignTableJoinProcessorSupplier",
    "ResponseJoinProcessorSupplier",
    "SubscriptionJoinProcessorSupplier",
    "SubscriptionReceiveProcessorSupplier",
    "SubscriptionSendProcessorSupplier",
]

_NULL_FK = "Skipping record due to null foreign key."


class UnsupportedVersionError(KStreamsError):
    """A subscription or response written by a newer version of the join: upgrade this application."""


class SubscriptionSendProcessorSupplier:
    """KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-: left-table updates → subscriptions keyed by foreign key."""

    def __init__(self, extractor: Callable[[Any], Any], serdes: JoinSerdes, left_join: bool) -> None:
        self.extractor = extractor
        self.serdes = serdes
        self.left_join = left_join

    def __call__(self) -> Processor:
        return _SubscriptionSend(self)


class _SubscriptionSend(Processor):
    def __init__(self, spec: SubscriptionSendProcessorSupplier) -> None:
        self.spec = spec
        self.extract = spec.extractor
        self.serdes = spec.serdes
        self.hash: tuple[int, int] | None = None
        self.hashed = False
        #: records dropped for a null foreign key
        self.dropped = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.serdes.init(context)

    def process(self, record: Record) -> None:
        self.hashed = False
        change: tp.Change = record.value
        if self.spec.left_join:
            self._left(record, change)
        else:
            self._inner(record, change)

    def _left(self, record: Record, change: tp.Change) -> None:
        if change.old is None and change.new is None:
            return  # deleting an absent row: no result to update
        old_fk = None if change.old is None else self.extract(change.old)
        new_fk = None if change.new is None else self.extract(change.new)
        if old_fk is not None and not self._same(new_fk, old_fk):
            # the new subscription answers with the result; the old one is only removed
            self._forward(record, old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
        # every change gets a response (a null foreign key subscribes nowhere but is still answered)
        self._forward(record, new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)

    def _inner(self, record: Record, change: tp.Change) -> None:
        old_fk = None if change.old is None else self.extract(change.old)
        if change.new is None:
            if old_fk is not None:
                self._forward(record, old_fk, Instruction.DELETE_KEY_AND_PROPAGATE)
            return
        new_fk = self.extract(change.new)
        if new_fk is None:
            self._skip()
            if old_fk is not None:
                # the row no longer joins: delete the old subscription and the previous result
                self._forward(record, old_fk, Instruction.DELETE_KEY_AND_PROPAGATE)
        elif old_fk is None:
            self._forward(record, new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)
        elif not self._same(new_fk, old_fk):
            self._forward(record, old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
            # a null result deletes the previous one when the new foreign key has no row
            self._forward(record, new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
        else:
            # same foreign key: had it no row, the previous value did not join either
            self._forward(record, new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)

    def _same(self, a: Any, b: Any) -> bool:
        serdes = self.serdes
        return serdes.foreign_key.to_bytes(serdes.fk_topic, a) == serdes.foreign_key.to_bytes(serdes.fk_topic, b)

    def _skip(self) -> None:
        tp.warn_skipped_record(self.context, _NULL_FK)
        self.dropped += 1

    def _forward(self, record: Record, foreign_key: Any, instruction: Instruction) -> None:
        if not self.hashed:
            new = record.value.new
            raw = None if new is None else self.serdes.value.to_bytes(self.serdes.hash_topic, new)
            self.hash = None if raw is None else hash128(raw)
            self.hashed = True
        md = self.context.record_metadata
        partition = md.partition if md is not None else -1
        wrapper = SubscriptionWrapper(self.hash, instruction, record.key, partition)
        self.context.forward(Record._unchecked(foreign_key, wrapper, record.timestamp, record.headers))


class _StoreProcessor(Processor):
    """A processor of the foreign side: reads and writes the subscription store."""

    def __init__(self, spec: _SubscriptionStoreUser) -> None:
        self.spec = spec
        self.store: Any = None
        #: records dropped for a null (foreign) key
        self.dropped = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.spec.serdes.init(context)
        self.store = context.get_state_store(self.spec.store_name)


class _SubscriptionStoreUser:
    """A supplier of :class:`_StoreProcessor` s of one subscription store."""

    processor: type[_StoreProcessor]

    def __init__(self, store_name: str, serdes: JoinSerdes) -> None:
        self.store_name = store_name
        self.serdes = serdes

    def __call__(self) -> Processor:
        return self.processor(self)


class _SubscriptionReceive(_StoreProcessor):
    def process(self, record: Record) -> None:
        wrapper: SubscriptionWrapper = record.value
        fk = record.key
        if fk is None and wrapper.instruction != Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:
            tp.warn_skipped_record(self.context, _NULL_FK)
            self.dropped += 1
            return
        if wrapper.version > 1:
            raise UnsupportedVersionError("SubscriptionWrapper is of an incompatible version.")
        new = ValueAndTimestamp(wrapper, record.timestamp)
        old = None
        if fk is not None:
            key = self.spec.serdes.schema.to_bytes(fk, wrapper.primary_key)
            old = self.store.get(key)
            if wrapper.instruction in (Instruction.DELETE_KEY_AND_PROPAGATE, Instruction.DELETE_KEY_NO_PROPAGATE):
                self.store.delete(key)
            else:
                self.store.put(key, new)
        combined = CombinedKey(fk, wrapper.primary_key)
        self.context.forward(Record._unchecked(combined, tp.Change(new, old), record.timestamp, record.headers))


class SubscriptionJoinProcessorSupplier:
    """KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR- (join): answers a subscription with the current foreign value."""

    def __init__(self, foreign_getter: Any) -> None:
        self.foreign_getter = foreign_getter

    def __call__(self) -> Processor:
        return _SubscriptionJoin(self)


class _SubscriptionJoin(Processor):
    def __init__(self, spec: SubscriptionJoinProcessorSupplier) -> None:
        self.spec = spec
        self.get: Any = None

    def init(self, context: Any) -> None:
        super().init(context)
        self.get = self.spec.foreign_getter.getter(context)

    def process(self, record: Record) -> None:
        combined: CombinedKey = record.key
        vt: ValueAndTimestamp[SubscriptionWrapper] = record.value.new
        wrapper = vt.value
        foreign = None if combined.foreign_key is None else self.get(combined.foreign_key)
        if foreign is not None and foreign.value is None:
            foreign = None
        ts = vt.timestamp if foreign is None else max(vt.timestamp, foreign.timestamp)
        instruction = wrapper.instruction
        if instruction == Instruction.DELETE_KEY_AND_PROPAGATE:
            value = None
        elif instruction == Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:
            value = None if foreign is None else foreign.value
        elif instruction == Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE and foreign is not None:
            value = foreign.value
        else:
            return
        response = SubscriptionResponseWrapper(wrapper.hash, value, wrapper.primary_partition)
        self.context.forward(Record._unchecked(combined.primary_key, response, ts, record.headers))


class _ForeignTableJoin(_StoreProcessor):
    def process(self, record: Record) -> None:
        if record.key is None:
            tp.warn_skipped_record(self.context, "Skipping record due to null key.")
            self.dropped += 1
            return
        schema = self.spec.serdes.schema
        new_value = record.value.new
        with self.store.prefix_scan(schema.prefix_bytes(record.key)) as it:
            matches = list(it)
        for key, vt in matches:
            wrapper: SubscriptionWrapper = vt.value
            response = SubscriptionResponseWrapper(wrapper.hash, new_value, wrapper.primary_partition)
            pk = schema.from_bytes(key).primary_key
            self.context.forward(Record._unchecked(pk, response, record.timestamp, record.headers))


class SubscriptionReceiveProcessorSupplier(_SubscriptionStoreUser):
    """KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR- (receive): keeps subscriptions in the subscription store and
    forwards ``Change(new, old)`` of ``ValueAndTimestamp(SubscriptionWrapper)`` keyed by CombinedKey."""

    processor = _SubscriptionReceive


class ForeignTableJoinProcessorSupplier(_SubscriptionStoreUser):
    """KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR- (foreign-join-subscription): a foreign-table update answers every
    subscription to its key (a prefix scan of the subscription store)."""

    processor = _ForeignTableJoin


class ResponseJoinProcessorSupplier:
    """KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-: joins a response with the left row's current
    value when the row still hashes as it did when it subscribed; ``joiner(key, value, foreign_value)``."""

    def __init__(
        self, getter: Any, serdes: JoinSerdes, joiner: Callable[[Any, Any, Any], Any], left_join: bool
    ) -> None:
        self.getter = getter
        self.serdes = serdes
        self.joiner = joiner
        self.left_join = left_join

    def __call__(self) -> Processor:
        return _ResponseJoin(self)


class _ResponseJoin(Processor):
    def __init__(self, spec: ResponseJoinProcessorSupplier) -> None:
        self.spec = spec
        self.get: Any = None
        #: responses dropped because the left row changed since it subscribed
        self.stale = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.spec.serdes.init(context)
        self.get = self.spec.getter.getter(context)

    def process(self, record: Record) -> None:
        response: SubscriptionResponseWrapper = record.value
        if response.version != 0:
            raise UnsupportedVersionError("SubscriptionResponseWrapper is of an incompatible version.")
        current = self.get(record.key)
        value = None if current is None else current.value
        serdes = self.spec.serdes
        raw = None if value is None else serdes.value.to_bytes(serdes.hash_topic, value)
        current_hash = None if raw is None else hash128(raw)
        if current_hash != response.original_value_hash:
            self.stale += 1
            return
        foreign = response.foreign_value
        if foreign is None and (not self.spec.left_join or value is None):
            result = None
        else:
            result = self.spec.joiner(record.key, value, foreign)
        self.context.forward(record.with_value(result))
