# %% [markdown]
# # 5. State and failure: restoring a store from its changelog
#
# A count, a sum or a join needs **state**. Kafka Streams keeps it in **state stores** local to each task (here in
# memory), and makes them fault tolerant with a **changelog topic**: every update of a store is also written to
# the topic `<application.id>-<store name>-changelog`. When an instance stops and another one (or the same one,
# restarted) takes the task over, it first **restores** the store by replaying the changelog, then goes on reading
# the input from the last **committed** offset.
#
# This notebook counts clicks per user, stops the application cleanly and restarts it (sections 1-3), then makes
# it **crash** on a record it cannot handle and recovers from the crash (sections 4-5), and finally runs the same
# crash under exactly-once (section 6).
#
# **Delivery guarantee.** By default (`processing.guarantee=at_least_once`) the input offsets are committed every
# `commit.interval.ms` (and on a clean `close()`), while store updates reach the changelog as they happen (the
# record cache, which would hold them back until the next commit, is off here: `statestore.cache.max.bytes=0`).
# A clean `close()` commits first and loses or repeats nothing. After a crash, the records processed since the last
# commit are processed again, so a count may include them twice: section 5 shows exactly that. With
# `processing.guarantee=exactly_once_v2` the same crash leaves every click counted exactly once: section 6.

# %%
from kstreams_nb import KafkaStreams, Serdes, TopicPartition
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Materialized, StreamsBuilder
from kstreams_nb.notebook import produce, read, records
from kstreams_nb.streams import State

broker = EmbeddedBroker.reset("nb-05-state")
broker.create_topic("clicks", partitions=2)
broker.create_topic("clicks-per-user", partitions=2)
config = {
    "application.id": "click-app", "bootstrap.servers": "memory://nb-05-state", "commit.interval.ms": 50,
    "statestore.cache.max.bytes": 0,  # no record cache: every update reaches the changelog and the output at once
}

builder = StreamsBuilder()
(
    builder.stream("clicks")  # key: user, value: page (JSON, the default serdes)
    .map_values(lambda page: page.split("?")[0])  # drop the query string: "/home?ref=mail" -> "/home"
    .group_by_key()
    .count(materialized=Materialized.as_("click-counts"))
    .to_stream()
    .to("clicks-per-user")
)
topology = builder.build()
print(topology.describe())

# %% [markdown]
# ## 1. Count some clicks
#
# `produce(topic, records([(key, value, timestamp), ...]), config=...)` writes records to the embedded broker;
# `streams.wait_until_processed(timeout)` waits until the instance has processed (and committed) everything its
# input topics held; `streams.store(name)` queries a store of the running instance. `start()` below takes
# optional config entries that override `config`.

# %%
def start(overrides=None):
    streams = KafkaStreams(topology, {**config, **(overrides or {})})
    streams.start()
    assert streams.wait_for_state(State.RUNNING, timeout=30), streams.state()
    return streams


def counts(streams):
    with streams.store("click-counts").all() as entries:
        return dict(sorted(entries))


produce("clicks", records([("alice", "/home", 1_000), ("bob", "/home", 2_000), ("alice", "/cart", 3_000),
                           ("carol", "/home", 4_000), ("alice", "/pay", 5_000)]), config=config)
first = start()
assert first.wait_until_processed(timeout=30)
print(counts(first), "alice:", first.store("click-counts").get("alice"))

# %% [markdown]
# ## 2. Stop the instance
#
# On a real cluster this would be a server going down. Once it is stopped, its memory (and its store) is gone,
# but every update of the store is in the changelog topic:

# %%
first.close()
print(first.state())
changelog = read("click-app-click-counts-changelog", config=config, value_serde=Serdes.long())  # counts are longs
changelog[["key", "value", "partition", "offset"]]

# %% [markdown]
# ## 3. A new instance restores the store, then carries on
#
# A **new** `KafkaStreams` object with the same `application.id` gets the tasks, replays the changelog into
# fresh stores before it processes anything, and resumes reading `clicks` after the committed offsets. Before
# any new click arrives, its store already holds the old counts:

