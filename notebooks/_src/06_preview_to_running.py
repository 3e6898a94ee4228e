# %% [markdown]
# # 6. From a preview to a running application
#
# The workflow of the kit: **sample** a few records of a real topic, **preview** the topology on them (no side
# effect: nothing is written anywhere), fix it until the tables look right, then **run** the very same topology
# with `KafkaStreams`, in the background, and **read** what it wrote.
#
# Here the "real" topic lives on the embedded broker (`memory://nb-06-run`); with a Kafka cluster only
# `bootstrap.servers` changes.

# %%
from kstreams_nb import KafkaStreams
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Grouped, Materialized
from kstreams_nb.notebook import NotebookBuilder, preview, produce, read, records, sample
from kstreams_nb.streams import State

broker = EmbeddedBroker.reset("nb-06-run")
broker.create_topic("orders", partitions=2)
broker.create_topic("revenue-per-country", partitions=2)
config = {
    "application.id": "revenue-app",
    "bootstrap.servers": "memory://nb-06-run",
    "client.id": "revenue-app-1",  # names the threads (the default adds a random id)
    "commit.interval.ms": 50,
}

# %% [markdown]
# ## 1. Some orders in a topic
#
# `produce(topic, data, config=...)` writes Python values (JSON by default); `data` is a DataFrame, plain values,
# or `records([(key, value, timestamp), ...])`. It returns how many records it wrote.

# %%
orders = [
    ("o1", {"country": "KR", "amount": 120, "status": "paid"}, 1_000),
    ("o2", {"country": "FR", "amount": 40, "status": "paid"}, 2_000),
    ("o3", {"country": "KR", "amount": 75, "status": "cancelled"}, 3_000),
    ("o4", {"country": "US", "amount": 60, "status": "paid"}, 4_000),
    ("o5", {"country": "KR", "amount": 30, "status": "paid"}, 5_000),
    ("o6", {"country": "FR", "amount": 15, "status": "paid"}, 6_000),
]
produce("orders", records(orders), config=config)

# %% [markdown]
# ## 2. Sample them
#
# `sample(topic, n)` reads up to `n` records of every partition without joining a consumer group or committing
# anything, into a DataFrame with `key`, `value`, `timestamp`, `partition` and `offset`. (Across partitions the
# order is not defined; we sort by timestamp.)

# %%
sampled = sample("orders", 100, config=config).sort_values("timestamp", ignore_index=True)
sampled

# %% [markdown]
# ## 3. Preview the topology on the sample
#
# The revenue of each country, counting paid orders only. The DataFrame goes straight into `preview`;
# `p.node(handle)` shows the rows a step of the program produced (no sink needed), `p.topic(name)` what a sink
# topic got.

# %%
nb = NotebookBuilder()
paid = nb.stream("orders").filter(lambda key, order: order["status"] == "paid")
revenue = (
    paid.group_by(lambda key, order: order["country"], Grouped.as_("by-country"))
    .aggregate(lambda: 0, lambda country, order, total: total + order["amount"], materialized=Materialized.as_("revenue"))
)
revenue.to_stream().to("revenue-per-country")

p = preview(nb, {"orders": sampled})
p.node(paid)  # what the filter let through: the cancelled order o3 is gone

# %%
p.topic("revenue-per-country")

# %% [markdown]
# The preview wrote nothing: the output topic is still empty.

# %%
assert read("revenue-per-country", config=config).empty
print(broker.end_offsets("revenue-per-country"))

# %% [markdown]
# ## 4. Run it in the background
#
# `KafkaStreams(topology, config).start()` runs the topology on background threads; the cell returns at once.
# `wait_until_processed(timeout)` waits until everything in the input topics has been processed.

# %%
streams = KafkaStreams(nb.build(), config)
streams.start()
assert streams.wait_for_state(State.RUNNING, timeout=30)
assert streams.wait_until_processed(timeout=30)
streams

# %% [markdown]
# `read(topic)` gives what the application wrote, as a DataFrame. Every update of a total is there; the last one
# per country is the current revenue:

