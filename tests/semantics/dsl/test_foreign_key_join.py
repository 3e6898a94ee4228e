"""Foreign-key table-table joins (``KTable.join / left_join(..., foreign_key_extractor=...)``), value for value as
Kafka's KTableKTableForeignKeyJoinScenarioTest (streams/src/test/java/org/apache/kafka/streams/kstream/internals/)
and the driver-based cases of KTableKTableForeignKeyJoinIntegrationTest (streams/src/test/java/org/apache/kafka/
streams/integration/).

Kafka's integration test runs each case for leftJoin x optimization x materialized x rejoin x versioned tables;
here each case runs for leftJoin x materialized (x rejoin where Kafka checks the rejoin output). Kafka's
``baseTimestamp`` (MockTime's wall clock) is a fixed ``BASE`` here.

Runtime replay: the generic replay cannot plan a foreign-key join (its records go from the left table's task to
the foreign table's and back), so every case here replays itself on KafkaStreams over the embedded broker,
phase by phase (``_phased_replay.py``: 3 partitions, 1 and 3 threads, both guarantees), expecting the driver's
updates per key. Where a left-join row moves between two existing foreign keys
(joinShouldProduceNullsWhenValueHasNonMatchingForeignKey, shouldUnsubscribeOldForeignKeyIfLeftSideIsUpdated),
the two foreign keys' tasks answer in an order no one defines (Kafka's too): the updates are compared, not their
order.

Left out, and why:

- ``optimization`` (OPTIMIZE vs NO_OPTIMIZATION): the library has no topology optimizer yet; Kafka's optimizer does
  not change these outputs (only source-topic reuse as changelog).
- ``leftVersioned`` / ``rightVersioned`` and ``shouldIgnoreOutOfOrderRecordsIffVersioned``: versioned key-value
  stores do not exist in the library.
- ``shouldEmitRecordWhenOldAndNewFkDiffer``: it checks, through a custom ``FKJoinUtils`` serde's error on the old
  foreign key, that the old value's foreign key is serialized; needs Kafka's serde-scope machinery, and the
  behaviour (unsubscribe on a changed key) is covered by ``shouldUnsubscribeOldForeignKeyIfLeftSideIsUpdated``.
- KTableKTableForeignKeyJoinScenarioTest.shouldUseExpectedTopicsWithSerde checks the topics Kafka's
  ``UniqueTopicSerdeScope`` serdes see, changelogs included; here ``test_should_use_expected_topics_with_serde``
  checks the join's own pseudo-topics and internal topics (the changelog topic names are the stores' concern).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, Materialized, Produced, StreamsBuilder, TableJoined
from kstreams_nb.dsl.join_foreign_key_wrappers import (
    DefaultedSerde,
    Instruction,
    SubscriptionResponseWrapper,
    SubscriptionResponseWrapperSerde,
    SubscriptionWrapper,
    SubscriptionWrapperSerde,
)
from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.testing import TopologyTestDriver

from ._phased_replay import Phase, Updates, replay_phases

INT, S = Serdes.integer(), Serdes.string()
LEFT_TABLE, RIGHT_TABLE, OUTPUT, REJOIN_OUTPUT = "left_table", "right_table", "output-topic", "rejoin-output-topic"
BASE = 1_000
LEFT = pytest.mark.parametrize("left_join", [True, False], ids=["left", "inner"])
MATERIALIZED = pytest.mark.parametrize("materialized", [True, False], ids=["materialized", "unmaterialized"])
CONFIG = {"default.key.serde": S, "default.value.serde": S}
#: the integration cases replay themselves, phase by phase (``_Case.replay_on_runtime``)
SELF_REPLAYED = pytest.mark.replay_refused("replayed phase by phase by the test itself (_Case.replay_on_runtime)")


def INTEGRATION(test: Any) -> Any:
    """A KTableKTableForeignKeyJoinIntegrationTest case: left and inner join, materialized or not, self-replayed."""
    return LEFT(MATERIALIZED(SELF_REPLAYED(test)))


# ----------------------------------------------------------------------- KTableKTableForeignKeyJoinScenarioTest
def _fk(value: str) -> int:
    return int(value.split("-")[0])


def _java(value: Any) -> str:
    return "null" if value is None else str(value)


def _pair(a: Any, b: Any) -> str:
    """Kafka's ``(value1, value2) -> "(" + value1 + "," + value2 + ")"`` (Java prints null as "null")."""
    return f"({_java(a)},{_java(b)})"


