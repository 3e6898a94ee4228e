"""Builder checks that the Kafka Streams 4.4.0 oracle showed to differ (checked with a throwaway Java probe)."""

from __future__ import annotations

import pytest

from kstreams_nb.errors import TopologyError
from kstreams_nb.topology import Topology


def test_a_topic_repeated_in_one_source_is_rejected() -> None:
    # Kafka: "Invalid topology: Topic t has already been registered by another source."
    with pytest.raises(TopologyError, match="Topic t has already been registered by another source"):
        Topology().add_source("s", "t", "t")
