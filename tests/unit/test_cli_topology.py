"""``kstreams-nb describe|draw module:attr`` and the loader behind them (and behind ``kstreams-nb run``)."""

from __future__ import annotations

import argparse
import itertools
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from kstreams_nb._cli_topology import add_topology_commands, run_describe, run_draw
from kstreams_nb.errors import JobError, TopologyError
from kstreams_nb.jobs._load import load_topology, split_ref

_names = itertools.count()

APP = '''
from kstreams_nb.dsl import StreamsBuilder
from kstreams_nb.notebook import NotebookBuilder
from kstreams_nb.topology import Topology
from helper import double

builder = StreamsBuilder()
builder.stream("numbers").map_values(double).filter(lambda k, v: v > 2).to("doubled")
topology = builder.build()

nb = NotebookBuilder()
nb.stream("a").to("b")

def make():
    return Topology().add_source("S", "in").add_sink("K", "out", "S")

def needs_args(x):
    return make()

def broken():
    raise RuntimeError("no broker configured")

NOT_A_TOPOLOGY = 42
'''


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module (importing a helper module beside it) in the current directory; returns its module name."""
    name = f"topo_app_{next(_names)}"
    (tmp_path / f"{name}.py").write_text(APP)
    (tmp_path / "helper.py").write_text("def double(v):\n    return v * 2\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    for module in (name, "helper"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return name


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kstreams-nb")
    add_topology_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def _expected() -> str:
    from kstreams_nb.dsl import StreamsBuilder

    builder = StreamsBuilder()
    builder.stream("numbers").map_values(lambda v: v).filter(lambda k, v: v > 2).to("doubled")
    return str(builder.build().describe())


def test_describe_prints_exactly_the_describe_text(app: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_describe(parse("describe", f"{app}:topology")) == 0
    out = capsys.readouterr().out
    assert out == _expected() + "\n"


@pytest.mark.parametrize("attr", ["topology", "builder", "nb", "make"])
def test_every_kind_of_reference_loads(app: str, attr: str) -> None:
    from kstreams_nb.topology import Topology

    topology = load_topology(f"{app}:{attr}")
    assert isinstance(topology, Topology) and len(topology.internal_builder.nodes) >= 2
    assert str(load_topology(f"{app}:topology").describe()) == _expected()


def test_a_file_reference_and_a_default_attribute(app: str, tmp_path: Path) -> None:
    other = tmp_path / "sub"
    other.mkdir()
    (other / "job.py").write_text(APP.replace("from helper import double", "double = abs"))
    assert str(load_topology(f"{other / 'job.py'}:topology").describe()) == _expected()
    assert str(load_topology("sub/job.py").describe()) == _expected()  # attr defaults to topology
    assert str(load_topology(app).describe()) == _expected()


@pytest.mark.parametrize(("ref", "error", "message"), [
    ("no_such_mod:topology", JobError, r"'no_such_mod:topology': no module named 'no_such_mod'"),
    ("{app}:missing", JobError, r"'{app}:missing': {app} has no attribute 'missing' \(it has: .*builder"),
    ("{app}:NOT_A_TOPOLOGY", TopologyError, r"is int: expected a Topology, a StreamsBuilder"),
    ("{app}:needs_args", JobError, r"a callable that needs arguments"),
    ("{app}:broken", JobError, r"calling it failed: RuntimeError: no broker configured"),
    ("nowhere/job.py:topology", JobError, r"no such file"),
    ("a-b:topology", JobError, r"'a-b' is not a module name"),
    ("{app}:1x", JobError, r"bad topology reference"),
])
def test_bad_references_say_what_was_found(app: str, ref: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.format(app=app)):
        load_topology(ref.format(app=app))


def test_an_import_failing_inside_the_module_is_not_a_missing_module(app: str, tmp_path: Path) -> None:
    (tmp_path / "needs_dep.py").write_text("import not_installed_dep\ntopology = None\n")
    with pytest.raises(JobError, match=r"importing 'needs_dep' failed: No module named 'not_installed_dep'"):
        load_topology("needs_dep:topology")


def test_split_ref() -> None:
    assert split_ref("pkg.mod:obj.attr") == ("pkg.mod", "obj.attr")
    assert split_ref("C:app.py") == ("C:app.py", "topology")  # a drive letter is not an attribute separator
    with pytest.raises(JobError):
        split_ref("  ")


def test_draw_writes_an_svg_with_one_label_per_node(app: str, tmp_path: Path) -> None:
    from kstreams_nb.topology.draw import drawing

    assert run_draw(parse("draw", f"{app}:topology", "-o", "topo.svg")) == 0
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring((tmp_path / "topo.svg").read_text(), parser=parser)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    comments = Counter(el.text.strip() for el in root.iter() if el.tag is ET.Comment and el.text)  # type: ignore[comparison-overlap]
    labels = Counter(text.get_text() for text in drawing(load_topology(f"{app}:topology")).labels.values())
    # glyphs are drawn as paths; matplotlib precedes each text's paths with the text as an XML comment
    assert len(labels) == 6  # 4 nodes and 2 topics
    assert all(comments[label] == count for label, count in labels.items())


def test_draw_writes_a_png(app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_draw(parse("draw", f"{app}:make", "-o", str(tmp_path / "topo.png"))) == 0
    assert (tmp_path / "topo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "topo.png (PNG, 2 nodes)" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ("describe", "no_such_mod:topology"),
    ("describe", "{app}:NOT_A_TOPOLOGY"),
    ("draw", "{app}:missing", "-o", "x.svg"),
    ("draw", "{app}:topology", "-o", "x.jpg"),
    ("draw", "{app}:topology", "-o", "no/such/dir/x.svg"),
])
def test_bad_input_exits_2_with_the_reason_on_stderr(
    app: str, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = parse(*(a.format(app=app) for a in argv))
    assert (run_describe(args) if argv[0] == "describe" else run_draw(args)) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(f"kstreams-nb {argv[0]}: ")
    assert not list(tmp_path.glob("x.*"))


def test_the_commands_parse_their_options() -> None:
    args = parse("draw", "m:t", "--output", "t.png", "--full-names", "--dpi", "72")
    assert (args.command, args.ref, args.output, args.full_names, args.dpi) == ("draw", "m:t", "t.png", True, 72.0)
    with pytest.raises(SystemExit):
        parse("draw", "m:t")  # -o is required