def _validate_topology_can_process_data(build: Callable[[], StreamsBuilder], guarantee: str) -> None:
    """KTableKTableForeignKeyJoinScenarioTest.validateTopologyCanProcessData, then the same phases replayed."""
    config = {"default.key.serde": "integer", "default.value.serde": "string"}
    phases: list[Phase] = [[("A", 1, "999-alpha", 0)], [("B", 999, "beta", 0)]]
    expected: Updates = {"output": {}}
    with TopologyTestDriver(build().build(), config) as driver:
        inputs = {"A": driver.create_input_topic("A", INT, S), "B": driver.create_input_topic("B", INT, S)}
        output = driver.create_output_topic("output", INT, S)
        for phase in phases:
            for topic, key, value, ts in phase:
                inputs[topic].pipe_input(key, value, ts)
            for r in output.read_records_to_list():
                expected["output"].setdefault(r.key, []).append((r.value, int(r.timestamp or 0)))
    assert {k: v[-1][0] for k, v in expected["output"].items()} == {1: "(999-alpha,(999-alpha,beta))"}
    replay_phases(lambda: build().build(), config, phases, expected, INT, S, guarantee, inputs=["A", "B"])


SCENARIOS = ["default", "consumed", "join_result", "equi_join_result", "produced"]


@pytest.mark.parametrize("scenario", SCENARIOS)
@SELF_REPLAYED
def test_should_work_with_default_serdes(scenario: str, replay_guarantee: str) -> None:
    """KTableKTableForeignKeyJoinScenarioTest.shouldWorkWithDefaultSerdes, shouldWorkWithDefaultAndConsumedSerdes,
    shouldWorkWithDefaultAndJoinResultSerdes, shouldWorkWithDefaultAndEquiJoinResultSerdes and
    shouldWorkWithDefaultAndProducedSerdes (one scenario each)."""

    def build() -> StreamsBuilder:
        builder = StreamsBuilder()
        a_table = builder.table("A", Consumed.with_(INT, S)) if scenario == "consumed" else builder.table("A")
        b_table = builder.table("B")
        fk_materialized = Materialized.as_("asdf")
        if scenario == "join_result":
            fk_materialized = fk_materialized.with_key_serde(INT).with_value_serde(S)
        fk_result = a_table.join(b_table, _pair, materialized=fk_materialized, foreign_key_extractor=_fk)
        equi = Materialized.with_(INT, S) if scenario == "equi_join_result" else None
        final = a_table.join(fk_result, _pair, materialized=equi)
        produced = Produced.with_(INT, S) if scenario == "produced" else None
        final.to_stream().to("output", produced)
        return builder

    _validate_topology_can_process_data(build, replay_guarantee)


class _RecordingSerde:
    """Kafka's UniqueTopicSerdeScope: records the topics a serde is used for (``<topic>--key`` / ``--value``)."""

    def __init__(self, inner: Any, is_key: bool, seen: set[str]) -> None:
        self.inner, self.suffix, self.seen = inner, "--key" if is_key else "--value", seen

    def serialize(self, topic: str | None, data: Any) -> bytes | None:
        self.seen.add(f"{topic}{self.suffix}")
        result: bytes | None = self.inner.serialize(topic, data)
        return result

    def deserialize(self, topic: str | None, data: bytes | None) -> Any:
        self.seen.add(f"{topic}{self.suffix}")
        return self.inner.deserialize(topic, data)


def test_should_use_expected_topics_with_serde() -> None:
    """KTableKTableForeignKeyJoinScenarioTest.shouldUseExpectedTopicsWithSerde (the join's topics)."""
    app = "ktable-ktable-joinOnForeignKey"
    seen: set[str] = set()
    builder = StreamsBuilder()
    left = builder.table(LEFT_TABLE, Consumed.with_(_RecordingSerde(INT, True, seen), _RecordingSerde(S, False, seen)))
    right = builder.table(RIGHT_TABLE, Consumed.with_(_RecordingSerde(INT, True, seen),
                                                      _RecordingSerde(S, False, seen)))
    left.join(
        right, _pair, materialized=Materialized.with_(None, _RecordingSerde(S, False, seen)),
        foreign_key_extractor=lambda value: int(value.split("|")[1]),
    ).to_stream().to(OUTPUT)
    with TopologyTestDriver(builder.build(), {"application.id": app}) as driver:
        driver.create_input_topic(LEFT_TABLE, INT, S).pipe_input(2, "lhsValue1|1")
        driver.create_input_topic(RIGHT_TABLE, INT, S).pipe_input(1, "rhsValue1")
    registration = f"{app}-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic"
    response = f"{app}-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic"
    assert {t for t in seen if "FK-JOIN" in t} == {
        f"{registration}-fk--key", f"{registration}-pk--key", f"{registration}-vh--value",
        f"{registration}--key", f"{response}--key", f"{response}--value",
    }


