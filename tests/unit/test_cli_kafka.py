"""``kstreams-nb kafka`` and the local broker's jar cache: what works without a broker (a temporary home)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from kstreams_nb.cli import main
from kstreams_nb.errors import BrokerError
from kstreams_nb.testing import kafka_service
from kstreams_nb.testing.kafka import cache_root, resolve_jars


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KSTREAMS_NB_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [["kafka"], ["kafka", "restart"], ["kafka", "start", "--port", "x"], ["kafka", "logs", "-n", "many"]],
)
def test_bad_arguments_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: kstreams-nb kafka" in capsys.readouterr().err


def test_state_lives_under_kstreams_nb_home(home: Path) -> None:
    assert kafka_service.run_dir() == home / "kafka-run"


def test_status_when_nothing_ever_ran(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kafka", "status"]) == 1
    assert capsys.readouterr().out == f"Kafka is not running (state in {home / 'kafka-run'})\n"
    assert kafka_service.status() is None


def test_stop_and_logs_when_nothing_ever_ran(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kafka", "stop"]) == 0
    assert capsys.readouterr().out == "Kafka is not running\n"
    assert main(["kafka", "logs", "-n", "5"]) == 1
    err = capsys.readouterr().err
    assert "no local Kafka log" in err and "kstreams-nb kafka start" in err


def test_status_ignores_a_stale_pid(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = home / "kafka-run" / "state.json"
    state.parent.mkdir()
    log = home / "kafka.log"
    log.write_text("one\ntwo\nthree\n")
    record = {"pid": os.getpid(), "port": 1, "controller_port": 2, "data_dir": str(home), "log": str(log)}
    state.write_text(json.dumps(record))
    assert main(["kafka", "status"]) == 1  # this pid is the test process, not a broker
    assert "not running" in capsys.readouterr().out
    assert main(["kafka", "logs", "-n", "2"]) == 0
    assert capsys.readouterr().out == "two\nthree\n"


def test_start_on_a_busy_port_says_so(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert main(["kafka", "start", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} is in use" in err and "--port" in err
    assert kafka_service.status() is None


def test_resolved_jars_are_reused_without_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / ".resolved").write_text("4.4.0\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    assert resolve_jars(lib) == lib


def test_a_half_done_download_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "kafka_2.13-4.4.0.jar").write_bytes(b"truncated")  # no marker: the download did not finish
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    with pytest.raises(BrokerError, match="needs 'mvn' on PATH"):
        resolve_jars(lib)


def test_default_jar_cache_follows_kstreams_nb_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSTREAMS_NB_CACHE", str(tmp_path))
    assert cache_root() == tmp_path
    monkeypatch.delenv("KSTREAMS_NB_CACHE")
    assert cache_root() == Path.home() / ".cache" / "kstreams_nb"
