# %% [markdown]
# # 1. The topology: processors and streams
#
# A Kafka Streams application is a **topology**: a graph whose nodes are **processors** and whose edges are
# **streams** of records (the same records producers write and consumers read). It has the shape of a tree:
#
# - a **source processor** is where processing starts: it reads records from one or more topics;
# - a **stream processor** processes what the previous processor passed on: it transforms, filters, branches;
# - a **sink processor** is where the records end: it writes them to a topic.
#
# There are two ways to build a topology: the **Processor API** (you add each node yourself) and the
# **Streams DSL** (you chain operators such as `filter` and `map_values`, and the DSL adds the nodes). This notebook
# builds one of each, prints and draws them, and previews one on a few records.

# %% [markdown]
# ## 1. A Processor API topology
#
# `add_source`, `add_processor` and `add_sink` each add a node; the last arguments name the node's parents.
# `Upper` is a stream processor: it forwards each record with its value in capitals.

# %%
from kstreams_nb import Processor, Serdes, Topology

s = Serdes.string()


class Upper(Processor):
    def process(self, record):
        self.context.forward(record.with_value(record.value.upper()))


topology = (
    Topology()
    .add_source("Source", "greetings", key_deserializer=s, value_deserializer=s)
    .add_processor("Upper", Upper, "Source")
    .add_sink("Sink", "loud-greetings", "Upper", key_serializer=s, value_serializer=s)
)
print(topology.describe())

# %% [markdown]
# `describe()` prints exactly what Kafka Streams prints for the same program: each node, its topics or stores,
# its children (`-->`) and parents (`<--`), grouped by **sub-topology** (a part of the graph that no topic
# separates; the next notebooks show why they matter).
#
# ## 2. The picture
#
# A topology shows itself as a picture when it is the last expression of a cell (Jupyter also gets the
# `describe()` text). Sources and sinks are linked to their topics; processors to their stores.

# %%
# NBVAL_IGNORE_OUTPUT
topology

# %% [markdown]
# `draw(...)` returns the same picture as a matplotlib `Figure`, to save it (`figure.savefig("topology.svg")`) or
# to put it in a report. As the last expression of a cell, the figure shows itself as the picture:

# %%
# NBVAL_IGNORE_OUTPUT
from kstreams_nb.notebook import draw

figure = draw(topology)
figure

# %% [markdown]
# The graph is also data: `to_networkx()` gives a `networkx.DiGraph` whose nodes carry their kind.

# %%
graph = topology.to_networkx()
for node, data in sorted(graph.nodes(data=True)):
    print(f"{data['kind']:>10}  {node}")
print(sorted(graph.edges()))

# %% [markdown]
# ## 3. The same kind of program with the Streams DSL
#
# In a notebook, build DSL programs with **`NotebookBuilder`**: it offers the same DSL as `StreamsBuilder`, and
# it remembers which cell built what. **Re-running a cell replaces what that cell built** instead of adding a
# second copy, so you can edit a cell and run it again as often as you like; `nb.build()` then gives the same
# topology as a fresh run from the top. (A plain `StreamsBuilder` would add the nodes again at every run.)

# %%
from kstreams_nb.notebook import NotebookBuilder

nb = NotebookBuilder()
greetings = nb.stream("greetings")

# %%
loud = greetings.filter(lambda key, value: value is not None).map_values(str.upper)
loud.to("loud-greetings")

# %% [markdown]
# The DSL named the nodes itself (`KSTREAM-FILTER-0000000001`, ...), with Kafka's numbering. A `filter` and a
# `map_values` are stream processors:

# %%
dsl_topology = nb.build()
print(dsl_topology.describe())

# %% [markdown]
# Running the same cell again (here: a named cell entered twice) does not duplicate anything. The builder's repr
# lists its cells (by name, or by an id Jupyter gives each cell) and what each added:

# %%
# NBVAL_IGNORE_OUTPUT
for attempt in range(2):
    with nb.cell("exclaim"):
        nb.stream("shouts").map_values(lambda value: value + "!").to("exclamations")
print(repr(nb))

# %%
nb.remove("exclaim")  # forget that cell: back to the greetings program
print(nb.build().describe())

# %% [markdown]
# ## 4. Preview: what each node does to a few records
#
# `preview(topology, {topic: records})` runs the topology on the given records without any broker, and keeps the
# records each node produced. Each row remembers the input record that produced it (`input`).

# %%
from kstreams_nb.notebook import preview

p = preview(dsl_topology, {"greetings": ["hello", "good morning", None]})
p

# %%
p.topic("loud-greetings")

# %% [markdown]
# ## Exercise
#
# Temperatures arrive on `temperatures` (key: city, value: degrees as a number). Build, with a `NotebookBuilder`
# called `heat`, a topology that keeps only the readings **above 30** and writes them to `heat-alerts` with the
# value turned into a message `"<degrees> °C"` (for example `"35 °C"`). It needs one source, two stream
# processors and one sink. Replace the reference solution below with yours.

# %%
heat = NotebookBuilder()
(
    heat.stream("temperatures")
    .filter(lambda city, degrees: degrees > 30)
    .map_values(lambda degrees: f"{degrees} °C")
    .to("heat-alerts")
)

# %%
from kstreams_nb.notebook import records

description = heat.build().describe()
kinds = sorted(type(node).__name__ for sub in description.subtopologies for node in sub.nodes)
assert kinds == ["Processor", "Processor", "Sink", "Source"], f"expected 1 source, 2 processors, 1 sink: {kinds}"
alerts = preview(heat, {"temperatures": records([("Seoul", 28), ("Daegu", 35), ("Busan", 31)])}).topic("heat-alerts")
assert alerts[["key", "value"]].values.tolist() == [["Daegu", "35 °C"], ["Busan", "31 °C"]], alerts
print("✓ only the readings above 30 reach heat-alerts, as messages")
