"""The main job (`kstreams-nb demo`) runs on the embedded broker and prints topologies and results."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from kstreams_nb.demo import run_demo


@pytest.mark.timeout(120)
def test_demo_prints_topologies_and_results() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert text.count("Topologies:") == 3
    assert "Sink: KSTREAM-SINK-0000000009 (topic: word-counts)" in text
    assert "most frequent: the=3" in text
    windows = [int(n) for n in re.findall(r"min\)\s+(\d+)", text)]
    assert len(windows) == 12 and sum(windows) == 120  # every click counted once, in its final window
    routed = dict(re.findall(r"(logs-\w+)=(\d+)", text))
    assert sum(map(int, routed.values())) == 40


@pytest.mark.timeout(120)
def test_demo_command_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "kstreams_nb", "demo"], capture_output=True, text=True, check=True)
    assert "kstreams_nb demo" in proc.stdout and proc.stderr == ""
