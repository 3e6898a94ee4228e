"""The client conformance suite runs every test once per broker in ``_cluster.CLUSTERS``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ._cluster import CLUSTERS, Cluster, ClusterFactory, kafka_cluster


@pytest.fixture(params=CLUSTERS)
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A broker behind a ClientSupplier; every client made through it is closed afterwards."""
    if request.param is kafka_cluster:
        servers = os.environ.get("KSTREAMS_NB_TEST_KAFKA") or request.getfixturevalue("kafka_broker").bootstrap_servers
        with kafka_cluster(servers) as made:
            yield made
        return
    factory: ClusterFactory = request.param
    with factory() as made:
        yield made
