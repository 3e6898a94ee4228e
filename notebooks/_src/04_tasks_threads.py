# %% [markdown]
# # 4. Tasks, threads and partitions
#
# A Kafka Streams application scales the way a consumer group does. Inside one application instance:
#
# - a **task** is the smallest unit of processing: one per **sub-topology × input partition**. A topology reading
#   a topic of 3 partitions has 3 tasks per sub-topology;
# - tasks run on **stream threads** (`num.stream.threads`, 1 by default); a thread runs one or more tasks;
# - several **instances** (processes or servers) started with the same **`application.id`** form one application:
#   they share the tasks, and when one stops, the others take its tasks over.
#
# So the throughput grows with the number of partitions and of threads or instances; beyond one task per thread,
# extra threads sit idle. Everything here runs on the embedded broker (`memory://...`).

# %%
import threading

from kstreams_nb import KafkaStreams, Serdes
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, Grouped, Produced, StreamsBuilder
from kstreams_nb.notebook import produce, read, records
from kstreams_nb.streams import State

broker = EmbeddedBroker.reset("nb-04-tasks")
broker.create_topic("page-views", partitions=3)
broker.create_topic("views-per-page", partitions=3)

s = Serdes.string()
builder = StreamsBuilder()
(
    builder.stream("page-views", Consumed.with_(s, s))  # key: user, value: page
    .group_by(lambda user, page: page, Grouped.with_(s, s))  # re-key by page: a repartition topic
    .count()
    .to_stream()
    .to("views-per-page", Produced.with_(s, Serdes.long()))
)
topology = builder.build()
print(topology.describe())

# %% [markdown]
# Re-keying by page splits the program in **two sub-topologies**: sub-topology 0 reads `page-views` and writes the
# repartition topic; sub-topology 1 reads the repartition topic (which gets as many partitions as `page-views`)
# and counts. Task ids are `<sub-topology>_<partition>`, so we expect 2 × 3 = 6 tasks.
#
# A few helpers for the rest of the notebook: every instance gets a readable `client.id` (thread names derive from
# it), and a state listener that wakes up `wait_until(...)`, which waits for a condition with a deadline.

# %%
config = {"application.id": "page-views-app", "bootstrap.servers": "memory://nb-04-tasks", "commit.interval.ms": 50}
changed = threading.Condition()


def on_state_change(new_state, old_state):
    with changed:
        changed.notify_all()


def start_instance(client_id, threads=1):
    streams = KafkaStreams(topology, {**config, "client.id": client_id, "num.stream.threads": threads})
    streams.set_state_listener(on_state_change)
    streams.start()
    assert streams.wait_for_state(State.RUNNING, timeout=30), streams.state()
    return streams


def wait_until(condition, timeout=30):
    with changed:
        assert changed.wait_for(condition, timeout), "timed out"


def tasks_of(*instances):
    """Every task id each instance runs, over all its threads."""
    return [sorted(t for tasks in i.local_tasks().values() for t in tasks) for i in instances]


def settled(*instances):
    """All instances RUNNING, and each of the 6 tasks run by exactly one of them."""
    running = all(i.state() is State.RUNNING for i in instances)
    owned = [t for tasks in tasks_of(*instances) for t in tasks]
    return running and sorted(owned) == ["0_0", "0_1", "0_2", "1_0", "1_1", "1_2"]

# %% [markdown]
# ## 1. One instance, one thread: all six tasks on one thread

# %%
with start_instance("instance-a") as streams:
    print(streams.local_tasks())

# %% [markdown]
# ## 2. More threads: `num.stream.threads`
#
# With 3 threads the 6 tasks are spread over them; each thread has its own consumer, producer and tasks.

# %%
with start_instance("instance-a", threads=3) as streams:
    for thread, tasks in streams.local_tasks().items():
        print(thread, tasks)

# %% [markdown]
# ## 3. Two instances with the same `application.id`
#
# Start a first instance, then a second one in another cell (on a real cluster it would be another process or
# server). The second instance joins the application's group, a **rebalance** moves some tasks to it, and the
# two instances then split the work.

# %%
instance_a = start_instance("instance-a")
tasks_of(instance_a)

# %%
instance_b = start_instance("instance-b")
wait_until(lambda: settled(instance_a, instance_b))
print("instance-a:", tasks_of(instance_a)[0])
print("instance-b:", tasks_of(instance_b)[0])

# %% [markdown]
# Records are processed whichever instance runs their task. Each view below goes to a partition of `page-views`
# chosen from its key, and the counts come out right. `wait_until_processed` waits until the application (all its
# instances: it looks at the group's committed offsets) has processed everything the input topics held.

# %%
views = records([("alice", "/home"), ("bob", "/home"), ("carol", "/cart"), ("dave", "/home")])
produce("page-views", views, config=config, key_serde=s, value_serde=s)
assert instance_a.wait_until_processed(timeout=30)
updates = read("views-per-page", config=config, key_serde=s, value_serde=Serdes.long())
updates.groupby("key")["value"].last()  # a page's updates are in one partition, in order: the last is the count

# %% [markdown]
# Now stop `instance-b`, as if its server went away: its tasks move to `instance-a`.

# %%
instance_b.close()
wait_until(lambda: settled(instance_a))
print("instance-a:", tasks_of(instance_a)[0])

# %% [markdown]
# ## Exercise
#
# Scale out to three instances: keep `instance-a` running, start `instance-b` and `instance-c` again (each in
# its own cell, with `start_instance`), and wait until the six tasks are spread over the three. How many tasks
# does each instance get? Replace the reference solution below with yours: the check expects the instances in
# the variables `instance_b` and `instance_c`.

# %%
instance_b = start_instance("instance-b")

# %%
instance_c = start_instance("instance-c")
wait_until(lambda: settled(instance_a, instance_b, instance_c))
for name, tasks in zip(["a", "b", "c"], tasks_of(instance_a, instance_b, instance_c)):
    print(f"instance-{name}: {tasks}")

# %%
counts = [len(tasks) for tasks in tasks_of(instance_a, instance_b, instance_c)]
assert settled(instance_a, instance_b, instance_c), "each of the 6 tasks must run on exactly one instance"
assert counts == [2, 2, 2], f"expected 2 tasks per instance, got {counts}"
print("✓ three instances share the six tasks, two each")

# %% [markdown]
# Close every instance before leaving (a running instance keeps its threads alive in the kernel).

# %%
for streams in (instance_a, instance_b, instance_c):
    streams.close()
print([streams.state().name for streams in (instance_a, instance_b, instance_c)])
