"""The job registry: 0600 files replaced atomically, secrets masked, names reserved while a job runs, unreadable
files reported and skipped; properties files with ${VAR} from the environment."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kstreams_nb.errors import ConfigError, JobError
from kstreams_nb.jobs import JobRecord, Registry
from kstreams_nb.jobs._properties import parse_properties, read_properties
from kstreams_nb.jobs._registry import default_home


def test_records_are_private_and_keep_no_secret(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    record = registry.create("counts", mode="process", application_id="app",
                             config={"application.id": "app", "sasl.jaas.config": "user='u' password='pw-123'",
                                     "ssl.key.password": "pw-456", "bootstrap.servers": "h:9092"})
    path = registry.dir_of(record.id) / "job.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(registry.dir_of(record.id).stat().st_mode) == 0o700
    text = path.read_text()
    assert "pw-123" not in text and "pw-456" not in text
    assert json.loads(text)["config"]["bootstrap.servers"] == "h:9092"
    registry.write_status(record.id, {"state": "RUNNING"})
    (status,) = registry.dir_of(record.id).glob("status-*.json")
    assert stat.S_IMODE(status.stat().st_mode) == 0o600


def test_a_running_name_is_refused_and_only_the_last_finished_run_is_kept(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    first = registry.create("counts", mode="process", application_id="a", config={})
    with pytest.raises(JobError, match=r"already running.*replace=True"):
        registry.create("counts", mode="process", application_id="a", config={}, active=lambda r: True)
    second = registry.create("counts", mode="process", application_id="a", config={}, active=lambda r: False)
    assert [r.id for r in registry.records()] == [first.id, second.id]  # the last run stays, for its logs
    assert registry.find("counts").id == second.id
    third = registry.create("counts", mode="process", application_id="a", config={}, active=lambda r: False)
    assert [r.id for r in registry.records()] == [second.id, third.id]


def test_updates_are_read_back(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    record = registry.update(registry.create("j", mode="process", application_id="a", config={}), pids=[1, 2],
                             state="RUNNING")
    assert registry.find("j") == record and record.pids == [1, 2]


def test_a_corrupt_record_is_reported_and_skipped(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    good = registry.create("good", mode="process", application_id="a", config={})
    bad = registry.create("bad", mode="process", application_id="a", config={})
    (registry.dir_of(bad.id) / "job.json").write_text("{not json")
    assert [r.name for r in registry.records()] == ["good"]
    assert len(registry.problems) == 1 and bad.id in registry.problems[0]
    (registry.dir_of(good.id) / "status-77.json").write_text("[")
    assert registry.statuses(good.id) == {}


def test_unknown_names_list_the_known_ones(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    registry.create("alpha", mode="process", application_id="a", config={})
    with pytest.raises(JobError, match=r"no job named 'beta'.*known jobs: alpha"):
        registry.find("beta")
    with pytest.raises(JobError, match="not usable"):
        registry.create("../etc", mode="process", application_id="a", config={})


def test_home_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSTREAMS_NB_HOME", str(tmp_path / "h"))
    assert default_home() == tmp_path / "h"
    monkeypatch.delenv("KSTREAMS_NB_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "x"))
    assert default_home() == tmp_path / "x" / "kstreams_nb"


def test_record_json_round_trip_ignores_unknown_fields() -> None:
    record = JobRecord("i", "n", "process", [3], "a", {"k": 1}, "/l", 1.5, "RUNNING")
    data = json.loads(record.to_json())
    data["added_later"] = True
    assert JobRecord.from_json(json.dumps(data)) == record


def test_properties_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "s3cret")
    text = "# comment\n! also\napplication.id = counts\nbootstrap.servers: a:1,\\\n   b:2\nsasl.password=${PW}\nflag\n"
    assert parse_properties(text) == {"application.id": "counts", "bootstrap.servers": "a:1,b:2",
                                      "sasl.password": "s3cret", "flag": ""}
    monkeypatch.delenv("PW")
    path = tmp_path / "app.properties"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"app.properties:6: the environment variable PW is not set"):
        read_properties(path)
    with pytest.raises(ConfigError, match="cannot read the config file"):
        read_properties(tmp_path / "missing.properties")
