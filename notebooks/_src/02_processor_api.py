# %% [markdown]
# # 2. The Processor API
#
# The Streams DSL covers most transformations. When it does not offer what you need, the **Processor API** lets
# you write the stream processor yourself: a class with a `process(record)` method that can keep **state** in a
# state store, **forward** records to the next nodes, and **schedule** work at a fixed interval (a *punctuation*).
#
# This notebook builds three Processor API programs:
#
# 1. a custom processor that counts records per key in a key-value store;
# 2. a processor that emits its aggregates at a fixed interval, on **stream time** and on **wall-clock time**;
# 3. a sink that sends each record to a topic **chosen from its value** (a `TopicNameExtractor`).
#
# Everything runs in the `TopologyTestDriver` or in `preview(...)`: no broker is needed.

# %%
from datetime import timedelta

from kstreams_nb import Processor, PunctuationType, Record, Serdes, Stores, Topology, TopologyTestDriver
from kstreams_nb.notebook import preview, records

s = Serdes.string()

# %% [markdown]
# ## 1. A custom processor with a key-value store
#
# `ClickCounter` counts the clicks of each user. `init` receives the processor's **context**: through it the
# processor reaches its state store and forwards records downstream. The store must be added to the topology
# and connected to the processor by name (`add_state_store(store_builder, "Count")`).

# %%
class ClickCounter(Processor):
    def init(self, context):
        super().init(context)  # keeps the context as self.context
        self.counts = context.get_state_store("clicks-per-user")

    def process(self, record):
        count = (self.counts.get(record.key) or 0) + 1
        self.counts.put(record.key, count)
        self.context.forward(record.with_value(count))


counts_store = Stores.key_value_store_builder(
    Stores.in_memory_key_value_store("clicks-per-user"), s, Serdes.long()
)
click_counts = (
    Topology()
    .add_source("Clicks", "clicks", key_deserializer=s, value_deserializer=s)
    .add_processor("Count", ClickCounter, "Clicks")  # a class is a supplier: each task gets a new instance
    .add_state_store(counts_store, "Count")
    .add_sink("Counts", "click-counts", "Count", key_serializer=s, value_serializer=Serdes.long())
)
print(click_counts.describe())

# %% [markdown]
# The `TopologyTestDriver` pipes records through the topology synchronously. We read what the sink wrote, and the
# store's final content.

# %%
with TopologyTestDriver(click_counts) as driver:
    clicks = driver.create_input_topic("clicks", s, s)
    for user, page in [("alice", "/home"), ("bob", "/home"), ("alice", "/cart"), ("alice", "/pay")]:
        clicks.pipe_input(user, page)
    print(driver.create_output_topic("click-counts", s, Serdes.long()).read_key_values_to_list())
    with driver.get_key_value_store("clicks-per-user").all() as entries:
        print(dict(entries))

# %% [markdown]
# `preview(...)` runs the same engine and keeps tables: the rows each node produced (`p.node(name)`: what it
# sent on, so a node's output can be seen even when no sink writes it) and the records it received
# (`p.received(name)`), what each sink topic got, and each store's content. Every row remembers which input record
# caused it (its *lineage*: `input`, `input_topic`, `input_offset`), so you can follow a record through the graph.

# %%
p = preview(click_counts, {"clicks": records([("alice", "/home", 0), ("bob", "/home", 1), ("alice", "/cart", 2)])})
p.node("Count")

# %%
p.store("clicks-per-user")

# %% [markdown]
# ## 2. Doing work at a fixed interval: punctuation
#
# A processor can `schedule(interval, type, callback)` a **punctuation**:
#
# - `PunctuationType.STREAM_TIME`: fires when the *stream time* (the largest record timestamp seen by the task)
#   reaches the next multiple of the interval. It is driven by data: no records, no punctuation.
# - `PunctuationType.WALL_CLOCK_TIME`: fires when the system clock reaches the next slot, records or not.
#
# `kstreams_nb.examples.IntervalAggregator` sums the values of each key in a store and, at every punctuation,
# forwards every key's aggregate and clears the store. Its code is short:

# %%
import inspect

from kstreams_nb.examples import IntervalAggregator, interval_aggregate_topology

print(inspect.getsource(IntervalAggregator))

# %% [markdown]
# **Stream time.** Stream-time punctuations are aligned to 0: the first one fires with the first record (1 s),
# the next once the stream time reaches the 10 s slot. Readings arrive at 1 s, 4 s and 12 s: the 12 s reading
# moves the stream time past 10 s, so the punctuation runs (after that reading was processed) and receives the
# current stream time, 12 000 ms, which stamps its output.

