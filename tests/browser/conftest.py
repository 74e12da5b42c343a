"""Browser tests: a real JupyterLab driven by headless Chromium through Playwright, offline.

Session fixtures start JupyterLab (random free port, a token, offline flags, isolated config,
runtime, settings and workspaces dirs) and Chromium (system binary, fresh profile, every
non-local request aborted). Helpers open a notebook in a fresh workspace and run all its cells.
Recipe and pitfalls: ../shared/notes/browser-testing.md.

Without Chromium or Playwright the tests are skipped, or fail when REVIEW_REQUIRE_BROWSER=1
(CI). Install: `apt-get install -y chromium` and `pip install playwright`; never
`playwright install` (it downloads browsers): we launch the system Chromium.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
#: Any URL not on this machine: aborted at once, so nothing waits on DNS on a closed network.
NON_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])")
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def browser_missing() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    reasons = []
    if importlib.util.find_spec("playwright") is None:
        reasons.append("Playwright is not installed (pip install playwright; "
                       "never `playwright install`)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        reasons.append(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return "; ".join(reasons)


def require_browser() -> None:
    """Skip without Chromium/Playwright, or fail when REVIEW_REQUIRE_BROWSER=1 (CI)."""
    missing = browser_missing()
    if not missing:
        return
    if os.environ.get("REVIEW_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{missing}, and REVIEW_REQUIRE_BROWSER=1 requires the browser tests")
    pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: where it serves, the folder it serves, and helpers to drive it."""

    base: str
    token: str
    root: Path
    log: Path
    started: float  # time.perf_counter() when the server was launched

    def url(self, path: str, *query: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?" + "&".join([*query, f"token={self.token}"])

    def prepare_notebook(self, source: Path, name: str, parameters: dict) -> Path:
        """A parameterised copy of `source` in the lab root (papermill, without running it).

        Keeps the python3 kernelspec metadata, else JupyterLab asks "Select Kernel".
        """
        import nbformat
        import papermill

        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        papermill.execute_notebook(str(source), str(target), parameters=parameters,
                                   prepare_only=True, kernel_name="python3", progress_bar=False)
        notebook = nbformat.read(str(target), as_version=4)
        notebook.metadata["kernelspec"] = dict(KERNELSPEC)
        notebook.metadata.setdefault("language_info", {"name": "python"})
        nbformat.write(notebook, str(target))
        return target

    def open_notebook(self, page, name: str, timeout: float = 60_000):
        """Open `name` (relative to the lab root) in a fresh workspace; return its panel locator.

        `?reset` drops tabs restored from earlier page loads, and the locator is scoped to the
        visible notebook panel, so hidden panels never match. Waits for a connected, idle
        kernel: the status bar's "Python 3 (ipykernel) | Idle". The toolbar's execution
        indicator alone says "idle" while the status bar still reads "No Kernel | Initializing",
        and Run All Cells then clears the prompts and runs nothing.
        """
        from playwright.sync_api import expect

        page.goto(self.url(f"lab/tree/{name}", "reset"))
        panel = page.locator(".jp-NotebookPanel:visible")
        panel.locator(".jp-Cell").first.wait_for(timeout=timeout)
        kernel_status = page.locator(".jp-StatusBar-TextItem[title^='Change kernel for']")
        expect(kernel_status).to_have_text(re.compile(r"^(?!No Kernel).+ \| Idle$"),
                                           timeout=timeout)
        expect(panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
               ).to_have_count(1, timeout=timeout)
        return panel

    @staticmethod
    def run_all_cells(page, panel, attempts: int = 5) -> None:
        """Run > Run All Cells, verified (the first code prompt leaves '[ ]:') and retried.

        Once in ~20 runs the menu click did nothing even with the kernel idle, and the item can
        be disabled (lm-mod-disabled) until the panel is current: click into the notebook first.
        """
        from playwright.sync_api import expect

        prompt = panel.locator(".jp-CodeCell .jp-InputArea-prompt").first
        for attempt in range(attempts):
            if attempt:
                print(f"\n[run_all_cells] retry {attempt}")
            panel.locator(".jp-Notebook").click(position={"x": 5, "y": 5})
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            item = page.locator(".lm-Menu-item", has=page.locator(
                ".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")))
            item.wait_for()
            if "lm-mod-disabled" in (item.get_attribute("class") or ""):
                page.keyboard.press("Escape")
                time.sleep(0.5)
                continue
            item.click()
            try:
                expect(prompt).not_to_have_text(re.compile(r"\[\s*\]"), timeout=5000)
                return
            except AssertionError:
                page.keyboard.press("Escape")
                continue
        raise AssertionError("Run All Cells never started execution")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab, headless, on 127.0.0.1:<random port> with a token, offline and isolated."""
    require_browser()
    root = tmp_path_factory.mktemp("lab_root")
    home = tmp_path_factory.mktemp("lab_home")  # isolated config and state
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
               PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "jupyterlab",
           "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}",
           # offline: no news feed, update check or extension manager requests
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:  # containers often run as root
        cmd.append("--allow-root")
    # silence the "get notified about official Jupyter news?" toast
    notification = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    log_path = home / "server.log"
    started = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("jupyter lab exited:\n" + log_path.read_text())
                try:
                    with urllib.request.urlopen(f"{base}/api/status?token={token}",
                                                timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError("jupyter lab not ready after 60 s:\n" + log_path.read_text())
                time.sleep(0.2)
            print(f"\n[timing] jupyter lab ready in {time.perf_counter() - started:.1f}s")
            yield Lab(base=base, token=token, root=root, log=log_path, started=started)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """Headless system Chromium via Playwright, with a fresh profile; non-local URLs aborted."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800})
        context.route(NON_LOCAL, lambda route: route.abort())
        try:
            yield context
        finally:
            context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so `page` knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(request, browser_context, tmp_path):
    """A new browser tab; on failure a screenshot goes to tmp_path/failure.png."""
    tab = browser_context.new_page()
    tab.set_default_timeout(60_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        try:
            tab.screenshot(path=str(shot), full_page=True)
            print(f"\n[browser] screenshot of the failure: {shot}")
        except Exception as exc:  # noqa: BLE001 - the test's own failure matters more
            print(f"\n[browser] no screenshot: {exc}")
        if "lab" in request.fixturenames:
            print("\n[jupyter lab log, last lines]\n" + request.getfixturevalue("lab").log_tail())
    if errors:
        print("\n[browser errors]\n  " + "\n  ".join(errors[:20]))
    tab.close()