# %%
second = start()
print(counts(second))

# %% [markdown]
# New clicks are counted on top of the restored counts (alice had 3):

# %%
produce("clicks", records([("alice", "/home", 6_000), ("bob", "/cart", 7_000)]), config=config)
assert second.wait_until_processed(timeout=30)
print(counts(second))

# %% [markdown]
# The output topic holds every update of every count, from both instances, in order within each user (a user's
# records all go to one partition; the keys of this notebook's users all happen to hash to partition 0):

# %%
updates = read("clicks-per-user", config=config, value_serde=Serdes.long())
updates[updates["key"] == "alice"][["key", "value", "timestamp"]]

# %% [markdown]
# ## 4. A crash: a record the code cannot handle
#
# So far every stop was clean: `close()` commits the offsets of what was processed, then stops. A **crash** gives
# no such chance. Here the crash comes from the data: a click whose page is missing (value `None`) reaches the
# `map_values` above, `None.split` raises, and with the default `processing.exception.handler`
# (`log_and_fail`) the error kills the stream thread. The default uncaught exception handler (see
# `set_uncaught_exception_handler`) then shuts the whole client down: the instance ends in state **ERROR**,
# closing its tasks *without* committing.
#
# To make the effect easy to see, the crashing instance commits rarely: `commit.interval.ms` is 60 000 (one
# minute), so it never commits before it dies. Its last commit time counts from its start, and nothing else asks
# for a commit here, so the committed offsets stay where the clean `close()` of `second` put them.
#
# The stream thread logs the failure from a background thread. So that this text does not land in whichever
# cell happens to be running, the next cell keeps kstreams_nb's log messages in a list, and the cells below
# print the new ones (with the random part of the instance's client id shortened to `…`).

# %%
import logging
import re


