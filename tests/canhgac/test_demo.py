"""``canhgac demo`` end to end, as ``make demo`` runs it: the scenario on a
fresh data folder, the story's incidents checked, then the API and the
dashboard served; a real headless Chromium logs in with the printed demo
accounts and finds the incidents ready to triage.  Ctrl-C (SIGTERM) stops it.

One demo process serves every test of this module (the scenario takes a
minute or two); ``canhgac demo --check`` runs the same scenario headless and
is tested on its own exit status."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from canhgac.demo import scenario
from tests.ui.stack import ROOT, free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DOCS = ROOT / "docs" / "screenshots"
READY_TIMEOUT = 900.0
WAIT_MS = 90_000


def test_refuses_to_empty_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.db").write_text("not demo data")
    with pytest.raises(scenario.DemoError, match="not a demo directory"):
        scenario.Demo(tmp_path).prepare_dir()
    assert (tmp_path / "precious.db").read_text() == "not demo data"


def test_a_new_run_replaces_the_previous_demo(tmp_path: Path) -> None:
    demo = scenario.Demo(tmp_path / "demo")
    demo.prepare_dir()
    (demo.data_dir / "canhgac.db").write_text("old run")
    demo.prepare_dir()
    assert not (demo.data_dir / "canhgac.db").exists()
    assert (demo.data_dir / scenario.MARKER).exists()


def test_the_demo_ignores_the_shell_store_settings(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANHGAC_STORE", "opensearch")
    monkeypatch.setenv("CANHGAC_STORE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CANHGAC_LOG__LEVEL", "WARNING")
    env = scenario.Demo(tmp_path).env()
    assert env["CANHGAC_STORE"] == "sqlite"
    assert "CANHGAC_STORE_URL" not in env
    assert env["CANHGAC_DATA_DIR"] == str(tmp_path)
    assert env["CANHGAC_LOG__LEVEL"] == "WARNING"


class DemoProcess:
    """``canhgac demo`` as a child process; its output collected line by line."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
        env["COLUMNS"] = "200"
        self.proc = subprocess.Popen([sys.executable, "-m", "canhgac.cli", "demo", *args],
                                     cwd=cwd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output)
            if found:
                return found
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)
                found = re.search(pattern, self.output)
                if found:
                    return found
                raise AssertionError(f"demo exited {self.proc.returncode} before "
                                     f"{pattern!r}:\n{self.output[-4000:]}")
            time.sleep(0.5)
        raise AssertionError(f"no {pattern!r} within {timeout:.0f} s:\n{self.output[-4000:]}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = Path(tmp_path_factory.mktemp("demo")) / "data"
    api_port, ui_port = free_port(), free_port()
    run = DemoProcess(["--data-dir", str(data), "--api-port", str(api_port),
                       "--ui-port", str(ui_port)], cwd=ROOT)
    try:
        run.wait_for(r"ready: http://127\.0\.0\.1:\d+", READY_TIMEOUT)
        accounts = json.loads((data / "demo-accounts.json").read_text())
        yield {"run": run, "data": data, "accounts": accounts,
               "api": f"http://127.0.0.1:{api_port}", "ui": f"http://127.0.0.1:{ui_port}"}
    finally:
        if run.proc.poll() is None:
            run.proc.send_signal(signal.SIGTERM)
            try:
                run.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                run.proc.kill()
                run.proc.wait(timeout=10)
    # Ctrl-C/SIGTERM stops everything it started: nothing keeps the ports
    assert run.proc.returncode == 0, run.output[-3000:]
    assert scenario.port_free("127.0.0.1", api_port) and scenario.port_free("127.0.0.1", ui_port)


def login(api: str, accounts: dict[str, Any], role: str) -> dict[str, str]:
    name = next(n for n, a in accounts.items() if a["role"] == role)
    r = httpx.post(f"{api}/api/v1/auth/login",
                   json={"username": name, "password": accounts[name]["password"]}, timeout=10)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_every_story_incident_is_found_and_printed(demo: dict[str, Any]) -> None:
    out = demo["run"].output
    assert f"{len(scenario.EXPECTED)} of {len(scenario.EXPECTED)} expected incidents found" \
        in out, out[-4000:]
    for exp in scenario.EXPECTED:
        assert exp.name in out
    for name in demo["accounts"]:
        assert name in out  # the login table names every demo account


def test_the_demo_passwords_are_readable_by_their_owner_only(demo: dict[str, Any]) -> None:
    mode = (demo["data"] / "demo-accounts.json").stat().st_mode & 0o777
    assert mode == 0o600
    assert len({a["password"] for a in demo["accounts"].values()}) == len(scenario.ROLES)


def test_the_api_serves_the_story_incidents_to_each_role(demo: dict[str, Any]) -> None:
    api, accounts = demo["api"], demo["accounts"]
    soc = httpx.get(f"{api}/api/v1/incidents", params={"size": 200},
                    headers=login(api, accounts, "soc_analyst"), timeout=30).json()
    comms = httpx.get(f"{api}/api/v1/incidents", params={"size": 200},
                      headers=login(api, accounts, "comms"), timeout=30).json()
    soc_rules = {r for i in soc["items"] for r in i["rule_ids"]}
    comms_rules = {r for i in comms["items"] for r in i["rule_ids"]}
    for exp in scenario.EXPECTED:
        seen = comms_rules if exp.rule_ids[0].startswith("nlp.") else soc_rules
        assert set(exp.rule_ids) & seen, exp.name
    assert {i["domain"] for i in soc["items"]} == {"security"}
    assert {i["domain"] for i in comms["items"]} == {"reputation"}


sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
from tests.ui.test_browser import settle  # noqa: E402 - after the skip above


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian package chromium is not installed")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_dashboard_shows_the_incidents_to_triage(demo: dict[str, Any]) -> None:
    accounts = demo["accounts"]
    shots = demo["data"] / "screenshots"
    shots.mkdir(exist_ok=True)
    print(f"\nscreenshots: {shots}")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            for role, must_see in (("leader", None),
                                   ("soc_analyst", "SSH brute force followed by a successful"),
                                   ("comms", "Story spreading")):
                name = next(n for n, a in accounts.items() if a["role"] == role)
                page = browser.new_context(viewport={"width": 1920, "height": 1080},
                                           locale="vi-VN",
                                           timezone_id="Asia/Ho_Chi_Minh").new_page()
                page.set_default_timeout(WAIT_MS)
                page.goto(demo["ui"])
                page.get_by_label("Tên đăng nhập").wait_for()
                page.get_by_label("Tên đăng nhập").fill(name)
                page.get_by_label("Mật khẩu", exact=True).fill(accounts[name]["password"])
                page.get_by_label("Mật khẩu", exact=True).press("Tab")
                page.get_by_role("button", name="Đăng nhập", exact=True).click()
                page.get_by_role("button", name="Đăng xuất", exact=True).wait_for()
                if must_see is None:  # the leader lands on the overview
                    page.get_by_text("Tải báo cáo ngày (HTML)", exact=True).wait_for()
                else:  # the queue's table is a canvas: find the incident by its title
                    search = page.get_by_label("Tìm theo nội dung", exact=True)
                    search.fill(must_see)
                    search.press("Enter")
                    page.locator("h1, h2, h3", has_text=must_see).first.wait_for()
                    page.get_by_role("button", name="Tiếp nhận", exact=True).wait_for()
                settle(page)
                page.screenshot(path=str(shots / f"demo-{role}.png"))
                page.context.close()
        finally:
            browser.close()
    DOCS.mkdir(parents=True, exist_ok=True)
    for png in sorted(shots.glob("demo-*.png")):
        shutil.copy2(png, DOCS / png.name)


def test_check_mode_exits_zero_when_the_story_is_complete(tmp_path: Path) -> None:
    run = DemoProcess(["--check", "--data-dir", str(tmp_path / "data")], cwd=ROOT)
    assert run.proc.wait(timeout=READY_TIMEOUT) == 0, run.output[-4000:]
    run._reader.join(timeout=5)
    assert "expected incidents found" in run.output
    assert "ready:" not in run.output  # headless: nothing served
