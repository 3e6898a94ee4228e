"""kstreams_nb: Kafka Streams for Python and Jupyter.

Build a topology with the Processor API (``Topology``) or the Streams DSL, test it with the
``TopologyTestDriver``, and run it with ``KafkaStreams`` on the embedded broker or a Kafka cluster.

Example::

    >>> import kstreams_nb as ks
    >>> t = ks.Topology().add_source("src", "in").add_sink("sink", "out", "src")
    >>> with ks.TopologyTestDriver(t) as driver:
    ...     driver.create_input_topic("in").pipe_input("k", "v")
    ...     driver.create_output_topic("out").read_value()
    'v'
"""

from kstreams_nb.config import StreamsConfig
from kstreams_nb.dsl import StreamsBuilder
from kstreams_nb.errors import (
    BrokerError,
    CommitFailedError,
    ConfigError,
    DeserializationError,
    EmptyTopicError,
    InvalidStateStoreError,
    JobError,
    KStreamsError,
    ProcessingError,
    ProducerFencedError,
    SerializationError,
    StateStoreError,
    StreamsStateError,
    TopicExistsError,
    TopologyError,
    TransactionError,
    UnknownStateStoreError,
    UnknownTopicError,
)
from kstreams_nb.processor import FixedKeyProcessor, FixedKeyRecord, Processor, PunctuationType
from kstreams_nb.records import Headers, Record, RecordMetadata, TaskId, TopicPartition, Window, Windowed
from kstreams_nb.serdes import Serde, Serdes
from kstreams_nb.state import Stores, ValueAndTimestamp
from kstreams_nb.streams import KafkaStreams, MetricName
from kstreams_nb.testing import TestInputTopic, TestOutputTopic, TestRecord, TopologyTestDriver
from kstreams_nb.topology import Topology

__version__ = "0.1.0"

__all__ = [
    "BrokerError",
    "CommitFailedError",
    "ConfigError",
    "DeserializationError",
    "EmptyTopicError",
    "FixedKeyProcessor",
    "FixedKeyRecord",
    "Headers",
    "InvalidStateStoreError",
    "JobError",
    "KafkaStreams",
    "KStreamsError",
    "MetricName",
    "ProcessingError",
    "Processor",
    "ProducerFencedError",
    "PunctuationType",
    "Record",
    "RecordMetadata",
    "SerializationError",
    "Serde",
    "Serdes",
    "StateStoreError",
    "Stores",
    "StreamsBuilder",
    "StreamsConfig",
    "StreamsStateError",
    "TaskId",
    "TestInputTopic",
    "TestOutputTopic",
    "TestRecord",
    "TopicExistsError",
    "TopicPartition",
    "Topology",
    "TopologyError",
    "TopologyTestDriver",
    "TransactionError",
    "UnknownStateStoreError",
    "UnknownTopicError",
    "ValueAndTimestamp",
    "Window",
    "Windowed",
]
