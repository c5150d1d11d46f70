"""End to end in a real headless Chromium: the API and the dashboard as
subprocesses on loopback over a seeded store; log in as each role, triage an
incident from new to resolved, switch language, screenshot every page.

Needs Debian's ``chromium`` (/usr/bin/chromium) and the ``playwright`` package
(never ``playwright install``: the system browser is used)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.stack import PASSWORD, PEOPLE, ROOT, api_server, seed, token, ui_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 90_000  # generous: the machine is shared; waits end as soon as the text shows
DOCS = ROOT / "docs" / "screenshots"
NAV = {"overview": "Tổng quan", "alerts": "Cảnh báo & Sự cố", "search": "Tìm kiếm",
       "monitoring": "Dư luận", "rules": "Quy tắc", "sources": "Nguồn"}
ROLE_PAGES = {"leader": ["overview", "alerts", "search", "monitoring"],
              "soc_analyst": ["overview", "alerts", "search", "rules", "sources"],
              "comms": ["overview", "alerts", "monitoring", "sources"],
              "admin": list(NAV)}

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian package chromium is not installed"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = Path(tmp_path_factory.mktemp("ui-e2e"))
    ids = seed(data)
    shots = data / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    with api_server(data) as api, ui_server(api, data) as ui:
        yield {"api": api, "ui": ui, "shots": shots, **ids}
    DOCS.mkdir(parents=True, exist_ok=True)
    for png in sorted(shots.glob("*.png")):
        shutil.copy2(png, DOCS / png.name)


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def open_page(browser: Any, stack: dict[str, Any]) -> Any:
    page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN",
                               timezone_id="Asia/Ho_Chi_Minh").new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(stack["ui"])
    # the first load renders only Streamlit's header for a moment: wait for the form
    page.get_by_label("Tên đăng nhập").wait_for()
    return page


def log_in(page: Any, role: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(PEOPLE[role])
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Mật khẩu", exact=True).press("Tab")
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.get_by_role("button", name="Đăng xuất", exact=True).wait_for()


def sidebar(page: Any) -> Any:
    return page.locator('[data-testid="stSidebar"]')


# text each page renders last-ish: once it shows, the page is drawn
SENTINEL = {"overview": "Tải báo cáo ngày (HTML)", "alerts": "Chọn sự cố",
            "search": "Bản ghi gốc", "monitoring": "Dòng tin mới",
            "rules": "Độ phủ theo backend", "sources": "Bộ thu thập"}


def go(page: Any, key: str) -> None:
    sidebar(page).get_by_text(NAV[key], exact=True).click()
    page.locator("h2", has_text=NAV[key]).first.wait_for()
    page.get_by_text(SENTINEL[key], exact=True).first.wait_for()


def settle(page: Any) -> None:
    """Wait until Streamlit has finished the run: no 'running' indicator, no
    element left over (stale) from the previous page, no placeholder, every
    chart drawn."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')"
        # no placeholder waiting for its element (Plotly's code loads after the text)
        " && !document.querySelector('[data-testid=\"stSkeleton\"],"
        " [data-testid=\"stSkeletonElement\"]')"
        " && [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        ".every(c => c.querySelector('svg.main-svg'))", timeout=WAIT_MS)


# Elements outside the sidebar that scroll (content taller than their box).
OVERFLOWING = """() => [...document.querySelectorAll('*')].filter(el => {
    if (el.closest('[data-testid="stSidebar"]')) return false;
    const style = getComputedStyle(el);
    const scrolls = el === document.scrollingElement
        || ['auto', 'scroll'].includes(style.overflowY);
    return scrolls && el.scrollHeight > el.clientHeight + 2;
}).map(el => (el.dataset && el.dataset.testid) || el.tagName)"""


def fits_one_screen(page: Any) -> list[str]:
    """What would need scrolling on this 1920x1080 page (nothing, on the overview)."""
    return page.evaluate(OVERFLOWING)


@pytest.mark.parametrize("role", ["leader", "soc_analyst", "comms", "admin"])
def test_each_role_sees_its_pages(browser: Any, stack: dict[str, Any], role: str) -> None:
    page = open_page(browser, stack)
    log_in(page, role)
    side = sidebar(page)
    # The log-out button can show before the sidebar's navigation is drawn: wait
    # for the run to finish and for every page this role should see, then check
    # that nothing else is there (counting at once raced the first draw).
    settle(page)
    for key in ROLE_PAGES[role]:
        side.get_by_text(NAV[key], exact=True).first.wait_for()
    for key, label in NAV.items():
        shown = side.get_by_text(label, exact=True).count() > 0
        assert shown == (key in ROLE_PAGES[role]), (role, key)
    go(page, "overview")
    settle(page)
    assert fits_one_screen(page) == [], role  # the overview needs no scrolling
    if role in ("soc_analyst", "comms"):
        page.screenshot(path=str(stack["shots"] / f"overview-{role.replace('_', '-')}.png"))
    if role == "admin":
        for key in NAV:
            go(page, key)
            settle(page)
            page.screenshot(path=str(stack["shots"] / f"{key}.png"))
    page.context.close()


def test_triage_from_new_to_resolved(browser: Any, stack: dict[str, Any]) -> None:
    page = open_page(browser, stack)
    log_in(page, "soc_analyst")
    page.locator("h3", has_text="Dò mật khẩu SSH").first.wait_for()
    page.get_by_text("Credential Access").wait_for()
    page.get_by_role("button", name="Tiếp nhận", exact=True).click()
    page.get_by_text("Đã chuyển sang: Đã tiếp nhận").wait_for()
    page.get_by_label("Ghi chú", exact=True).fill("Đã chặn IP 10.20.3.1 tại tường lửa")
    page.get_by_role("button", name="Thêm ghi chú", exact=True).click()
    page.get_by_text("Đã thêm ghi chú").wait_for()
    settle(page)
    page.screenshot(path=str(stack["shots"] / "incident.png"), full_page=True)
    page.get_by_role("button", name="Đã xử lý xong", exact=True).click()
    page.get_by_text("Đã chuyển sang: Đã xử lý xong").wait_for()
    got = httpx.get(f"{stack['api']}/api/v1/incidents/{stack['security_incident']}",
                    headers=token(stack["api"], "leader"), timeout=10).json()["incident"]
    assert got["status"] == "resolved"
    assert got["acknowledged_at"] and got["resolved_at"]
    assert [c["text"] for c in got["comments"]] == ["Đã chặn IP 10.20.3.1 tại tường lửa"]
    assert {e["actor"] for e in got["timeline"]} == {PEOPLE["soc_analyst"]}
    page.context.close()


def test_language_switch(browser: Any, stack: dict[str, Any]) -> None:
    page = open_page(browser, stack)
    log_in(page, "leader")
    page.locator("h2", has_text="Tổng quan").first.wait_for()
    sidebar(page).locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="English").click()
    page.get_by_role("button", name="Log out", exact=True).wait_for()
    page.locator("h2", has_text="Overview").first.wait_for()
    sync_api.expect(sidebar(page).get_by_text("Alerts & incidents", exact=True)).to_have_count(
        1, timeout=WAIT_MS)
    sync_api.expect(page.get_by_label("Time window")).to_have_value("last 7 days",
                                                                    timeout=WAIT_MS)
    settle(page)
    page.screenshot(path=str(stack["shots"] / "overview-en.png"))
    page.context.close()
