"""Run code in a real IPython kernel as notebook cells, the way JupyterLab and nbclient send it."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

CELL_TIMEOUT = 60.0
STARTUP_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parents[2]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CellError(AssertionError):
    """A cell raised in the kernel; the message is its traceback."""


class Kernel:
    """Run code as notebook cells: ``run(code, cell_id=...)`` sends an execute request and returns its stdout."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def run(self, code: str, cell_id: str | None = None, timeout: float = CELL_TIMEOUT) -> str:
        """Execute ``code``; ``cell_id`` goes in the request's metadata as JupyterLab sends it (None: as nbclient)."""
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        msg = self.client.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
        self.client.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        deadline = time.monotonic() + timeout
        stdout: list[str] = []
        error: str | None = None
        while True:
            reply = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "stream" and body["name"] == "stdout":
                stdout.append(body["text"])
            elif kind == "error":
                error = _ANSI.sub("", "\n".join(body["traceback"]))
            elif kind == "status" and body["execution_state"] == "idle":
                break
        while True:
            shell_reply = self.client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if shell_reply["parent_header"].get("msg_id") == msg_id:
                break
        if error is not None or shell_reply["content"]["status"] != "ok":
            raise CellError(f"cell {cell_id or code[:40]!r} failed:\n{error}")
        return "".join(stdout)


def start_kernel(spec_root: Path, ipython_dir: Path) -> tuple[Any, Any]:
    """Start a real ipykernel of this environment (a kernelspec for this interpreter under ``spec_root``, a private
    IPython dir: no user profile, startup files or shared history); return its manager and a ready client."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec_dir = spec_root / "kstreams-nb-test"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec_dir / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "test", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(spec_root)])
    manager = KernelManager(kernel_name="kstreams-nb-test", kernel_spec_manager=specs)
    python_path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path), "IPYTHONDIR": str(ipython_dir)}
    manager.start_kernel(cwd=str(ROOT), env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=STARTUP_TIMEOUT)
    except BaseException:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        raise
    return manager, client