# -------------------------------------------------------------------- KTableKTableForeignKeyJoinIntegrationTest
class _Input:
    """A driver input topic whose records are also kept, phase by phase, for the runtime replay."""

    def __init__(self, case: _Case, topic: str) -> None:
        self.case, self.topic = case, topic
        self.inner = case.driver.create_input_topic(topic, S, S)

    def pipe_input(self, key: str, value: str | None, timestamp: int) -> None:
        self.case.phase.append((self.topic, key, value, timestamp))
        self.inner.pipe_input(key, value, timestamp)


class _Case:
    """KTableKTableForeignKeyJoinIntegrationTest.getTopology and the driver's topics and store.

    Every ``check`` ends a phase. :meth:`replay_on_runtime` then pipes the same phases into KafkaStreams over
    the embedded broker (3 partitions), waiting for each phase to be processed, and expects the same updates per
    key (value and timestamp) on the output topics: the generic replay cannot plan this case, as the join's
    records go from the left table's task to the foreign table's and back.
    """

    def __init__(self, left_join: bool, materialized: bool, rejoin: bool = False, extractor: Any = None) -> None:
        self.args = (left_join, materialized, rejoin, extractor)
        self.materialized = materialized
        self.driver = TopologyTestDriver(self.topology(), CONFIG)
        self.phase: list[tuple[str, str, str | None, int]] = []
        self.phases: list[list[tuple[str, str, str | None, int]]] = []
        self.expected: dict[str, dict[str, list[tuple[Any, int]]]] = {OUTPUT: {}, REJOIN_OUTPUT: {}}
        self.left, self.right = _Input(self, LEFT_TABLE), _Input(self, RIGHT_TABLE)
        self.output = self.driver.create_output_topic(OUTPUT, S, S)
        self.rejoin = self.driver.create_output_topic(REJOIN_OUTPUT, S, S) if rejoin else None

    def topology(self) -> Any:
        left_join, materialized, rejoin, extractor = self.args
        builder = StreamsBuilder()
        consumed = Consumed.with_(S, S)
        left, right = builder.table(LEFT_TABLE, consumed), builder.table(RIGHT_TABLE, consumed)
        if materialized:
            main = Materialized.as_(Stores.in_memory_key_value_store("store")).with_value_serde(S)
        else:
            main = Materialized.with_(None, S)
        main = main.with_caching_disabled()
        fk = extractor or (lambda value: value.split("|")[1])
        join = left.left_join if left_join else left.join
        fk_join = join(right, _pair, materialized=main, foreign_key_extractor=fk)
        fk_join.to_stream().to(OUTPUT)
        if rejoin:
            rejoin_materialized = (
                Materialized.as_(Stores.in_memory_key_value_store("store-rejoin")).with_value_serde(S)
                .with_caching_disabled() if materialized else Materialized.with_(None, S)
            )
            rejoin_fn = fk_join.left_join if left_join else fk_join.join
            rejoiner = lambda a, b: f"rejoin({_java(a)},{_java(b)})"  # noqa: E731
            rejoin_fn(left, rejoiner, materialized=rejoin_materialized).to_stream().to(REJOIN_OUTPUT)
        return builder.build()

    def _read(self, topic: str, output: Any) -> dict[str, Any]:
        records = output.read_records_to_list()
        for r in records:
            self.expected[topic].setdefault(r.key, []).append((r.value, r.timestamp))
        return {r.key: r.value for r in records}

    def check(self, output: dict[str, Any], store: dict[str, Any] | None = None,
              rejoin: dict[str, Any] | None = None) -> None:
        self.phases.append(self.phase)
        self.phase = []
        assert self._read(OUTPUT, self.output) == output
        if self.rejoin is not None:
            assert self._read(REJOIN_OUTPUT, self.rejoin) == (rejoin or {})
        if self.materialized:
            assert dict(self.driver.get_key_value_store("store").all()) == (output if store is None else store)

    def replay_on_runtime(self, guarantee: str, *, ordered: bool = True) -> None:
        """The same phases on KafkaStreams (see ``_phased_replay``); ``ordered=False`` when a left-join row moves
        between two existing foreign keys: the two foreign keys' tasks answer it in an order no one defines
        (on Kafka too), so only the updates, not their order, are compared."""
        expected = {OUTPUT: self.expected[OUTPUT]}
        if self.rejoin is not None:
            expected[REJOIN_OUTPUT] = self.expected[REJOIN_OUTPUT]
        replay_phases(self.topology, CONFIG, self.phases, expected, S, S, guarantee,
                      inputs=[LEFT_TABLE, RIGHT_TABLE], ordered=ordered)


