"""A real IPython kernel (ipykernel from this environment) driven with jupyter_client, one per test module."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._support import Kernel

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    # a kernelspec for this interpreter, so the kernel runs the ipykernel of this environment
    spec_dir = tmp_path_factory.mktemp("kernels") / "kstreams-nb-test"
    spec_dir.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec_dir / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "test", "language": "python"}))
    manager = KernelManager(
        kernel_name="kstreams-nb-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)])
    )
    python_path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    # a private IPython dir: no user profile or startup files, no shared history database
    ipython_dir = tmp_path_factory.mktemp("ipython")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path), "IPYTHONDIR": str(ipython_dir)}
    manager.start_kernel(cwd=str(ROOT), env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=STARTUP_TIMEOUT)
        yield Kernel(client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
