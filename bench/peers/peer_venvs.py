"""The peers' virtual environments: one per system under ``~/.cache/kstreams_nb/bench-venvs/<system>``.

Each is created with this interpreter's ``venv`` and filled from PyPI with pip, once; a ``.ready`` file holding
the requirement list marks a finished environment, which is reused while the list is unchanged
(``KSTREAMS_NB_BENCH_VENVS`` moves the cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

#: the packages each peer's app needs, pinned so runs compare like with like
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "quix": ("quixstreams==3.28.1", "orjson"),
    "bytewax": ("bytewax==0.21.1", "confluent-kafka", "orjson"),
    "faust": ("faust-streaming==0.15.3", "orjson"),
}


def cache_dir() -> Path:
    base = os.environ.get("KSTREAMS_NB_BENCH_VENVS")
    return Path(base) if base else Path.home() / ".cache" / "kstreams_nb" / "bench-venvs"


def python_of(system: str) -> Path:
    return cache_dir() / system / "bin" / "python"


def ensure_venv(system: str, log: Path | None = None) -> Path:
    """The Python of ``system``'s environment, created and installed first when missing or out of date.
    Raises RuntimeError (with pip's last lines) when it cannot be built."""
    root = cache_dir() / system
    marker, wanted = root / ".ready", "\n".join(REQUIREMENTS[system]) + "\n"
    if marker.exists() and marker.read_text() == wanted and python_of(system).exists():
        return python_of(system)
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    steps = [[sys.executable, "-m", "venv", str(root)],
             [str(python_of(system)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              *REQUIREMENTS[system]]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
        if log is not None:
            with log.open("a") as out:
                out.write(done.stdout + done.stderr)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-10:])
            raise RuntimeError(f"building the {system} environment failed ({' '.join(step[:4])} ...): {tail}")
    marker.write_text(wanted)
    return python_of(system)


if __name__ == "__main__":
    for name in sys.argv[1:] or list(REQUIREMENTS):
        print(name, ensure_venv(name))
