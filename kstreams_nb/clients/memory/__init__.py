"""The embedded in-memory broker: the default "cluster" wherever no real Kafka is given.

It behaves like Kafka wherever the engine can see it: partitions and offsets, murmur2 default partitioning,
consumer groups with generations, the range assignor or a client-side one run by the group leader, committed
offsets with metadata, transactions with read_committed, and topic administration. ``memory://NAME`` addresses
the process-wide broker ``EmbeddedBroker.named(NAME)``.

Example::

    >>> broker = EmbeddedBroker()
    >>> broker.create_topic("in", partitions=3)
    >>> supplier = MemoryClientSupplier(broker)
    >>> producer = supplier.producer({})
    >>> producer.produce("in", b"a", b"x", timestamp=0)
    >>> consumer = supplier.consumer({"group.id": "app"})
    >>> consumer.subscribe(["in"])
    >>> [(r.partition, r.offset, r.value) for r in consumer.poll_batch(100, timeout=1.0)]
    [(1, 0, b'x')]
    >>> consumer.close()
"""

from kstreams_nb.clients.memory.assignor import range_assign, range_assignor
from kstreams_nb.clients.memory.broker import EmbeddedBroker
from kstreams_nb.clients.memory.consumer import MemoryConsumer
from kstreams_nb.clients.memory.errors import (
    CommitFailedError,
    InvalidOffsetError,
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
)
from kstreams_nb.clients.memory.group import ConsumerGroupMetadata, GroupDescription
from kstreams_nb.clients.memory.producer import MemoryProducer
from kstreams_nb.clients.memory.supplier import MemoryAdmin, MemoryClientSupplier, client_supplier

__all__ = [
    "CommitFailedError",
    "ConsumerGroupMetadata",
    "EmbeddedBroker",
    "GroupDescription",
    "InvalidOffsetError",
    "MemoryAdmin",
    "MemoryClientSupplier",
    "MemoryConsumer",
    "MemoryProducer",
    "NoOffsetForPartitionError",
    "OffsetOutOfRangeError",
    "client_supplier",
    "range_assign",
    "range_assignor",
]
