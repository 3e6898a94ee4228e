# %% [markdown]
# # 3. The Streams DSL: branching, windowed counts, joins and sessions
#
# The **Streams DSL** provides the operations stream processing needs most (filter, map, branch, group, count,
# aggregate, join, windows ...) as methods; each adds processors to the topology for you. This notebook builds the
# the DSL examples of the workshop:
#
# 1. **branching** a topic by the value of its messages;
# 2. **counting what arrived in the last 10 minutes**, with tumbling and hopping windows, a grace period for late
#    records, and final results only (`suppress`);
# 3. **joins** of a stream with a table and of two streams, and **session windows**.
#
# Every step is previewed on a few records with fixed timestamps: `preview(...)` keeps the records of **each
# node**, so an intermediate stream needs no sink topic to be seen.

# %%
from datetime import timedelta

from kstreams_nb.dsl import BufferConfig, Branched, JoinWindows, Named, SessionWindows, Suppressed, TimeWindows
from kstreams_nb.notebook import NotebookBuilder, explore, preview, records

MINUTE = 60_000  # timestamps are epoch milliseconds; these examples start at 0

# %% [markdown]
# ## 1. Branching by value: `split()` and `branch()`
#
# `split()` opens a set of branches; each `branch(predicate)` takes the records its predicate accepts **and no
# earlier branch took**; `default_branch()` takes the rest. The result is a dict of streams, named from the
# `Named` prefix and each `Branched` name. Each branch then goes to its own topic.

# %%
nb = NotebookBuilder()
logs = nb.stream("logs")  # key: host, value: "<level>: text"
branches = (
    logs.split(Named.as_("level-"))
    .branch(lambda host, line: line.startswith("error"), Branched.as_("error"))
    .branch(lambda host, line: line.startswith("warn"), Branched.as_("warn"))
    .default_branch(Branched.as_("other"))
)
for name, stream in branches.items():
    stream.to("logs-" + name.removeprefix("level-"))
sorted(branches)

# %%
log_lines = records([
    ("web-1", "info: started", 0),
    ("db-1", "error: disk full", 1),
    ("web-2", "warn: slow response", 2),
    ("db-1", "error: replica lag", 3),
])
p = preview(nb, {"logs": log_lines})
p.node(branches["level-error"])

# %% [markdown]
# `p.node(handle)` shows the rows a step produced: the content of the stream the handle stands for (here: the
# `error` branch), with or without a sink after it; `input` is the index of the input record that caused each
# row. `p.received(name_or_handle)` shows what a node was given: the split node (`level-`) received every line.

# %%
p.received("level-")

# %% [markdown]
# The sink topics hold what each branch sent:

# %%
p.topic("logs-warn")

# %% [markdown]
# ## 2. The count of the last 10 minutes
#
# Counting per key **per time window** needs `group_by_key()` (or `group_by(...)`), `windowed_by(windows)` and
# `count()`. The windows follow the **event time**: the record timestamps, not the clock of the machine.
#
# **Tumbling windows** (`TimeWindows.of_size_and_grace(size, grace)`) do not overlap: `[0, 10 min)`,
# `[10 min, 20 min)`, ... A record arriving out of order is still counted if its window has not **closed**; a
# window closes when the stream time passes its end plus the **grace** period. Records for closed windows are
# dropped.

# %%
clicks = records([
    ("alice", "/home", 1 * MINUTE),
    ("bob", "/home", 3 * MINUTE),
    ("alice", "/cart", 8 * MINUTE),
    ("alice", "/help", 10 * MINUTE + 30_000),  # stream time: 10.5 min
    ("bob", "/cart", 9 * MINUTE),    # late, within the grace: [0, 10 min) closes at 11 min
    ("alice", "/pay", 12 * MINUTE),  # stream time: 12 min, [0, 10 min) is closed
    ("bob", "/pay", 7 * MINUTE),     # too late: dropped
    ("bob", "/home", 21 * MINUTE),
])
click_stream = nb.stream("clicks")
clicks_by_user = click_stream.group_by_key()

# %%
tumbling = clicks_by_user.windowed_by(
    TimeWindows.of_size_and_grace(timedelta(minutes=10), timedelta(minutes=1))
).count()
tumbling.to_stream().to("clicks-per-10-minutes")

p = preview(nb, {"clicks": clicks})
p.node(tumbling)

# %% [markdown]
# Each row is an **update** of a window's count: `alice` in `[0, 10 min)` goes 1, 2. The click of `bob` at 9 min
# came late (the stream time was 10.5 min) but within the grace period, so it was counted. The one at 7 min came
# when the stream time was 12 min, after `[0, 10 min)` closed (10 min + 1 min grace): it was dropped, and the
# preview says why:

# %%
p.dropped

# %% [markdown]
# **Hopping windows** (`.advance_by(...)`) overlap: 10-minute windows starting every 5 minutes. Each record is
# counted in two windows, and the window ending at any 5-minute mark holds the count of the 10 minutes before it.

# %%
hopping = clicks_by_user.windowed_by(
    TimeWindows.of_size_and_grace(timedelta(minutes=10), timedelta(minutes=1)).advance_by(timedelta(minutes=5))
).count()
hopping.to_stream().to("clicks-last-10-minutes")

preview(nb, {"clicks": clicks}).node(hopping)

# %% [markdown]
# ## 3. Final results only: `suppress`
#
# A windowed count emits an update for every record. To get **one result per window**, once it can no longer
# change, add `suppress(Suppressed.until_window_closes(...))`: updates wait in a buffer until the window closes
# (stream time past window end + grace).

