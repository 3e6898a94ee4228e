"""The client conformance suite runs every test once per broker in ``_cluster.CLUSTERS``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._cluster import CLUSTERS, Cluster, ClusterFactory


@pytest.fixture(params=CLUSTERS)
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A broker behind a ClientSupplier; every client made through it is closed afterwards."""
    factory: ClusterFactory = request.param
    with factory() as made:
        yield made
