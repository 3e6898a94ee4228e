"""current_cell(): the cell id from the execute request, else the source text; None outside IPython."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from kstreams_nb.notebook import _cells
from kstreams_nb.notebook._cells import CellInfo, current_cell, source_key


class _Events:
    def __init__(self) -> None:
        self.callbacks: dict[str, list[Any]] = {"pre_run_cell": [], "post_run_cell": []}

    def register(self, event: str, fn: Any) -> None:
        self.callbacks[event].append(fn)


class _KernelShell:
    """What ipykernel's shell offers current_cell(): the parent message of the running request."""

    def __init__(self) -> None:
        self.parent_header: dict[str, Any] = {}
        self.events = _Events()
        self.execution_count = 1

    def execute(self, code: str, msg_id: str, cell_id: str | None = None) -> None:
        self.parent_header = {
            "header": {"msg_id": msg_id, "msg_type": "execute_request"},
            "metadata": {"cellId": cell_id} if cell_id else {},
            "content": {"code": code},
        }


@pytest.fixture
def kernel_shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[_KernelShell]:
    shell = _KernelShell()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    yield shell


def test_outside_ipython_there_is_no_cell_and_ipython_is_not_imported() -> None:
    code = (
        "import sys; from kstreams_nb.notebook._cells import current_cell; "
        "print(current_cell(), 'IPython' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["None", "False"]


def test_ipython_loaded_without_a_running_shell_has_no_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    assert current_cell() is None


def test_the_cell_id_of_the_execute_request_is_the_key(kernel_shell: _KernelShell) -> None:
    kernel_shell.execute("x = 1", "m1", cell_id="3a27d988")
    first = current_cell()
    kernel_shell.execute("x = 2  # edited", "m2", cell_id="3a27d988")
    second = current_cell()
    assert first == CellInfo("3a27d988", "3a27d988", "x = 1", "msg:m1")
    assert second is not None and second.key == "3a27d988" and second.source == "x = 2  # edited"
    assert second.execution != first.execution


def test_without_a_cell_id_the_source_text_is_the_key(kernel_shell: _KernelShell) -> None:
    kernel_shell.execute("s = nb.stream('a')", "m1")
    first = current_cell()
    kernel_shell.execute("s = nb.stream('a')", "m2")
    again = current_cell()
    kernel_shell.execute("s = nb.stream('b')", "m3")
    other = current_cell()
    assert first is not None and again is not None and other is not None
    assert first.cell_id is None and first.key == source_key("s = nb.stream('a')")
    assert first.key.startswith("source:") and len(first.key) == len("source:") + 12
    assert again.key == first.key and again.execution != first.execution
    assert other.key != first.key


def test_the_same_execution_gives_the_same_token(kernel_shell: _KernelShell) -> None:
    kernel_shell.execute("x", "m1", cell_id="c1")
    assert current_cell() == current_cell()


def test_a_message_other_than_execute_falls_back_to_the_running_cell(kernel_shell: _KernelShell) -> None:
    kernel_shell.parent_header = {"header": {"msg_id": "c", "msg_type": "comm_msg"}, "metadata": {"cellId": "no"}}
    assert current_cell() is None  # no running cell known: neither an execute request, a hook, nor history
    info = types.SimpleNamespace(raw_cell="y = 2", cell_id="hooked")
    for callback in kernel_shell.events.callbacks["pre_run_cell"]:
        callback(info)
    found = current_cell()
    assert found is not None and (found.key, found.source) == ("hooked", "y = 2")
    for callback in kernel_shell.events.callbacks["post_run_cell"]:
        callback(None)
    assert current_cell() is None


def _run(shell: Any, code: str, **kwargs: Any) -> None:
    shell.run_cell(code, store_history=True, **kwargs).raise_error()


def test_a_terminal_ipython_shell_keys_cells_by_source_and_run(ipython_shell: Any) -> None:
    ipython_shell.user_ns["seen"] = seen = []
    code = "from kstreams_nb.notebook._cells import current_cell\nseen.append(current_cell())"
    for _ in range(3):
        _run(ipython_shell, code)
    _run(ipython_shell, "seen.append(current_cell())", cell_id="given-id")
    assert [info.key for info in seen[:3]] == [source_key(code)] * 3
    assert all(info.source == code for info in seen[:3])
    assert len({info.execution for info in seen[:3]}) == 3
    assert (seen[3].key, seen[3].cell_id, seen[3].source) == ("given-id", "given-id", "seen.append(current_cell())")


class _Listener:
    def __init__(self) -> None:
        self.seen: list[CellInfo] = []

    def started(self, info: CellInfo) -> None:
        self.seen.append(info)


def test_listeners_hear_each_cell_start_while_their_object_lives(kernel_shell: _KernelShell) -> None:
    listener = _Listener()
    assert _cells.on_cell_start(listener.started)

    def start(code: str, msg_id: str) -> None:
        kernel_shell.execute(code, msg_id, cell_id="c1")
        for callback in kernel_shell.events.callbacks["pre_run_cell"]:
            callback(types.SimpleNamespace(raw_cell=code, cell_id="c1"))

    start("x = 1", "m1")
    start("x = 2", "m2")
    assert [(i.key, i.source, i.execution) for i in listener.seen] == [("c1", "x = 1", "msg:m1"),
                                                                       ("c1", "x = 2", "msg:m2")]
    seen = listener.seen
    del listener  # held weakly: once collected, it is not called (and nothing fails)
    start("x = 3", "m3")
    assert len(seen) == 2


def test_no_listening_outside_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert _cells.on_cell_start(_Listener().started) is False
