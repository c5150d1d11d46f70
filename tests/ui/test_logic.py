"""Page logic without Streamlit: translations, formatting, data shaping, the report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ui import i18n, shaping
from ui.i18n import duration, number, t, when
from ui.report import daily_report
from ui.translations import TABLES

UI = Path(__file__).resolve().parents[2] / "ui"
LITERAL = re.compile(r"""\bt\(\s*(?:f?)["']([A-Za-z0-9_]+)["']""")
FAMILY = re.compile(r"""\bt\(\s*(?:f["']|["'])([a-z]+_)(?:\{|["']\s*\+)""")
FAMILIES = {
    "sev_": [*shaping.SEVERITIES, "None"], "st_": ["new", "acknowledged", "in_progress",
                                                   "reopened", "resolved", "false_positive",
                                                   "merged", "None"],
    "domain_": ["security", "reputation"], "senti_": ["negative", "neutral", "positive"],
    "wow_": ["alerts", "incidents", "articles", "negative_articles"],
    "range_": ["1h", "24h", "7d", "30d"], "role_": ["admin", "soc_analyst", "comms", "leader"],
    "nav_": ["overview", "alerts", "search", "monitoring", "rules", "sources"],
    "act_": ["acknowledge", "in_progress", "resolve", "false_positive", "reopen", "enable",
             "disable"],
    "tl_": ["status", "assign", "comment", "link_alerts", "merge", "None"],
    "dim_": ["entity", "topic"],
    # ui.i18n.topic(): every topic the NLP models emit has a label
    "topic_": ["traffic", "environment", "public_order", "public_services", "tourism",
               "health", "education", "economy", "cyber"],
}


def used_keys() -> tuple[set[str], set[str]]:
    code = "\n".join(p.read_text(encoding="utf-8") for p in UI.rglob("*.py"))
    literal = {k for k in LITERAL.findall(code) if not k.endswith("_")}
    return literal, set(FAMILY.findall(code))


def test_the_scan_finds_the_pages_keys() -> None:
    literal, families = used_keys()
    assert {"login", "open_incidents", "act_comment", "nav_overview"} <= literal
    assert {"sev_", "st_", "tl_", "wow_", "senti_"} <= families


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_used_key_is_translated(lang: str) -> None:
    literal, families = used_keys()
    assert families <= set(FAMILIES), families - set(FAMILIES)
    needed = literal | {f + v for f in families for v in FAMILIES[f]}
    missing = sorted(needed - set(TABLES[lang]))
    assert not missing, missing


def test_both_tables_hold_the_same_keys_and_placeholders() -> None:
    assert set(TABLES["vi"]) == set(TABLES["en"])
    holes = re.compile(r"\{(\w+)\}")
    for key, text in TABLES["vi"].items():
        assert set(holes.findall(text)) == set(holes.findall(TABLES["en"][key])), key


def test_numbers_follow_the_language() -> None:
    assert number(1234.5, "vi") == "1.234,5"
    assert number(1234.5, "en") == "1,234.5"
    assert number(7, "vi") == "7"
    assert number(None) == "–"


def test_dates_are_shown_in_can_tho_time() -> None:
    assert when("2026-11-26T17:30:00.000Z", "vi") == "27/11/2026 00:30"
    assert when("2026-11-26T17:30:00.000Z", "en") == "2026-11-27 00:30"
    assert when(None) == "–"


def test_durations() -> None:
    assert duration(90, "vi") == "1,5 phút"
    assert duration(5400, "en") == "1.5 h"
    assert duration(3 * 86400, "en") == "3 days"


def test_language_switch_changes_labels() -> None:
    try:
        i18n.set_language("en")
        assert t("login") == "Log in"
        i18n.set_language("xx")
        assert t("login") == "Đăng nhập"
    finally:
        i18n.set_language("vi")


def test_queue_is_by_severity_then_age() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    items = [{"id": "low-old", "severity": "low", "created_at": "2026-11-20T00:00:00.000Z"},
             {"id": "high-new", "severity": "high", "created_at": "2026-11-26T11:00:00.000Z"},
             {"id": "high-old", "severity": "high", "created_at": "2026-11-25T11:00:00.000Z"},
             {"id": "crit", "severity": "critical", "created_at": "2026-11-26T11:59:00.000Z"}]
    assert [i["id"] for i in shaping.queue_order(items, now)] == [
        "crit", "high-old", "high-new", "low-old"]


def test_per_day_uses_local_days() -> None:
    rows = shaping.per_day_rows({"security": [{"key": "2026-11-26T17:00:00.000Z", "count": 3}],
                                 "reputation": [{"key": "2026-11-26T17:00:00.000Z", "count": 1}]})
    assert rows == [{"day": "2026-11-27", "domain": "security", "count": 3},
                    {"day": "2026-11-27", "domain": "reputation", "count": 1}]


def test_trend_arrows() -> None:
    assert shaping.trend({"change_pct": 12.5})[0] == "▲"
    assert shaping.trend({"change_pct": -3})[0] == "▼"
    assert shaping.trend({"change_pct": None})[0] == "→"
    assert shaping.trend(None)[0] == "→"


def test_attack_and_entities_from_alerts() -> None:
    alerts = [{"threat": {"tactic": {"name": ["Credential Access"]},
                          "technique": {"id": ["T1110"]}},
               "host": {"name": "ws-1"}, "source": {"ip": "10.0.0.9"}}]
    inc = {"entity": {"field": "host.name", "value": "ws-1"}, "entities": ["user.name=an"]}
    assert shaping.attack_of(alerts, inc) == {"tactics": ["Credential Access"],
                                              "techniques": ["T1110"]}
    assert shaping.entities_of(inc, alerts) == [("host.name", "ws-1"), ("user.name", "an"),
                                                ("source.ip", "10.0.0.9")]


def test_exports_keep_vietnamese_and_nesting() -> None:
    docs = [{"@timestamp": "2026-11-26T00:00:00.000Z", "host": {"name": "máy-chủ"},
             "tags": ["a", "b"]}, {"message": "Đăng nhập thất bại"}]
    csv_text = shaping.to_csv(docs)
    assert csv_text.splitlines()[0] == "@timestamp,host.name,tags,message"
    assert "máy-chủ" in csv_text and "Đăng nhập thất bại" in csv_text
    lines = shaping.to_ndjson(docs).splitlines()
    assert [json.loads(x) for x in lines] == docs


def test_event_query_and_interval() -> None:
    assert shaping.event_query({"host.name": " ws-1 ", "user.name": ""}) == {
        "bool": {"filter": [{"term": {"host.name": "ws-1"}}]}}
    assert shaping.event_query({"host.name": ""}) is None
    assert shaping.interval_for(3600) == "1m"
    assert shaping.interval_for(7 * 86400) == "1h"
    assert shaping.interval_for(30 * 86400) == "6h"


def test_sentiment_mix_and_series_use_local_days() -> None:
    assert shaping.sentiment_rows([{"key": "positive", "count": 2}]) == [
        ("negative", 0), ("neutral", 0), ("positive", 2)]
    points = [{"key": "2026-11-25T17:00:00.000Z", "count": 0, "index": None},
              {"key": "2026-11-26T17:00:00.000Z", "count": 4, "index": -50.0}]
    assert shaping.sentiment_series(points) == [
        {"day": "2026-11-26", "count": 0, "index": None},
        {"day": "2026-11-27", "count": 4, "index": -50.0}]
    assert shaping.sentiment_series(points, daily=False)[1]["day"] == "27/11 00:00"
    series = [{"key": "org.ubnd_tp", "name": "UBND thành phố", "points": points},
              {"key": "loc.x", "name": None, "points": points[:1]}]
    rows = shaping.series_rows(series, lambda s: s.get("name") or s["key"])
    assert [(r["name"], r["day"], r["count"]) for r in rows] == [
        ("UBND thành phố", "2026-11-26", 0), ("UBND thành phố", "2026-11-27", 4),
        ("loc.x", "2026-11-26", 0)]


def test_assets_merge_fields_most_alerts_first() -> None:
    assets = {"host.name": [{"key": "web-1", "count": 3, "by_severity": {"high": 2, "low": 1}},
                            {"key": "db-1", "count": 1, "by_severity": {"critical": 1}}],
              "destination.ip": [{"key": "10.0.0.5", "count": 3,
                                  "by_severity": {"medium": 3}},
                                 {"key": "10.0.0.6", "count": 2, "by_severity": {"low": 2}}]}
    rows = shaping.asset_rows(assets, limit=3)
    assert [(r["field"], r["key"]) for r in rows] == [
        ("host.name", "web-1"), ("destination.ip", "10.0.0.5"), ("destination.ip", "10.0.0.6")]
    assert rows[0]["by_severity"] == {"critical": 0, "high": 2, "medium": 0, "low": 1,
                                      "informational": 0}
    assert shaping.asset_rows({}) == []


def test_share_and_source_rows() -> None:
    items = [{"key": "org.ubnd_tp", "name": "UBND", "count": 3, "share": 0.75, "negative": 2,
              "change_pct": 50.0}, {"key": "x", "name": None, "count": 1, "share": 0.25}]
    rows = shaping.share_rows(items, lambda i: i.get("name") or i["key"])
    assert [(r["label"], r["percent"], r["negative"]) for r in rows] == [
        ("UBND", 75.0, 2), ("x", 25.0, 0)]
    assert shaping.trend(rows[0]["change"])[0] == "▲"
    assert shaping.trend(rows[1]["change"])[0] == "→"
    assert shaping.source_rows([{"key": "Báo A", "count": 4, "negative_share": 0.25}]) == [
        {"name": "Báo A", "count": 4, "negative_pct": 25.0}]


def test_overview_panels_follow_the_domains() -> None:
    from ui.screens.overview import panels

    names = {d: [n for n, _ in panels(d)] for d in ("security", "reputation")}
    both = [n for n, _ in panels(["security", "reputation"])]
    assert "top_assets" in names["security"] and "top_stories" not in names["security"]
    assert "sentiment_over_time" in names["reputation"] and "top_assets" not in names[
        "reputation"]
    assert set(both) == set(names["security"]) | set(names["reputation"])
    assert len(both) == 6  # two rows of three: one screen at 1920x1080


def test_home_page_by_role() -> None:
    from ui.auth_roles import home_page, pages_for

    assert home_page(["leader"]) == "overview"
    assert home_page(["soc_analyst"]) == "alerts"
    assert home_page(["comms"]) == "alerts"
    assert home_page(["soc_analyst", "leader"]) == "overview"
    assert home_page(["ingest"]) is None
    assert pages_for(["soc_analyst"])[0] == "overview"


def test_daily_report_is_printable_html() -> None:
    summary = {"open_incidents": {"total": 3, "by_severity": {"high": 2, "low": 1}},
               "mtta": {"mean_seconds": 600}, "mttr": {"mean_seconds": 7200},
               "sentiment_index": {"current": -12.5},
               "week_over_week": {"alerts": {"current": 10, "previous": 8, "change_pct": 25.0}},
               "top_stories": [{"title": "Ngập <đường>", "articles": 4, "outlets": ["Báo A"]}]}
    html = daily_report(summary, datetime(2026, 11, 26, 1, 0, tzinfo=UTC))
    assert "<h2>Sự cố đang mở: 3</h2>" in html
    assert "<tr><th>Cao</th><td>2</td></tr>" in html
    assert "10 ▲ (25 %)" in html
    assert "Ngập &lt;đường&gt;" in html and "<script" not in html
    assert "26/11/2026 08:00" in html
    with_assets = daily_report({**summary, "top_assets": {"host.name": [
        {"key": "web-1", "count": 7, "by_severity": {"high": 7}}]}})
    assert "<tr><th>web-1</th><td>7</td></tr>" in with_assets
    assert "web-1" not in html


def test_large_font_mode_and_consistent_colours() -> None:
    from ui import charts

    try:
        charts.set_large(True)
        fig = charts.bars(["Cao"], [1], [charts.SEVERITY_COLOURS["high"]])
        assert fig.layout.font.size == 22
    finally:
        charts.set_large(False)
    assert charts.bars(["x"], [1], ["#000"]).layout.font.size == 13
    assert set(charts.SEVERITY_COLOURS) == set(shaping.SEVERITIES)
    assert set(charts.SENTIMENT_COLOURS) == {"negative", "neutral", "positive"}


def test_topics_are_labelled_and_unknown_ones_show_their_name() -> None:
    from detection.nlp.resources import TOPICS
    from ui.i18n import topic

    assert set(TOPICS) == set(FAMILIES["topic_"])
    assert topic("environment", "vi") == "Môi trường, ngập lụt"
    assert topic("cyber", "en") == "Cybersecurity and scams"
    assert topic("flooding", "en") == "flooding"