class LogLines(logging.Handler):
    """Keeps the messages of the ``kstreams_nb`` loggers; ``take()`` returns the new ones."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        message = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "…", record.getMessage())
        self.lines.append(f"{record.levelname:<7} {message}")

    def take(self):
        new, self.lines = self.lines, []
        return new


log_lines = LogLines()
kstreams_log = logging.getLogger("kstreams_nb")
kstreams_log.handlers = [log_lines]  # (re-running this cell replaces the handler rather than adding one)
kstreams_log.setLevel(logging.INFO)
kstreams_log.propagate = False  # only to the list, not to stderr

# %% [markdown]
# `offsets()` shows, for each partition of `clicks`, the offset `click-app` has committed (the next one to read;
# None where it never committed) and the end of the log (section 6 passes another broker and application id).
# `second` is closed cleanly first, so it has committed everything:

# %%
def offsets(on=broker, app_id="click-app"):
    ends = on.end_offsets("clicks")
    return {p: {"committed": on.committed(app_id, TopicPartition("clicks", p)), "end": end}
            for p, end in ends.items()}


second.close()
committed_before_crash = offsets()[0]["committed"]
print(offsets())

# %% [markdown]
# Now four more clicks from alice, the third of which lost its page, and an instance that commits once a minute:

# %%
produce("clicks", records([("alice", "/home?ref=mail", 8_000), ("alice", "/cart", 9_000), ("alice", None, 10_000),
                           ("alice", "/pay", 11_000)]), config=config)
crashing = KafkaStreams(topology, {**config, "commit.interval.ms": 60_000})
crashing.start()
assert crashing.wait_for_state(State.ERROR, timeout=30), crashing.state()
print(crashing.state())
print(crashing.exception)
print(*log_lines.take(), sep="\n")

# %% [markdown]
# The log tells the story: the instance created its two tasks, restored the store of task 0_0 (7 changelog
# records), processed alice's clicks at offsets 7 and 8, and failed on offset 9. The handler's ERROR line names the
# record (topic, partition, offset) and the node whose code raised; the last line is the stream thread dying of
# the `ProcessingError` that wraps the `AttributeError` (also kept in `crashing.exception`). The instance is gone:
# ERROR is a final state, and its stores can no longer be queried.
# (`set_uncaught_exception_handler(lambda e: "REPLACE_THREAD")` would start a new thread instead; it would
# resume from the same committed offset and meet the same record again, so a poison record needs a processing
# exception handler, below, not a restart.)
#
# What survived the crash? The committed offset of partition 0 is still 7: the crashing instance never
# committed. But the changelog has **every** store update, including the two the crashing instance wrote
# (alice 5 and 6) before it died:

# %%
print(offsets())
changelog = read("click-app-click-counts-changelog", config=config, value_serde=Serdes.long())
changelog[changelog["key"] == "alice"][["key", "value", "offset"]]

# %% [markdown]
# ## 5. Recover: skip the poison record, restore, resume
#
# A new instance with the same `application.id` takes over. It gets
# `"processing.exception.handler": "log_and_continue"`, so a record whose processing raises is **logged and
# skipped** instead of killing the thread. (The accepted values are `"log_and_fail"`, the default,
# `"log_and_continue"`, or a callable `(error_context, exception) -> "continue" | "fail"`.) It restores the
# store from the changelog (alice: 6), then reads `clicks` from the committed offset 7:

# %%
recovered = start({"processing.exception.handler": "log_and_continue"})
assert recovered.wait_until_processed(timeout=30)
recovery_log = log_lines.take()
print(recovered.state(), offsets())
print(*recovery_log, sep="\n")

# %% [markdown]
# **At-least-once, visible.** Offsets 7 and 8 were processed by the crashing instance (their updates are in the
# changelog, so the restored store already counts them) and, since their offsets were never committed, processed
# again by the recovered instance. Alice's count is therefore 2 higher than the number of clicks she made. The
# poison record is not counted at all. The true number of clicks comes from the input topic itself:

# %%
import pandas as pd

clicks = read("clicks", config=config)
poison = clicks[clicks["value"].isna()]
true_counts = clicks[clicks["value"].notna()].groupby("key").size().to_dict()
recovered_counts = counts(recovered)
comparison = pd.DataFrame({"true clicks": true_counts, "count in the store": recovered_counts})
comparison["counted twice"] = comparison["count in the store"] - comparison["true clicks"]
comparison

# %% [markdown]
# The same duplicates reach downstream. Alice's updates 5 and 6 come from `crashing`; 7 and 8 from `recovered`,
# counting the same two clicks again; 9 is her click at 11 000, and the poison record at 10 000 produced nothing.
# The replayed updates are stamped 9 000, not 8 000: an aggregate's result carries the larger of the record's
# timestamp and the previous result's, and the restored count 6 was stamped 9 000.

# %%
updates = read("clicks-per-user", config=config, value_serde=Serdes.long())
updates[updates["key"] == "alice"][["key", "value", "timestamp"]]

# %% [markdown]
# What must hold after a crash under at-least-once is checked below: every good click is counted **at least**
# once, and the poison record not at all (it was skipped, logged, and committed past). In this notebook the
# numbers are also exact, because nothing committed between the clean `close()` of `second` and the crash: the
# records replayed are exactly offsets 7 up to the poison record's, so the exact assertions are safe here. With
# a short `commit.interval.ms` the crashing instance might have committed part of its work, and the number of
# duplicates would depend on timing.

# %%
poison_offset = int(poison["offset"].iloc[0])
replayed = poison_offset - committed_before_crash  # processed by `crashing`, then again by `recovered`
assert crashing.state() is State.ERROR and recovered.state() is State.RUNNING
assert all(recovered_counts[user] >= n for user, n in true_counts.items()), (recovered_counts, true_counts)
assert offsets()[0]["committed"] == offsets()[0]["end"], "the recovered instance committed past the poison record"
assert any(line.startswith("WARNING Skipping record") and f"offset {poison_offset} " in line for line in recovery_log)
assert (committed_before_crash, poison_offset, replayed) == (7, 9, 2)
assert recovered_counts == {**true_counts, "alice": true_counts["alice"] + replayed} == {"alice": 9, "bob": 2,
                                                                                         "carol": 1}
print(f"✓ every good click counted at least once; alice's {replayed} replayed clicks counted twice; "
      f"the poison record at offset {poison_offset} skipped")

# %% [markdown]
# ## 6. The same crash under exactly-once
#
# `"processing.guarantee": "exactly_once_v2"` changes how an instance commits. Each stream thread gets one
# **transactional** producer: the store updates it writes to the changelog, the records it writes to the output
# and the input offsets it has consumed all go into one transaction, committed every `commit.interval.ms` (100 ms
# by default under exactly-once; `config` sets 50). Its consumers read with `isolation.level=read_committed`: the
# records of a transaction stay invisible to them until it commits, and are skipped if it aborts.
#
# To keep this section apart from sections 1-5 (their changelog, their committed offsets), it runs on a broker of
# its own (`nb-05-eos`, with the same topic names) under an `application.id` of its own. `eos` holds the entries
# that differ from `config`, for `start()`; `eos_config` is the whole config, for `produce` and `read`. The
# clicks are the same: `clicks` is the DataFrame of section 5, the eleven clicks of sections 1-5 in offset order.
# One instance counts the first seven, as `first` and `second` did, and is closed cleanly:

# %%
eos_broker = EmbeddedBroker.reset("nb-05-eos")
eos_broker.create_topic("clicks", partitions=2)
eos_broker.create_topic("clicks-per-user", partitions=2)
eos = {"application.id": "click-app-eos", "bootstrap.servers": "memory://nb-05-eos",
       "processing.guarantee": "exactly_once_v2"}
eos_config = {**config, **eos}

produce("clicks", clicks.iloc[:7], config=eos_config)
first_eos = start(eos)
assert first_eos.wait_until_processed(timeout=30)
print(counts(first_eos))
first_eos.close()
eos_committed_before_crash = offsets(eos_broker, "click-app-eos")[0]["committed"]
print(offsets(eos_broker, "click-app-eos"))
print(*log_lines.take(), sep="\n")

# %% [markdown]
# Now alice's four clicks of section 4, the poison record among them, and again an instance that commits once a
# minute, so that the crash finds alice's updates in a transaction that is still open:

# %%
produce("clicks", clicks.iloc[7:], config=eos_config)
crashing_eos = KafkaStreams(topology, {**eos_config, "commit.interval.ms": 60_000})
crashing_eos.start()
assert crashing_eos.wait_for_state(State.ERROR, timeout=30), crashing_eos.state()
print(crashing_eos.state())
print(*log_lines.take(), sep="\n")

# %% [markdown]
# The same story as in section 4, up to the end: the thread died of an exception, so as it closed it **aborted**
# its open transaction, and with it alice's updates 5 and 6. (A process killed outright cannot abort; its open
# transaction then holds `read_committed` readers back until the broker aborts it, after
# `transaction.timeout.ms`: 10 s for a Kafka Streams producer.) The aborted updates are still in the changelog's
# log, but marked aborted: `read` reads `read_committed` by default, as the application's consumers do, and
# `"isolation.level": "read_uncommitted"` in its config shows everything. Below, every update of alice's count
# in the changelog, and whether a `read_committed` reader sees it. (The offsets skip 6, bob's update, and 7 and
# 10, where the broker wrote the markers that commit or abort a transaction; they hold no record.)

# %%
uncommitted = {**eos_config, "isolation.level": "read_uncommitted"}


def alice_updates(topic):
    """Alice's records in ``topic`` (a long count each), with ``committed``: does read_committed see it?"""
    every = read(topic, config=uncommitted, value_serde=Serdes.long())
    seen = read(topic, config=eos_config, value_serde=Serdes.long())  # read_committed, read()'s default
    every = every[every["key"] == "alice"]
    return every.assign(committed=every["offset"].isin(seen["offset"]))[["key", "value", "timestamp", "offset",
                                                                        "committed"]]