@INTEGRATION
@pytest.mark.parametrize("rejoin", [True, False], ids=["rejoin", "no-rejoin"])
def test_do_join_from_left_then_delete_left_entity(
    left_join: bool, materialized: bool, rejoin: bool, replay_guarantee: str
) -> None:
    """KTableKTableForeignKeyJoinIntegrationTest.doJoinFromLeftThenDeleteLeftEntity."""
    c = _Case(left_join, materialized, rejoin)
    with c.driver:
        c.right.pipe_input("rhs1", "rhsValue1", BASE)
        c.right.pipe_input("rhs2", "rhsValue2", BASE + 1)
        c.right.pipe_input("rhs3", "rhsValue3", BASE + 2)  # this unreferenced FK won't show up in any results
        c.check({})
        c.left.pipe_input("lhs1", "lhsValue1|rhs1", BASE + 3)
        c.left.pipe_input("lhs2", "lhsValue2|rhs2", BASE + 4)
        both = {"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs2": "(lhsValue2|rhs2,rhsValue2)"}
        c.check(both, rejoin={"lhs1": "rejoin((lhsValue1|rhs1,rhsValue1),lhsValue1|rhs1)",
                              "lhs2": "rejoin((lhsValue2|rhs2,rhsValue2),lhsValue2|rhs2)"})
        c.left.pipe_input("lhs3", "lhsValue3|rhs1", BASE + 5)  # another reference to an existing FK
        third = {"lhs3": "(lhsValue3|rhs1,rhsValue1)"}
        c.check(third, {**both, **third}, rejoin={"lhs3": "rejoin((lhsValue3|rhs1,rhsValue1),lhsValue3|rhs1)"})
        c.left.pipe_input("lhs1", None, BASE + 6)  # the delete is propagated to the output
        c.check({"lhs1": None}, {"lhs2": both["lhs2"], **third}, rejoin={"lhs1": None})
    c.replay_on_runtime(replay_guarantee)


@INTEGRATION
def test_do_join_from_right_then_delete_right_entity(
    left_join: bool, materialized: bool, replay_guarantee: str
) -> None:
    """KTableKTableForeignKeyJoinIntegrationTest.doJoinFromRightThenDeleteRightEntity."""
    c = _Case(left_join, materialized)
    with c.driver:
        c.left.pipe_input("lhs1", "lhsValue1|rhs1", BASE)
        c.left.pipe_input("lhs2", "lhsValue2|rhs2", BASE + 1)
        c.left.pipe_input("lhs3", "lhsValue3|rhs1", BASE + 2)
        half = {"lhs1": "(lhsValue1|rhs1,null)", "lhs2": "(lhsValue2|rhs2,null)", "lhs3": "(lhsValue3|rhs1,null)"}
        c.check(half if left_join else {})
        c.right.pipe_input("rhs1", "rhsValue1", BASE + 3)
        ones = {"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"}
        c.check(ones, {**half, **ones} if left_join else ones)
        c.right.pipe_input("rhs2", "rhsValue2", BASE + 4)
        full = {**ones, "lhs2": "(lhsValue2|rhs2,rhsValue2)"}
        c.check({"lhs2": "(lhsValue2|rhs2,rhsValue2)"}, full)
        c.right.pipe_input("rhs3", "rhsValue3", BASE + 5)  # this unreferenced FK won't show up in any results
        c.check({}, full)
        c.right.pipe_input("rhs1", None, BASE + 6)  # every matching key has its delete propagated
        deleted = {"lhs1": half["lhs1"], "lhs3": half["lhs3"]} if left_join else {"lhs1": None, "lhs3": None}
        c.check(deleted, {**full, **deleted} if left_join else {"lhs2": full["lhs2"]})
    c.replay_on_runtime(replay_guarantee)