# %%
every_10s_stream = interval_aggregate_topology(timedelta(seconds=10), PunctuationType.STREAM_TIME)
with TopologyTestDriver(every_10s_stream) as driver:
    readings = driver.create_input_topic("readings", s, Serdes.json())
    out = driver.create_output_topic("reading-aggregates", s, Serdes.json())
    readings.pipe_input("sensor-1", 20, 1_000)
    readings.pipe_input("sensor-2", 7, 4_000)
    print("after 4 s: ", [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()])
    readings.pipe_input("sensor-1", 22, 12_000)
    print("after 12 s:", [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()])

# %% [markdown]
# **Wall-clock time.** The same processor on `WALL_CLOCK_TIME` ignores record timestamps. The test driver's clock
# only moves when you say so: `driver.advance_wall_clock_time(...)`.

# %%
every_10s_wall = interval_aggregate_topology(timedelta(seconds=10), PunctuationType.WALL_CLOCK_TIME)
with TopologyTestDriver(every_10s_wall) as driver:
    readings = driver.create_input_topic("readings", s, Serdes.json())
    out = driver.create_output_topic("reading-aggregates", s, Serdes.json())
    readings.pipe_input("sensor-1", 20, 1_000)
    readings.pipe_input("sensor-1", 22, 500_000)  # a late timestamp does not trigger anything
    print("before the clock moves:", out.read_records_to_list())
    driver.advance_wall_clock_time(timedelta(seconds=10))
    print("10 s later:", [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()])

# %% [markdown]
# `preview(...)` lists the punctuations that fired (stream time only: a preview has no wall clock).

# %%
p = preview(every_10s_stream, {"readings": records([("sensor-1", 20, 1_000), ("sensor-2", 7, 4_000),
                                                    ("sensor-1", 22, 12_000), ("sensor-2", 3, 25_000)])})
p.punctuations

# %%
p.topic("reading-aggregates")

# %% [markdown]
# ## 3. Routing each record to a topic chosen from its value
#
# A sink normally writes to one topic. Give `add_sink` a **`TopicNameExtractor`** instead, a function
# `(key, value, record_context) -> topic`, and each record goes to the topic it returns. Here each event goes
# to `events-<type>`.

# %%
def by_type(key, value, record_context):
    return f"events-{value['type']}"


routing = (
    Topology()
    .add_source("Events", "events", key_deserializer=s, value_deserializer=Serdes.json())
    .add_sink("Route", by_type, "Events", key_serializer=s, value_serializer=Serdes.json())
)
print(routing.describe())

# %%
events = [  # (key, value, timestamp)
    ("alice", {"type": "click", "page": "/home"}, 0),
    ("bob", {"type": "payment", "amount": 30}, 1),
    ("alice", {"type": "click", "page": "/cart"}, 2),
]
with TopologyTestDriver(routing) as driver:
    topic = driver.create_input_topic("events", s, Serdes.json())
    for key, value, timestamp in events:
        topic.pipe_input(key, value, timestamp)
    print(sorted(driver.produced_topic_names()))
    print(driver.create_output_topic("events-payment", s, Serdes.json()).read_key_values_to_list())

# %%
preview(routing, {"events": records(events)}).topic("events-click")

# %% [markdown]
# ## Exercise
#
# Orders arrive on `orders` with values like `{"item": "book", "amount": 120}`. Write a `TopicNameExtractor`
# `by_size` that sends orders of an amount of 100 or more to `orders-large` and the others to `orders-small`, and
# build the topology `order_routing` (source `Orders` on `orders`, sink `Route`, JSON values, string keys).
# Replace the reference solution below with yours, then run the check.

# %%
def by_size(key, value, record_context):
    return "orders-large" if value["amount"] >= 100 else "orders-small"


order_routing = (
    Topology()
    .add_source("Orders", "orders", key_deserializer=s, value_deserializer=Serdes.json())
    .add_sink("Route", by_size, "Orders", key_serializer=s, value_serializer=Serdes.json())
)

# %%
with TopologyTestDriver(order_routing) as driver:
    driver.create_input_topic("orders", s, Serdes.json()).pipe_key_value_list(
        [("o1", {"item": "book", "amount": 120}), ("o2", {"item": "pen", "amount": 3}),
         ("o3", {"item": "desk", "amount": 100})]
    )
    large = driver.create_output_topic("orders-large", s, Serdes.json()).read_key_values_to_list()
    small = driver.create_output_topic("orders-small", s, Serdes.json()).read_key_values_to_list()
assert [k for k, _ in large] == ["o1", "o3"], f"orders-large got {large}"
assert [k for k, _ in small] == ["o2"], f"orders-small got {small}"
print("✓ each order went to the topic chosen from its amount")
