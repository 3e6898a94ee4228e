"""A real IPython kernel (ipykernel from this environment) driven with jupyter_client, one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._support import Kernel, start_kernel


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    manager, client = start_kernel(tmp_path_factory.mktemp("kernels"), tmp_path_factory.mktemp("ipython"))
    try:
        yield Kernel(client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