@INTEGRATION
def test_should_emit_tombstone_when_deleting_non_joining_records(
    left_join: bool, materialized: bool, replay_guarantee: str
) -> None:
    """KTableKTableForeignKeyJoinIntegrationTest.shouldEmitTombstoneWhenDeletingNonJoiningRecords."""
    c = _Case(left_join, materialized)
    with c.driver:
        c.left.pipe_input("lhs1", "lhsValue1|rhs1", BASE)
        c.check({"lhs1": "(lhsValue1|rhs1,null)"} if left_join else {})
        # an unnecessary tombstone for the inner join (no way to know whether a result was emitted)
        c.left.pipe_input("lhs1", None, BASE + 1)
        c.check({"lhs1": None}, {})
        c.left.pipe_input("lhs1", None, BASE + 2)  # deleting a non-existing record is idempotent
        c.check({}, {})
    c.replay_on_runtime(replay_guarantee)


@INTEGRATION
def test_should_not_emit_tombstones_when_deleting_non_existing_records(
    left_join: bool, materialized: bool, replay_guarantee: str
) -> None:
    """KTableKTableForeignKeyJoinIntegrationTest.shouldNotEmitTombstonesWhenDeletingNonExistingRecords."""
    c = _Case(left_join, materialized)
    with c.driver:
        c.left.pipe_input("lhs1", None, BASE)
        c.check({})
    c.replay_on_runtime(replay_guarantee)


@INTEGRATION
def test_join_should_produce_nulls_when_value_has_non_matching_foreign_key(
    left_join: bool, materialized: bool, replay_guarantee: str
) -> None:
    """KTableKTableForeignKeyJoinIntegrationTest.joinShouldProduceNullsWhenValueHasNonMatchingForeignKey."""
    c = _Case(left_join, materialized)
    with c.driver:
        c.left.pipe_input("lhs1", "lhsValue1|rhs1", BASE)
        c.check({"lhs1": "(lhsValue1|rhs1,null)"} if left_join else {})
        # moving to another non-existent FK: an unnecessary tombstone for the inner join, an update for the left
        c.left.pipe_input("lhs1", "lhsValue1|rhs2", BASE + 1)
        rhs2 = {"lhs1": "(lhsValue1|rhs2,null)"}
        c.check(rhs2 if left_join else {"lhs1": None}, rhs2 if left_join else {})
        c.left.pipe_input("lhs1", "lhsValue1|rhs3", BASE + 2)
        rhs3 = {"lhs1": "(lhsValue1|rhs3,null)"}
        c.check(rhs3 if left_join else {"lhs1": None}, rhs3 if left_join else {})
        # rhs1 was referenced before, not now: no change at all
        c.right.pipe_input("rhs1", "rhsValue1", BASE + 3)
        c.check({}, rhs3 if left_join else {})
        c.left.pipe_input("lhs1", "lhsValue1|rhs1", BASE + 4)  # to a FK that exists: the join completes
        c.check({"lhs1": "(lhsValue1|rhs1,rhsValue1)"})
        c.left.pipe_input("lhs1", "lhsValue1|rhs2", BASE + 5)  # and away again
        c.check(rhs2 if left_join else {"lhs1": None}, rhs2 if left_join else {})
    c.replay_on_runtime(replay_guarantee, ordered=not left_join)


@INTEGRATION
def test_should_unsubscribe_old_foreign_key_if_left_side_is_updated(
    left_join: bool, materialized: bool, replay_guarantee: str
) -> None:
    """KTableKTableForeignKeyJoinIntegrationTest.shouldUnsubscribeOldForeignKeyIfLeftSideIsUpdated."""
    c = _Case(left_join, materialized)
    with c.driver:
        c.right.pipe_input("rhs1", "rhsValue1", BASE)
        c.right.pipe_input("rhs2", "rhsValue2", BASE + 1)
        c.check({})
        c.left.pipe_input("lhs1", "lhsValue1|rhs1", BASE + 2)
        c.check({"lhs1": "(lhsValue1|rhs1,rhsValue1)"})
        c.left.pipe_input("lhs1", "lhsValue1|rhs2", BASE + 3)  # change the foreign key reference
        c.check({"lhs1": "(lhsValue1|rhs2,rhsValue2)"})
        c.right.pipe_input("rhs1", "rhsValue1Delta", BASE + 4)  # an update on the old reference: nothing
        c.check({}, {"lhs1": "(lhsValue1|rhs2,rhsValue2)"})
    c.replay_on_runtime(replay_guarantee, ordered=not left_join)


