"""A task's checkpoint file, in Kafka's ``OffsetCheckpoint`` format: the changelog offset up to which each
persistent store's local data is complete, so a restart restores only the changelog's tail.

The file is ``<task directory>/.checkpoint``::

    0                              <- format version
    2                              <- number of entries
    app-counts-changelog 0 1234    <- topic, partition, offset (the next offset to restore from)
    app-other-changelog 0 99

It is written to ``.checkpoint.tmp``, synced, then renamed over the old file, so a crash never leaves a torn
file; an empty mapping writes nothing (as Kafka).

Example::

    >>> import tempfile
    >>> from kstreams_nb.records import TopicPartition
    >>> d = tempfile.mkdtemp()
    >>> write_checkpoint(d, {TopicPartition("app-counts-changelog", 0): 42})
    >>> read_checkpoint(d)
    {TopicPartition(topic='app-counts-changelog', partition=0): 42}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import TopicPartition

__all__ = ["CHECKPOINT_FILE_NAME", "delete_checkpoint", "read_checkpoint", "write_checkpoint"]

CHECKPOINT_FILE_NAME = ".checkpoint"
_VERSION = 0


def write_checkpoint(task_dir: str | os.PathLike[str], offsets: Mapping[TopicPartition, int]) -> None:
    """Replace the task's checkpoint with ``offsets`` (changelog partition -> next offset to restore from).

    Example::

        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> write_checkpoint(d, {}); (Path(d) / CHECKPOINT_FILE_NAME).exists()
        False
    """
    if not offsets:
        return
    directory = Path(task_dir)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [str(_VERSION), str(len(offsets))]
    for tp, offset in offsets.items():
        if " " in tp.topic:
            raise StateStoreError(f"cannot checkpoint topic {tp.topic!r}: a topic name has no spaces")
        lines.append(f"{tp.topic} {tp.partition} {offset}")
    target = directory / CHECKPOINT_FILE_NAME
    temp = directory / (CHECKPOINT_FILE_NAME + ".tmp")
    with open(temp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, target)


def read_checkpoint(task_dir: str | os.PathLike[str]) -> dict[TopicPartition, int]:
    """The task's checkpointed offsets; empty when there is no checkpoint file. A malformed file raises
    :class:`StateStoreError` (delete it, or the application's local state with ``KafkaStreams.clean_up()``).

    Example::

        >>> import tempfile
        >>> read_checkpoint(tempfile.mkdtemp())
        {}
    """
    path = Path(task_dir) / CHECKPOINT_FILE_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    advice = "delete it (the stores are then restored from their changelogs) or call KafkaStreams.clean_up()"
    lines = text.splitlines()
    try:
        version = int(lines[0])
        expected = int(lines[1])
    except (IndexError, ValueError) as e:
        raise StateStoreError(f"checkpoint file {path} ended prematurely or has no version line; {advice}") from e
    if version != _VERSION:
        raise StateStoreError(f"unknown offset checkpoint version {version} in {path}; {advice}")
    offsets: dict[TopicPartition, int] = {}
    for line in lines[2:]:
        pieces = line.split()
        if not pieces:
            continue
        try:
            topic, partition, offset = pieces
            offsets[TopicPartition(topic, int(partition))] = int(offset)
        except ValueError as e:
            raise StateStoreError(f"malformed line in offset checkpoint file {path}: {line!r}; {advice}") from e
    if len(offsets) != expected:
        raise StateStoreError(f"expected {expected} entries in {path} but found {len(offsets)}; {advice}")
    return offsets


def delete_checkpoint(task_dir: str | os.PathLike[str]) -> None:
    """Remove the task's checkpoint file, if any.

    Example::

        >>> import tempfile
        >>> delete_checkpoint(tempfile.mkdtemp())
    """
    (Path(task_dir) / CHECKPOINT_FILE_NAME).unlink(missing_ok=True)
