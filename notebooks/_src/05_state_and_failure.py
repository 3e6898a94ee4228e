# %% [markdown]
# # 5. State and failure: restoring a store from its changelog
#
# A count, a sum or a join needs **state**. Kafka Streams keeps it in **state stores** local to each task (here in
# memory), and makes them fault tolerant with a **changelog topic**: every update of a store is also written to
# the topic `<application.id>-<store name>-changelog`. When an instance stops and another one (or the same one,
# restarted) takes the task over, it first **restores** the store by replaying the changelog, then goes on reading
# the input from the last **committed** offset.
#
# This notebook counts clicks per user, stops the application, starts a **new** instance with the same
# `application.id`, and checks that the counts carry on where they were.
#
# **Delivery guarantee.** kstreams_nb runs **at-least-once** today: offsets and store updates are committed every
# `commit.interval.ms`. After a crash (a process killed between two commits) the records processed since the last
# commit are processed again, so a count may include them twice. A clean `close()`, as below, commits first and
# loses or repeats nothing. Exactly-once processing (`processing.guarantee=exactly_once_v2`) comes with a later
# release.

# %%
from kstreams_nb import KafkaStreams, Serdes
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
# `produce(topic, records([(key, value, timestamp), ...]), config=...)` writes records to the embedded broker; `streams.wait_until_processed(timeout)` waits until the
# instance has processed everything its input topics held; `streams.store(name)` queries a store of the running
# instance.

# %%
def start():
    streams = KafkaStreams(topology, config)
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
# records all go to one partition):

# %%
updates = read("clicks-per-user", config=config, value_serde=Serdes.long())
updates[updates["key"] == "alice"][["key", "value", "timestamp"]]

# %% [markdown]
# ## Exercise
#
# Simulate one more failure: stop `second`, produce three clicks for `dave` (timestamps 8 000, 9 000 and
# 10 000), start a third instance `third` with `start()`, wait until it has processed them, and put dave's count
# from the store in `dave_count`. Replace the reference solution below with yours.

# %%
second.close()
dave = records([("dave", "/home", 8_000), ("dave", "/cart", 9_000), ("dave", "/pay", 10_000)])
produce("clicks", dave, config=config)
third = start()
assert third.wait_until_processed(timeout=30)
dave_count = third.store("click-counts").get("dave")

# %%
assert second.state() is State.NOT_RUNNING, "stop the second instance first"
assert dave_count == 3, f"dave clicked 3 times, the store says {dave_count}"
assert counts(third) == {"alice": 4, "bob": 2, "carol": 1, "dave": 3}, counts(third)
print("✓ the third instance restored every count and added dave's clicks")

# %%
third.close()
print(third.state())