@MATERIALIZED
@SELF_REPLAYED
def test_should_emit_record_on_null_foreign_key_for_left_joins(
    materialized: bool, replay_guarantee: str
) -> None:
    """KTableKTableForeignKeyJoinIntegrationTest.shouldEmitRecordOnNullForeignKeyForLeftJoins."""
    c = _Case(True, materialized, extractor=lambda value: None)
    with c.driver:
        c.left.pipe_input("lhs1", "lhsValue1|rhs1", BASE)
        c.check({"lhs1": "(lhsValue1|rhs1,null)"})
    c.replay_on_runtime(replay_guarantee)


# ------------------------------------------------------------------------------------ the library's own checks
def test_named_join_names_everything_after_table_joined() -> None:
    """Kafka's NamedInternal.suffixWithOrElseGet names of a TableJoined.as_ join (numbers burnt all the same)."""
    builder = StreamsBuilder()
    left, right = builder.table("l"), builder.table("r")
    result = left.join(right, _pair, foreign_key_extractor=lambda v: v, table_joined=TableJoined.as_("fk"))
    result.to_stream().to("out")
    text = str(builder.build().describe())
    for name in ("fk-subscription-registration-processor", "fk-subscription-registration-sink",
                 "fk-subscription-registration-source", "fk-subscription-receive", "fk-subscription-join-foreign",
                 "fk-foreign-join-subscription", "fk-subscription-response-sink", "fk-subscription-response-source",
                 "fk-subscription-response-resolver", "fk-result", "fk-subscription-registration-topic",
                 "fk-subscription-response-topic", "fk-subscription-store"):
        assert name in text, name
    assert "KTABLE-TOSTREAM-0000000020" in text


def test_foreign_key_join_refuses_bad_arguments() -> None:
    builder = StreamsBuilder()
    left, right = builder.table("l"), builder.table("r")
    with pytest.raises(TopologyError, match="foreign_key_extractor"):
        left.join(right, _pair, table_joined=TableJoined.as_("x"))
    with pytest.raises(TopologyError, match="TableJoined"):
        left.join(right, _pair, "name", foreign_key_extractor=lambda v: v)
    with pytest.raises(TopologyError, match="foreign_key_extractor"):
        left.left_join(right, _pair, foreign_key_extractor=42)  # type: ignore[arg-type]


def test_joiner_with_key() -> None:
    builder = StreamsBuilder()
    left, right = builder.table("l", Consumed.with_(S, S)), builder.table("r", Consumed.with_(S, S))
    left.join(right, lambda k, v, o: f"{k}:{v}:{o}", with_key=True,
              foreign_key_extractor=lambda v: v.split("|")[1]).to_stream().to("out", Produced.with_(S, S))
    with TopologyTestDriver(builder.build()) as driver:
        driver.create_input_topic("r", S, S).pipe_input("r1", "R", 5)
        driver.create_input_topic("l", S, S).pipe_input("l1", "L|r1", 7)
        assert driver.create_output_topic("out", S, S).read_key_values_to_list() == [("l1", "l1:L|r1:R")]


def test_wrapper_bytes_match_kafkas_format() -> None:
    """SubscriptionWrapperSerdeTest / SubscriptionResponseWrapperSerdeTest: the framing, round-tripped."""
    pk = DefaultedSerde(S, "default.key.serde")
    serde = SubscriptionWrapperSerde(pk)
    wrapper = SubscriptionWrapper((1, -1), Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, "pk", 3)
    raw = serde.serialize("t", wrapper)
    assert raw == bytes([1, 3]) + (1).to_bytes(8, "big") + b"\xff" * 8 + b"pk" + (3).to_bytes(4, "big")
    assert serde.deserialize("t", raw) == wrapper
    no_hash = SubscriptionWrapper(None, Instruction.DELETE_KEY_AND_PROPAGATE, "pk", 0)
    assert serde.serialize("t", no_hash) == bytes([0x81, 1]) + b"pk" + bytes(4)
    response = SubscriptionResponseWrapperSerde(DefaultedSerde(S, "default.value.serde"))
    assert response.serialize("t", SubscriptionResponseWrapper(None, None)) == b"\x80"
    assert response.deserialize("t", b"\x80") == SubscriptionResponseWrapper(None, None)
    with_value = SubscriptionResponseWrapper((2, 3), "v")
    assert response.deserialize("t", response.serialize("t", with_value)) == with_value
