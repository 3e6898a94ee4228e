"""Run code in a real IPython kernel as notebook cells, the way JupyterLab and nbclient send it."""

from __future__ import annotations

import re
import time
from typing import Any

CELL_TIMEOUT = 60.0
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