# %%
final = tumbling.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
final.to_stream().to("clicks-per-10-minutes-final")

p = preview(nb, {"clicks": clicks})
p.node(final)

# %% [markdown]
# Only the windows that closed are there, with their final counts: `[0, 10 min)` closed when the click at 12 min
# arrived, `[10 min, 20 min)` when the click at 21 min arrived. `[20 min, 30 min)` is still open: its count waits
# in the buffer.
#
# ## 4. Joins: enriching a stream with a table, matching two streams
#
# A **stream-table join** looks each stream record up in a table **as the table is at that moment**: a click is
# joined with the user's profile as it was when the click arrived. A record whose key is not in the table yet is
# dropped by `join`; `left_join` keeps it with `None` for the table side. Only the stream side triggers a result:
# a later profile update does not re-emit old clicks.

# %%
profiles = records([
    ("alice", "Alice (Berlin)", 0),
    ("bob", "Bob (Lyon)", 2 * MINUTE),
    ("alice", "Alice (Paris)", 9 * MINUTE),  # alice moved: later clicks see the new profile
])
users = nb.table("users")
enriched = click_stream.left_join(users, lambda page, profile: f"{page} by {profile}")
enriched.to("clicks-enriched")

p = preview(nb, {"clicks": clicks, "users": profiles})
p.node(enriched)

# %% [markdown]
# Bob's first click (3 min) came after his profile (2 min), so it is enriched; alice's clicks before 9 min see
# `Berlin`, those after see `Paris`. The late clicks are joined like any other: a stream-table join has no
# window, so it does not drop late records.
#
# A **stream-stream join** matches records of two streams with the same key whose timestamps are close enough:
# `JoinWindows.of_time_difference_with_no_grace(d)` pairs records at most `d` apart, whichever came first.
# Both sides keep their recent records in a window store, and each arrival is joined with every match already
# there. Here a search is matched with the clicks that follow it within 2 minutes:

# %%
searches = records([
    ("alice", "shoes", 0),
    ("bob", "books", 2 * MINUTE),
    ("alice", "hats", 7 * MINUTE),
])
matched = nb.stream("searches").join(
    click_stream,
    lambda search, page: f"searched {search!r}, then opened {page}",
    JoinWindows.of_time_difference_with_no_grace(timedelta(minutes=2)),
)
matched.to("search-clicks")

p = preview(nb, {"clicks": clicks, "searches": searches})
p.node(matched)

# %% [markdown]
# alice's search at 0 matched her click at 1 min, and her search at 7 min the click at 8 min; bob's search at 2
# min matched his click at 3 min. Clicks with no search within 2 minutes produce nothing (`left_join` and
# `outer_join` would emit them with `None` once the window has closed).
#
# ## 5. Sessions: activity separated by a gap
#
# A **session window** has no fixed size: it groups the records of a key that are at most an **inactivity gap**
# apart. `SessionWindows.of_inactivity_gap_with_no_grace(gap)` starts a new session after `gap` without a
# record; a record that falls between two sessions **merges** them. A merge removes the old sessions: the count
# emits a `None` (a tombstone) for each merged-away session, then the merged session's count.

# %%
sessions = clicks_by_user.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(timedelta(minutes=5))).count()
sessions.to_stream().to("clicks-per-session")

p = preview(nb, {"clicks": clicks})
p.node(sessions)

# %% [markdown]
# alice's clicks at 1 and 8 min are 7 minutes apart: two sessions. Her clicks at 10.5 and 12 min extend the
# second one to `[8 min, 12 min]` with 3 clicks; each growth first deletes the shorter session (the rows with
# `None`). bob's late click at 7 min merges with his session at 9 min into `[7 min, 9 min]`; his session at 3 min
# was not merged: a session is kept only for the gap (plus the grace) after it ends, and the stream time was
# already 12 min. His click at 21 min starts a new session.
#
# ## 6. The whole program
#
# The builder draws the topology it would build (evaluate it as the last expression of a cell):

# %%
# NBVAL_IGNORE_OUTPUT
topology = nb.build()
topology

# %% [markdown]
# **Explore it.** `explore(topology, inputs)` shows the picture and the list of nodes: choose a node to see its
# rows, or step through the input records one at a time and watch the rows and stores change.

# %%
# NBVAL_IGNORE_OUTPUT
explore(topology, {"clicks": clicks, "logs": log_lines})

# %% [markdown]
# ## Exercise
#
# With a new `NotebookBuilder` called `errors_nb`, count the **error** lines of `logs` per host in **5-minute
# tumbling windows without grace**, and keep **final results only**. Put the handle of the final table in
# `error_counts`. Replace the reference solution below with yours.

# %%
errors_nb = NotebookBuilder()
error_counts = (
    errors_nb.stream("logs")
    .filter(lambda host, line: line.startswith("error"))
    .group_by_key()
    .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=5)))
    .count()
    .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
)
error_counts.to_stream().to("errors-per-5-minutes")

# %%
check = preview(errors_nb, {"logs": records([
    ("db-1", "error: disk full", 1 * MINUTE),
    ("db-1", "error: replica lag", 2 * MINUTE),
    ("web-1", "info: started", 3 * MINUTE),
    ("db-1", "error: disk full", 6 * MINUTE),
    ("web-1", "error: timeout", 11 * MINUTE),  # closes [0, 5 min) and [5 min, 10 min)
])}).node(error_counts)
got = [(row.key, row.window_start // MINUTE, row.value) for row in check.itertuples()]
assert got == [("db-1", 0, 2), ("db-1", 5, 1)], got
print("✓ one final count per closed 5-minute window, errors only")
