"""The engine: tasks, partition groups, punctuation, record collection (and, with the runtime, threads)."""
