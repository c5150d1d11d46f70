"""The dashboard run by Streamlit's AppTest (no browser) against a live API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.stack import PASSWORD, PEOPLE, ROOT, token

APP = str(ROOT / "ui" / "app.py")


@pytest.fixture
def app(live_api: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CANHGAC_UI__API_URL", live_api["url"])
    monkeypatch.setenv("CANHGAC_UI__REFRESH_SECONDS", "0")
    monkeypatch.setenv("CANHGAC_DATA_DIR", str(live_api["data_dir"]))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    return at


def login(at: AppTest, role: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login_user").input(PEOPLE[role])
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.header, *at.subheader, *at.title,
                                *at.info, *at.warning, *at.error, *at.success)]
    return "\n".join(str(p) for p in parts)


def test_login_form_is_vietnamese_by_default(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value.startswith("Canhgac")
    assert app.text_input(key="login_user").label == "Tên đăng nhập"
    assert app.button[0].label == "Đăng nhập"


def test_wrong_password_is_refused(app: AppTest) -> None:
    login(app, "leader", "sai mật khẩu")
    assert not app.exception
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in texts(app)


@pytest.mark.parametrize(("role", "pages"), [
    ("leader", ["overview", "alerts", "search", "monitoring"]),
    ("soc_analyst", ["overview", "alerts", "search", "rules", "sources"]),
    ("comms", ["overview", "alerts", "monitoring", "sources"]),
    ("admin", ["overview", "alerts", "search", "monitoring", "rules", "sources"]),
])
def test_pages_follow_the_role(app: AppTest, role: str, pages: list[str]) -> None:
    login(app, role)
    assert not app.exception
    assert list(app.radio(key="page").options) == [
        {"overview": "Tổng quan", "alerts": "Cảnh báo & Sự cố", "search": "Tìm kiếm",
         "monitoring": "Dư luận", "rules": "Quy tắc", "sources": "Nguồn"}[p] for p in pages]


def test_every_page_renders_for_admin(app: AppTest) -> None:
    login(app, "admin")
    for page in ("overview", "alerts", "search", "monitoring", "rules", "sources"):
        app.radio(key="page").set_value(page).run()
        assert not app.exception, (page, app.exception)
        assert app.header[0].value


def test_overview_shows_the_summary(app: AppTest) -> None:
    login(app, "leader")
    assert not app.exception
    labels = [m.label for m in app.metric]
    assert "Sự cố đang mở" in labels
    opened = next(m for m in app.metric if m.label == "Sự cố đang mở")
    assert opened.value == "2"
    assert "Mưa lớn gây ngập đường Nguyễn Văn Cừ" in texts(app)


def test_overview_for_analysts_is_their_half(app: AppTest) -> None:
    login(app, "soc_analyst")
    assert app.radio(key="page").value == "alerts"  # the queue first; overview one click away
    app.radio(key="page").set_value("overview").run()
    assert not app.exception
    opened = next(m for m in app.metric if m.label == "Sự cố đang mở")
    assert opened.value == "1"  # the security incident only
    shown = texts(app)
    assert "Tài sản bị tấn công nhiều nhất" in shown
    assert "Câu chuyện nổi bật" not in shown and "Chỉ số cảm xúc" not in [
        m.label for m in app.metric]


def test_overview_for_comms_is_the_reputation_half(app: AppTest) -> None:
    login(app, "comms")
    app.radio(key="page").set_value("overview").run()
    assert not app.exception
    assert next(m for m in app.metric if m.label == "Sự cố đang mở").value == "1"
    assert "Chỉ số cảm xúc" in [m.label for m in app.metric]
    shown = texts(app)
    assert "Mưa lớn gây ngập đường Nguyễn Văn Cừ" in shown  # a top story
    assert "Tài sản bị tấn công nhiều nhất" not in shown


def test_monitoring_uses_the_api_aggregations(app: AppTest) -> None:
    login(app, "comms")
    app.radio(key="page").set_value("monitoring").run()
    assert not app.exception
    shown = texts(app)
    assert "Thị phần đưa tin của các đối tượng theo dõi" in shown  # watch-list entities
    assert "• UBND thành phố Cần Thơ: 66,7 % (2 bài, 1 tiêu cực)" in shown  # gazetteer name
    outlets, authors = (d.value for d in app.dataframe)
    assert list(outlets["Tên"]) == ["Báo Phù Sa", "Nhịp Sống Miền Tây", "Tin Sông Hậu"]
    assert list(authors["Tên"]) == ["Lê Thị Bình", "Trần Văn An"]
    assert list(authors["Số bài"]) == [2, 1]
    app.radio(key="m_dim_vi").set_value("topic").run()
    assert not app.exception
    assert "Số bài theo ngày, theo chủ đề" in texts(app)


def test_soc_acknowledges_through_the_api(app: AppTest, live_api: dict[str, Any]) -> None:
    login(app, "soc_analyst")
    assert app.radio(key="page").value == "alerts"
    assert "Dò mật khẩu SSH" in texts(app)
    app.button(key="btn_acknowledged").click().run()
    assert not app.exception
    assert "Đã chuyển sang: Đã tiếp nhận" in texts(app)
    got = httpx.get(f"{live_api['url']}/api/v1/incidents/{live_api['security_incident']}",
                    headers=token(live_api["url"], "leader"), timeout=10).json()
    assert got["incident"]["status"] == "acknowledged"
    assert got["incident"]["timeline"][-1]["actor"] == PEOPLE["soc_analyst"]


def test_soc_suppresses_an_entity_through_the_api(app: AppTest,
                                                  live_api: dict[str, Any]) -> None:
    login(app, "soc_analyst")
    entity = app.selectbox(key="sup_entity")
    assert len(entity.options) > 1  # "(mọi giá trị)" and the incident's entities
    entity.set_value(entity.options[1])
    app.text_input(key="sup_reason").input("máy quét định kỳ")
    app.button(key="sup_submit").click().run()
    assert not app.exception
    assert "Đã tạm ẩn trong 7 ngày" in texts(app)
    got = httpx.get(f"{live_api['url']}/api/v1/suppressions",
                    headers=token(live_api["url"], "soc_analyst"), timeout=10).json()
    assert [s["reason"] for s in got["items"]] == ["máy quét định kỳ"]
    assert got["items"][0]["created_by"] == PEOPLE["soc_analyst"]


def test_language_switch_to_english(app: AppTest) -> None:
    login(app, "leader")
    app.selectbox(key="lang").set_value("en").run()
    assert not app.exception
    assert app.header[0].value == "Overview"
    assert "Open incidents" in [m.label for m in app.metric]


def test_logout_returns_to_login(app: AppTest) -> None:
    login(app, "comms")
    app.button(key="logout").click().run()
    assert not app.exception
    assert app.text_input(key="login_user").label == "Tên đăng nhập"


def test_entity_pivot_opens_search_with_the_filter(app: AppTest) -> None:
    login(app, "admin")
    app.radio(key="page").set_value("alerts").run()
    pivot = next(b for b in app.button if b.label == "host.name = may-chu-web-01")
    pivot.click().run()
    assert not app.exception
    assert app.radio(key="page").value == "search"
    assert app.text_input(key="f_host.name").value == "may-chu-web-01"
    assert "5 sự kiện khớp" in texts(app)


def test_rule_disable_goes_through_the_api(app: AppTest, live_api: dict[str, Any]) -> None:
    login(app, "soc_analyst")
    app.radio(key="page").set_value("rules").run()
    button = next(b for b in app.button if b.key and b.key.startswith("rule_disable_"))
    rule_id = button.key.removeprefix("rule_disable_")
    button.click().run()
    assert not app.exception
    assert "Đã cập nhật quy tắc" in texts(app)
    rules = httpx.get(f"{live_api['url']}/api/v1/rules", timeout=10,
                      headers=token(live_api["url"], "soc_analyst")).json()["items"]
    assert next(r for r in rules if r["id"] == rule_id)["enabled"] is False
    app.button(key=f"rule_enable_{rule_id}").click().run()
    rules = httpx.get(f"{live_api['url']}/api/v1/rules", timeout=10,
                      headers=token(live_api["url"], "soc_analyst")).json()["items"]
    assert next(r for r in rules if r["id"] == rule_id)["enabled"] is True


def test_comms_corrects_an_article_label(app: AppTest, live_api: dict[str, Any]) -> None:
    login(app, "comms")
    app.radio(key="page").set_value("monitoring").run()
    assert not app.exception
    assert "Mưa lớn gây ngập đường Nguyễn Văn Cừ" in texts(app)
    next(s for s in app.selectbox if s.label == "Cảm xúc").set_value("positive")
    next(b for b in app.button if b.label == "Sửa nhãn").click().run()
    assert not app.exception
    assert "Đã ghi nhận sửa nhãn" in texts(app)
    arts = httpx.get(f"{live_api['url']}/api/v1/articles", timeout=10,
                     headers=token(live_api["url"], "comms")).json()["items"]
    corrected = [a for a in arts if a.get("corrected")]
    assert [a["corrected"]["sentiment"] for a in corrected] == ["positive"]


def test_cli_runs_streamlit_headless_on_the_app() -> None:
    from ui.cli import APP_FILE, command

    argv = command("127.0.0.1", 8600)
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4] == str(APP_FILE)
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--server.headless") + 1] == "true"


def test_overview_auto_refresh_fragment_renders(live_api: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANHGAC_UI__API_URL", live_api["url"])
    monkeypatch.setenv("CANHGAC_UI__REFRESH_SECONDS", "30")
    monkeypatch.setenv("CANHGAC_DATA_DIR", str(live_api["data_dir"]))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    login(at, "leader")
    assert not at.exception
    assert at.session_state["refresh_seconds"] == 30
    assert "Sự cố đang mở" in [m.label for m in at.metric]
