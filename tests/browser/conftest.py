"""Fixtures for the browser tests: JupyterLab on a loopback port, driven by Debian's chromium through Playwright.

`lab` starts one JupyterLab server for the session on a temporary copy of notebooks/ (running the notebooks never
dirties the repository), with isolated config, settings, workspace and runtime directories, and a `python3`
kernelspec that runs this interpreter. `page` is a fresh Playwright page in Debian's chromium (never a browser
that Playwright downloads). With CI=true a server or browser that cannot start fails the test; locally it skips
with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SERVER_START_TIMEOUT = 90.0
# JupyterLab settings for a test run: every cell stays in the DOM (no virtualized, out-of-view cells), and no
# news or update toasts.
LAB_OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def unavailable(reason: str) -> NoReturn:
    """Fail under CI (nothing CI must prove may be skipped there); skip locally, saying why."""
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def chromium_executable() -> str | None:
    """Debian's chromium: the one on PATH, else /usr/bin/chromium, else None."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL, the folder it serves, and the interpreter its kernels run."""

    url: str
    root: Path
    python: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, for failure messages."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _status_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """A JupyterLab server on 127.0.0.1 serving a temporary copy of notebooks/, stopped after the session."""
    # A short temp path: the kernel's connection files and sockets live under it.
    base = Path(tempfile.mkdtemp(prefix="kslab-"))
    try:
        root = base / "notebooks"
        shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.cfg"))
        data = base / "data"
        # `python3` runs this interpreter, whatever kernelspecs the user or system has installed.
        _write_json(
            data / "kernels" / "python3" / "kernel.json",
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "metadata": {"debugger": True},
            },
        )
        _write_json(base / "app-settings" / "overrides.json", LAB_OVERRIDES)
        _write_json(base / "config" / "jupyter_lab_config.json", {"LabApp": {"news_url": None}})
        port = _free_loopback_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "JUPYTER_PATH": str(data),
            "JUPYTER_DATA_DIR": str(base / "user-data"),
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.app_settings_dir={base / 'app-settings'}",
            f"--LabApp.user_settings_dir={base / 'user-settings'}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        ]  # fmt: skip
        log = base / "jupyterlab.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
        server = Lab(url=url, root=root, python=sys.executable, log=log)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _status_ok(url):
                if proc.poll() is not None:
                    unavailable(f"JupyterLab exited with code {proc.returncode} at start:\n{server.log_tail()}")
                if time.monotonic() > deadline:
                    unavailable(f"JupyterLab did not answer {url}/api/status within {SERVER_START_TIMEOUT:.0f} s:\n"
                                f"{server.log_tail()}")
                try:  # waits on the process itself, so an early exit is seen at once
                    proc.wait(timeout=0.25)
                except subprocess.TimeoutExpired:
                    pass
            yield server
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, launched by Playwright through executable_path."""
    executable = chromium_executable()
    if executable is None:
        unavailable("Debian's chromium is not installed (apt-get install chromium; ./dev test installs it)")
    from playwright.sync_api import Error, sync_playwright

    args = ["--disable-background-networking", "--disable-dev-shm-usage", "--no-first-run"]
    if os.name == "posix" and os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=args, headless=True)
        except Error as exc:
            unavailable(f"chromium at {executable} did not start under Playwright: {exc}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own context: no shared storage between tests), large enough to show wide outputs."""
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()
