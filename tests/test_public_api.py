"""The public surface: the __all__ snapshot, the error tree, and a light `import kstreams_nb`."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import kstreams_nb
from kstreams_nb import errors

EXPECTED_ALL = {
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
}


def test_all_is_pinned() -> None:
    assert set(kstreams_nb.__all__) == EXPECTED_ALL
    for name in kstreams_nb.__all__:
        assert getattr(kstreams_nb, name) is not None, name


def test_every_public_object_has_a_docstring() -> None:
    missing = [n for n in kstreams_nb.__all__ if not inspect.getdoc(getattr(kstreams_nb, n))]
    assert missing == []


def test_error_tree() -> None:
    classes = [getattr(errors, n) for n in errors.__all__]
    for cls in classes:
        assert issubclass(cls, errors.KStreamsError), cls
        assert cls.__name__.endswith("Error"), cls
    assert issubclass(errors.TopologyError, ValueError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.UnknownStateStoreError, KeyError)
    assert issubclass(errors.DeserializationError, errors.SerializationError)
    assert issubclass(errors.ProducerFencedError, errors.TransactionError)
    assert issubclass(errors.StreamsStateError, RuntimeError)
    # the docstring draws every class of the tree
    for cls in classes:
        assert cls.__name__ in (errors.__doc__ or ""), cls.__name__


@pytest.mark.parametrize("module", ["kstreams_nb", "kstreams_nb.notebook"])
def test_import_is_light(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "heavy = ['pandas', 'matplotlib', 'ipywidgets', 'networkx', 'confluent_kafka', 'cloudpickle', 'IPython']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_core_never_loads_the_notebook_layer() -> None:
    code = (
        "import sys, kstreams_nb, kstreams_nb.dsl, kstreams_nb.streams, kstreams_nb.testing\n"
        "print(sorted(m for m in sys.modules if m.startswith('kstreams_nb.notebook')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_notebook_layer_exports_what_it_lists() -> None:
    import kstreams_nb.notebook as nb

    for name in nb.__all__:
        obj = getattr(nb, name)
        assert callable(obj), name
        assert inspect.getdoc(obj), name


def test_kafka_streams_state_is_nested_as_in_kafka() -> None:
    assert kstreams_nb.KafkaStreams.State.RUNNING.name == "RUNNING"