# %%
written = read("revenue-per-country", config=config).sort_values(["key", "timestamp"], ignore_index=True)
written[["key", "value", "timestamp"]]

# %% [markdown]
# The application keeps running: new orders are processed as they arrive. Its state store can be queried by
# name (`Materialized.as_("revenue")` named it):

# %%
produce("orders", records([("o7", {"country": "US", "amount": 90, "status": "paid"}, 7_000)]), config=config)
assert streams.wait_until_processed(timeout=30)
streams.store("revenue").get("US")  # the aggregate's store, queried while the application runs

# %% [markdown]
# ## Exercise
#
# Compute the revenue per country again, but in a variable `live` that you read from the running application's
# output topic: the **latest** value of each country, as a dict `{country: total}` (after order `o7`). Replace
# the reference solution below with yours.

# %%
latest = read("revenue-per-country", config=config).sort_values("timestamp").groupby("key")["value"].last()
live = latest.to_dict()

# %%
expected = p.topic("revenue-per-country").groupby("key")["value"].last().to_dict()
expected["US"] += 90  # order o7, produced after the preview
assert live == expected == {"FR": 55, "KR": 150, "US": 150}, live
print("✓ the running application agrees with the preview, plus the new order")

# %% [markdown]
# Close the application when you are done (re-running the cell that started it also closes the old instance).

# %%
streams.close()
streams.state()

# %% [markdown]
# ## 5. Deploy it as a job
#
# `deploy(topology, config)` runs the same topology in the background and returns a `Job` at once. With the same
# `application.id` it carries on where the closed application stopped: its committed offsets and its state
# (restored from the changelog) are the group's, so nothing is counted twice. `mode="thread"` (the default) runs it
# in this kernel, on any broker; `mode="process"` runs it as a detached process that outlives the kernel, on a
# Kafka cluster (`kstreams-nb kafka start` gives you one), and `kstreams-nb jobs list|status|stop|logs` finds it
# again from a shell.

# %%
from kstreams_nb.jobs import deploy

job = deploy(nb, config, name="revenue")
produce("orders", records([("o8", {"country": "KR", "amount": 50, "status": "paid"}, 8_000)]), config=config)
assert job.streams.wait_until_processed(timeout=30)
job

# %% [markdown]
# `job.output(topic)` is a quick look at the last records of a topic; the new order moved Korea's revenue from 150
# to 200, and nothing before it was counted again:

# %%
latest_by_country = job.output("revenue-per-country").sort_values("timestamp").groupby("key")["value"].last()
assert latest_by_country.to_dict() == {"FR": 55, "KR": 200, "US": 150}, latest_by_country
latest_by_country

# %% [markdown]
# `job.panel()` is a live view of the job: its state, records per second per task and per node, committed offsets
# and lag per partition, restore progress and recent errors. It refreshes about once a second on the kernel's event
# loop (so the notebook stays usable) and stops refreshing when the job ends. Produce a few more orders in a new cell
# and watch it move.

# %%
live = job.panel()
live

# %% [markdown]
# `job.stop()` commits and closes; a kernel that shuts down stops its thread jobs the same way.

# %%
job.stop()
job.state

# %% [markdown]
# ## 6. Promote it to a module
#
# `export(builder, path, config=...)` writes a standalone module from the cells that built the topology: their
# source in the order they first ran (the latest version of each), the imports, functions and constants they use
# (found in this kernel), and a module attribute `topology`; display-only calls such as `preview(...)` are left
# out. Beside it goes a `.properties` file with the config (secret values are never written: put `${ENV_VAR}`
# there). Then, on a Kafka cluster, from a shell:
#
# ```
# kstreams-nb run revenue_app:topology --config revenue_app.properties --instances 2
# kstreams-nb jobs list        # also: status NAME, logs NAME, stop NAME
# ```

# %%
import tempfile
from pathlib import Path

from kstreams_nb.jobs import export

folder = Path(tempfile.mkdtemp())
exported = export(nb, folder / "revenue_app.py", config=config)
print(exported.module.read_text())
