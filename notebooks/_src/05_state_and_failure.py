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
# it **crash** on a record it cannot handle and recovers from the crash (sections 4-5).
#
# **Delivery guarantee.** kstreams_nb runs **at-least-once** today: the input offsets are committed every
# `commit.interval.ms` (and on a clean `close()`), while store updates reach the changelog as they happen. A clean
# `close()` commits first and loses or repeats nothing. After a crash, the records processed since the last
# commit are processed again, so a count may include them twice: section 5 shows exactly that. Exactly-once
# processing (`processing.guarantee=exactly_once_v2`) comes with a later release.

# %%
from kstreams_nb import KafkaStreams, Serdes, TopicPartition
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Materialized, StreamsBuilder
from kstreams_nb.notebook import produce, read, records
from kstreams_nb.streams import State

broker = EmbeddedBroker.reset("nb-05-state")
broker.create_topic("clicks", partitions=2)
broker.create_topic("clicks-per-user", partitions=2)
config = {"application.id": "click-app", "bootstrap.servers": "memory://nb-05-state", "commit.interval.ms": 50}

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
# None where it never committed) and the end of the log. `second` is closed cleanly first, so it has committed
# everything:

# %%
def offsets():
    ends = broker.end_offsets("clicks")
    return {p: {"committed": broker.committed("click-app", TopicPartition("clicks", p)), "end": end}
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
# The log tells the story: the instance restored the store (7 changelog records), created its two tasks,
# processed alice's clicks at offsets 7 and 8, and failed on offset 9. The handler's ERROR line names the record
# (topic, partition, offset) and the node whose code raised; the last line is the stream thread dying of the
# `ProcessingError` that wraps the `AttributeError` (also kept in `crashing.exception`). The instance is gone:
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
# **Exactly-once** (`processing.guarantee=exactly_once_v2`) is what removes these duplicates: the store updates,
# the output records and the input offsets of one commit go into one transaction, so the updates written by the
# crashing instance would be aborted with it, the changelog would restore alice's count to 4, and offsets 7 and 8
# would be processed exactly once. It comes with a later release: today `start()` refuses `exactly_once_v2` with
# a ConfigError.

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
print(third.state())