print(offsets(eos_broker, "click-app-eos"))
alice_updates("click-app-eos-click-counts-changelog")

# %% [markdown]
# A new instance recovers with `log_and_continue`, as in section 5. Its restore consumer reads the changelog
# `read_committed` too, so it restores 7 records (section 5 restored 9): alice's count comes back as 4, the count
# that goes with the committed offset 7. It then processes offsets 7 and 8 again, skips the poison record, and
# counts her last click:

# %%
recovered_eos = start({**eos, "processing.exception.handler": "log_and_continue"})
assert recovered_eos.wait_until_processed(timeout=30)
eos_recovery_log = log_lines.take()
print(recovered_eos.state(), offsets(eos_broker, "click-app-eos"))
print(*eos_recovery_log, sep="\n")

# %%
eos_counts = counts(recovered_eos)
eos_comparison = pd.DataFrame({"true clicks": true_counts, "count in the store": eos_counts})
eos_comparison["counted twice"] = eos_comparison["count in the store"] - eos_comparison["true clicks"]
eos_comparison

# %% [markdown]
# Downstream, a `read_committed` reader of `clicks-per-user` sees alice's count go 1, 2, ..., 7, each value
# once; only a `read_uncommitted` one also sees the aborted 5 and 6 of the crashed transaction (offsets 8 and 9):

# %%
alice_updates("clicks-per-user")

# %% [markdown]
# **Why exactly once.** Under at-least-once the store updates of the crashing instance were already in the
# changelog, while the offsets of the records behind them were not committed, so the new instance restored those
# updates *and* processed the records again. Under exactly-once the store updates, the output records and the
# input offsets of one commit interval are committed together in one transaction, so they can only survive or
# vanish together: the crash aborted the transaction, and the offsets, the changelog and the output all fell back
# to the same point, offset 7. Because the changelog is restored `read_committed`, the new instance starts from
# alice's count 4 exactly where the committed offsets resume, and each click is counted once, in the store and in
# the output that `read_committed` consumers see.

# %%
eos_output = read("clicks-per-user", config=eos_config, value_serde=Serdes.long())
eos_everything = read("clicks-per-user", config=uncommitted, value_serde=Serdes.long())
assert crashing_eos.state() is State.ERROR and recovered_eos.state() is State.RUNNING
assert eos_committed_before_crash == committed_before_crash == 7
assert any("task 0_0 restored 7 " in line for line in eos_recovery_log), eos_recovery_log  # not 9, as in section 5
assert any(line.startswith("WARNING Skipping record") and f"offset {poison_offset} " in line
           for line in eos_recovery_log), eos_recovery_log
assert eos_counts == true_counts, (eos_counts, true_counts)  # exact: no click counted twice, none lost
for user, n in true_counts.items():  # the committed output: each user's count goes 1, 2, ..., n, once each
    assert eos_output[eos_output["key"] == user]["value"].tolist() == list(range(1, n + 1)), user
assert len(eos_everything) - len(eos_output) == replayed  # alice's 2 aborted updates, seen read_uncommitted only
print(f"✓ every good click counted exactly once, in the store and in the committed output; the crashed "
      f"transaction's {replayed} updates aborted; the poison record at offset {poison_offset} skipped")

# %% [markdown]
# ## Exercise
#
# A clean stop repeats nothing. Stop `recovered` with `close()`, produce three clicks for `dave` (timestamps
# 12 000, 13 000 and 14 000), start a third instance `third` with `start()`, wait until it has processed them,
# and put dave's count from the store in `dave_count`. Replace the reference solution below with yours.

# %%
recovered.close()
dave = records([("dave", "/home", 12_000), ("dave", "/cart", 13_000), ("dave", "/pay", 14_000)])
produce("clicks", dave, config=config)
third = start()
assert third.wait_until_processed(timeout=30)
dave_count = third.store("click-counts").get("dave")

# %%
assert recovered.state() is State.NOT_RUNNING, "stop the recovered instance first: recovered.close()"
assert dave_count == 3, f"dave clicked 3 times, the store says {dave_count}"
assert counts(third) == {**recovered_counts, "dave": 3}, counts(third)
print("✓ the third instance restored every count, counted nothing twice and added dave's clicks")

# %%
third.close()
recovered_eos.close()
print(third.state(), recovered_eos.state())
