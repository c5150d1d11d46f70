"""The dashboard's aggregations through the real app, on every backend: each
answer is checked against the same figure counted here in plain Python from
the documents written (by local day in Asia/Ho_Chi_Minh, inside the window
the API reports), and each caller sees only its domains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from api.stats.window import RangeQuery, Window, resolve
from store.schema import format_timestamp, parse_timestamp
from tests.api.fixtures import NOW, alert, entities, incident

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEVERITIES = ("critical", "high", "medium", "low", "informational")


def hours_ago(h: float) -> str:
    return format_timestamp(NOW - timedelta(hours=h))


# (id, hours ago, severity, host, destination ip, user): security alerts
SECURITY = [("s1", 2, "high", "web-1", "10.0.0.5", "root"),
            ("s2", 3, "critical", "web-1", "10.0.0.5", "root"),
            ("s3", 26, "medium", "web-1", "10.0.0.6", "admin"),
            ("s4", 50, "high", "db-1", "10.0.0.6", None),
            ("s5", 74, "low", "db-1", None, "admin"),
            ("s6", 100, "high", "mail-1", "10.0.0.7", "root"),
            ("s7", 150, "medium", "web-1", None, None),
            ("s8", 200, "high", "web-1", "10.0.0.5", "root")]   # the week before
REPUTATION = [("r1", 4, "medium"), ("r2", 30, "high"), ("r3", 190, "low")]
# (id, hours ago, outlet, author, sentiment, topic, entity ids)
ARTICLES = [
    ("b1", 1, "Báo Phù Sa", "Trần Văn An", "negative", "environment",
     ["org.ubnd_tp", "loc.ninh_kieu"]),
    ("b2", 5, "Tin Sông Hậu", "Lê Thị Bình", "positive", "tourism", ["market.cho_noi_cai_rang"]),
    ("b3", 27, "Báo Phù Sa", "Trần Văn An", "negative", "environment", ["org.ubnd_tp"]),
    ("b4", 28, "Nhịp Sống Miền Tây", None, "neutral", "traffic", ["loc.ninh_kieu"]),
    ("b5", 75, "Báo Phù Sa", "Nguyễn Văn Cường", "positive", "tourism",
     ["market.cho_noi_cai_rang", "loc.ninh_kieu"]),
    ("b6", 120, "Tin Sông Hậu", "Lê Thị Bình", "negative", "public_order", ["org.bv_dk_tp"]),
    ("b7", 180, "Báo Phù Sa", "Trần Văn An", "negative", "environment", ["org.ubnd_tp"]),
    ("b8", 200, "Tin Sông Hậu", "Lê Thị Bình", "positive", "tourism",
     ["market.cho_noi_cai_rang"]),
]


def security_alerts() -> list[dict[str, Any]]:
    out = []
    for aid, h, sev, host, dst, user in SECURITY:
        doc = alert(aid, "security", sev, h * 60, host={"name": host})
        if dst:
            doc["destination"] = {"ip": dst}
        if user:
            doc["user"] = {"name": user}
        out.append(doc)
    legacy = alert("s0", "security", "critical", 5 * 60, host={"name": "db-1"})
    del legacy["domain"]  # written before alerts had a domain: security
    return [*out, legacy]


def article_docs() -> list[dict[str, Any]]:
    return [{"id": aid, "@timestamp": hours_ago(h), "title": f"Tin thử nghiệm {aid}",
             "body": "Nội dung viết riêng cho phép thử.", "language": "vi",
             "source": {"name": outlet}, **({"author": author} if author else {}),
             "story_id": f"s-{topic}", "topics": [topic], **entities(*ents),
             "sentiment": {"label": label, "score": {"negative": -0.6, "neutral": 0.0,
                                                     "positive": 0.6}[label]}}
            for aid, h, outlet, author, label, topic, ents in ARTICLES]


def seed(store) -> dict[str, Any]:
    sec = security_alerts()
    rep = [alert(aid, "reputation", sev, h * 60, article_ids=["b1"]) for aid, h, sev in REPUTATION]
    store.bulk("alerts", sec + rep)
    store.bulk("articles", article_docs())
    open_sec = incident(sec[:2], "security", "web-1")
    closed = incident(sec[3:4], "security", "db-1")
    closed.update(status="resolved", acknowledged_at=hours_ago(0.4), resolved_at=hours_ago(0.2))
    open_rep = incident(rep[:1], "reputation", "ngap")
    store.bulk("incidents", [open_sec, closed, open_rep])
    store.refresh()
    return {"open_security": open_sec, "open_reputation": open_rep}


def within(ts: str, window: dict[str, Any]) -> bool:
    return parse_timestamp(window["since"]) <= parse_timestamp(ts) < parse_timestamp(
        window["until"])


def local_day(ts: str | datetime) -> str:
    return parse_timestamp(ts).astimezone(HCM).strftime("%Y-%m-%d")


def by_day(stamps: list[str], window: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in stamps:
        if within(s, window):
            out[local_day(s)] = out.get(local_day(s), 0) + 1
    return out


def series_days(points: list[dict[str, Any]]) -> dict[str, int]:
    return {local_day(p["key"]): p["count"] for p in points if p["count"]}


def test_alert_figures_and_overview_by_role(client_all: TestClient, creds_all, store) -> None:
    c, h = client_all, creds_all
    ids = seed(store)
    sec_docs = security_alerts()
    sec_stamps = [a["@timestamp"] for a in sec_docs]
    rep_stamps = [hours_ago(hh) for _, hh, _ in REPUTATION]

    # alerts per day: every local day of the window, security and reputation apart
    day = c.get("/api/v1/stats/alerts/per-day", params={"days": 7}, headers=h["leader"]).json()
    w = day["window"]
    assert len(day["security"]) == len(day["reputation"]) == 7
    first = parse_timestamp(day["security"][0]["key"]).astimezone(HCM)
    assert (first.hour, first.minute) == (0, 0)  # a bucket is a day in Cần Thơ
    assert series_days(day["security"]) == by_day(sec_stamps, w)
    assert series_days(day["reputation"]) == by_day(rep_stamps, w)
    soc = c.get("/api/v1/stats/alerts/per-day", headers=h["soc_analyst"]).json()
    assert "security" in soc and "reputation" not in soc
    comms = c.get("/api/v1/stats/alerts/per-day", headers=h["comms"]).json()
    assert "reputation" in comms and "security" not in comms
    denied = c.get("/api/v1/stats/alerts/per-day", params={"domain": "security"},
                   headers=h["comms"])
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "domain_forbidden"
    hourly = c.get("/api/v1/stats/alerts/per-day", params={"days": 1, "interval": "1h"},
                   headers=h["soc_analyst"]).json()
    assert len(hourly["security"]) == 24
    assert sum(b["count"] for b in hourly["security"]) == sum(
        within(s, hourly["window"]) for s in sec_stamps)

    # top attacked assets, split by severity (security alerts only, rolling window)
    got = c.get("/api/v1/stats/alerts/top-assets", params={"days": 7, "size": 10},
                headers=h["soc_analyst"]).json()
    win = got["window"]
    for field in ("host.name", "destination.ip", "user.name"):
        want: dict[str, dict[str, int]] = {}
        for a in sec_docs:
            top, _, leaf = field.partition(".")
            value = (a.get(top) or {}).get(leaf)
            if value and within(a["@timestamp"], win):
                want.setdefault(value, {s: 0 for s in SEVERITIES})[a["severity"]] += 1
        rows = got["assets"][field]
        assert {r["key"]: r["by_severity"] for r in rows} == want, field
        assert [r["count"] for r in rows] == sorted((sum(v.values()) for v in want.values()),
                                                    reverse=True)
        assert all(r["count"] == sum(r["by_severity"].values()) for r in rows)
    assert got["assets"]["host.name"][0]["key"] == "web-1"
    high = c.get("/api/v1/stats/alerts/top-assets",
                 params={"field": "host.name", "severity": ["critical"]},
                 headers=h["leader"]).json()["assets"]
    assert list(high) == ["host.name"]
    assert {r["key"]: r["count"] for r in high["host.name"]} == {"web-1": 1, "db-1": 1}

    # the overview: each role its half
    lead = c.get("/api/v1/overview", headers=h["leader"]).json()
    assert lead["domains"] == ["security", "reputation"]
    assert lead["open_incidents"]["total"] == 2
    assert set(lead["alerts_per_day"]) == {"security", "reputation"}
    assert "top_assets" in lead and "sentiment_series" in lead
    soc_ov = c.get("/api/v1/overview", headers=h["soc_analyst"]).json()
    assert soc_ov["domains"] == ["security"]
    assert soc_ov["open_incidents"]["total"] == 1
    assert soc_ov["open_incidents"]["by_severity"][ids["open_security"]["severity"]] == 1
    assert soc_ov["mttr"]["count"] == 1 and soc_ov["mtta"]["count"] >= 1
    assert set(soc_ov["alerts_per_day"]) == {"security"}
    assert soc_ov["top_assets"]["host.name"][0]["key"] == "web-1"
    for key in ("sentiment_index", "sentiment_series", "top_stories", "top_entities"):
        assert key not in soc_ov
    assert set(soc_ov["week_over_week"]) == {"alerts", "incidents"}
    rolling = soc_ov["window"]
    prev = {"since": format_timestamp(parse_timestamp(rolling["since"]) - timedelta(days=7)),
            "until": rolling["since"]}
    assert soc_ov["week_over_week"]["alerts"]["current"] == sum(
        within(s, rolling) for s in sec_stamps)
    assert soc_ov["week_over_week"]["alerts"]["previous"] == sum(
        within(s, prev) for s in sec_stamps)
    comms_ov = c.get("/api/v1/overview", headers=h["comms"]).json()
    assert comms_ov["domains"] == ["reputation"]
    assert comms_ov["open_incidents"]["total"] == 1
    assert "top_assets" not in comms_ov
    assert comms_ov["week_over_week"]["alerts"]["current"] == sum(
        within(s, rolling) for s in rep_stamps)
    assert comms_ov["top_entities"][0]["name"]  # gazetteer names come along
    only = c.get("/api/v1/overview", params={"domain": "reputation"},
                 headers=h["leader"]).json()
    assert only["domains"] == ["reputation"] and only["open_incidents"]["total"] == 1
    assert c.get("/api/v1/overview", params={"domain": "reputation"},
                 headers=h["soc_analyst"]).status_code == 403
    summ = c.get("/api/v1/summary", headers=h["leader"]).json()
    assert summ["open_incidents"] == lead["open_incidents"]


def test_article_figures(client_all: TestClient, creds_all, store) -> None:
    c, h = client_all, creds_all
    seed(store)
    docs = article_docs()

    # one series over all articles: volume, labels, sentiment index per local day
    allr = c.get("/api/v1/stats/articles/series", params={"days": 7},
                 headers=h["comms"]).json()
    (only,) = allr["series"]
    w = allr["window"]
    assert only["key"] == "all" and len(only["points"]) == 7
    assert series_days(only["points"]) == by_day([d["@timestamp"] for d in docs], w)
    for p in only["points"]:
        mine = [d for d in docs if within(d["@timestamp"], w)
                and local_day(d["@timestamp"]) == local_day(p["key"])]
        pos = sum(d["sentiment"]["label"] == "positive" for d in mine)
        neg = sum(d["sentiment"]["label"] == "negative" for d in mine)
        assert (p["positive"], p["negative"]) == (pos, neg)
        assert p["index"] == (round(100 * (pos - neg) / len(mine), 1) if mine else None)

    # one series per entity: the most mentioned first, with gazetteer names
    ent = c.get("/api/v1/stats/articles/series",
                params={"days": 7, "dimension": "entity", "size": 2},
                headers=h["leader"]).json()["series"]
    inside = [d for d in docs if within(d["@timestamp"], w)]
    mentions: dict[str, int] = {}
    for d in inside:
        for e in d["entities_ids"]:
            mentions[e] = mentions.get(e, 0) + 1
    assert [s["key"] for s in ent] == sorted(mentions, key=lambda k: (-mentions[k], k))[:2]
    assert [s["total"] for s in ent] == [mentions[s["key"]] for s in ent]
    assert ent[0]["name"]
    topic = c.get("/api/v1/stats/articles/series",
                  params={"dimension": "topic", "values": ["tourism", "không-có"]},
                  headers=h["comms"]).json()["series"]
    assert [(s["key"], s["total"]) for s in topic] == [
        ("tourism", sum("tourism" in d["topics"] for d in inside)), ("không-có", 0)]

    # share of voice: given values, then the watch lists' entities by default
    share = c.get("/api/v1/stats/articles/share-of-voice",
                  params={"values": ["org.ubnd_tp", "market.cho_noi_cai_rang"]},
                  headers=h["comms"]).json()
    win = share["window"]

    def count(entity: str, window: dict[str, Any], label: str | None = None) -> int:
        return sum(entity in d["entities_ids"] and within(d["@timestamp"], window)
                   and (label is None or d["sentiment"]["label"] == label) for d in docs)

    prev = {"since": format_timestamp(parse_timestamp(win["since"]) - timedelta(days=7)),
            "until": win["since"]}
    total = sum(count(e, win) for e in ("org.ubnd_tp", "market.cho_noi_cai_rang"))
    assert share["mentions"] == total and share["watched"] is False
    assert share["articles"] == sum(within(d["@timestamp"], win) for d in docs)
    for item in share["items"]:
        assert item["count"] == count(item["key"], win)
        assert item["previous"] == count(item["key"], prev)
        assert item["negative"] == count(item["key"], win, "negative")
        assert item["share"] == round(item["count"] / total, 4)
    watched = c.get("/api/v1/stats/articles/share-of-voice",
                    headers=h["leader"]).json()
    assert watched["watched"] is True
    keys = {i["key"] for i in watched["items"]}
    assert {"org.ubnd_tp", "market.cho_noi_cai_rang", "org.bv_dk_tp"} <= keys
    assert "loc.ninh_kieu" not in keys  # mentioned, but on no watch list
    assert abs(sum(i["share"] for i in watched["items"]) - 1) < 0.01

    # top outlets and authors with their negative share
    src = c.get("/api/v1/stats/articles/top-sources", headers=h["comms"]).json()
    win = src["window"]
    inside = [d for d in docs if within(d["@timestamp"], win)]
    for key, field in (("outlets", lambda d: d["source"]["name"]),
                       ("authors", lambda d: d.get("author"))):
        want: dict[str, list[int]] = {}
        for d in inside:
            if field(d):
                n = want.setdefault(field(d), [0, 0])
                n[0] += 1
                n[1] += d["sentiment"]["label"] == "negative"
        assert {r["key"]: [r["count"], r["negative"]] for r in src[key]} == want
    assert src["outlets"][0]["key"] == "Báo Phù Sa"
    assert src["distinct"] == {"outlets": 3, "authors": 3}


def test_bad_windows_and_hostile_values(client: TestClient, creds, db) -> None:
    seed(db)
    h = creds["leader"]
    r = c_get(client, "/api/v1/stats/articles/series", h, since="2026-11-20T00:00:00Z",
              until="2026-11-19T00:00:00Z")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_window"
    r = c_get(client, "/api/v1/stats/alerts/per-day", h, interval="1h",
              since="2026-01-01T00:00:00Z", until="2026-12-31T00:00:00Z")
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_buckets"
    assert c_get(client, "/api/v1/stats/articles/series", h, dimension="sentiment").status_code \
        == 422
    for value in ['" OR 1=1 --', "*", "ngập) OR (1", "'; DROP TABLE articles; --"]:
        r = c_get(client, "/api/v1/stats/articles/share-of-voice", h, values=[value])
        assert r.status_code == 200 and r.json()["items"][0]["count"] == 0
    assert db.count("articles") == len(ARTICLES)


def c_get(client: TestClient, url: str, headers: dict[str, str], **params: Any):
    return client.get(url, params=params, headers=headers)


@pytest.mark.parametrize(("now", "days", "interval", "first_local"), [
    (datetime(2026, 11, 26, 20, 0, tzinfo=UTC), 7, "1d", "2026-11-21 00:00"),  # 03:00 on the 27th
    (datetime(2026, 11, 26, 16, 59, tzinfo=UTC), 7, "1d", "2026-11-20 00:00"),  # 23:59 on the 26th
    (datetime(2026, 11, 26, 8, 30, tzinfo=UTC), 1, "1h", "2026-11-25 16:00"),
    (datetime(2026, 11, 26, 8, 30, tzinfo=UTC), 2, "6h", "2026-11-24 18:00"),
])
def test_windows_start_on_local_bucket_boundaries(now: datetime, days: int, interval: str,
                                                  first_local: str) -> None:
    w = resolve(RangeQuery(days=days), now=now, interval=interval)
    starts = w.bucket_starts()
    assert starts[0].astimezone(HCM).strftime("%Y-%m-%d %H:%M") == first_local
    assert len(starts) == days * 24 * 3600 // {"1d": 86400, "1h": 3600, "6h": 21600}[interval]
    assert starts[-1] <= now < starts[-1] + (starts[1] - starts[0])


def test_fill_keeps_counts_and_adds_empty_buckets() -> None:
    w = Window(datetime(2026, 11, 20, 17, tzinfo=UTC), datetime(2026, 11, 23, 17, tzinfo=UTC))
    got = w.fill([{"key": "2026-11-21T17:00:00.000Z", "count": 4}])
    assert got == [{"key": "2026-11-20T17:00:00.000Z", "count": 0},
                   {"key": "2026-11-21T17:00:00.000Z", "count": 4},
                   {"key": "2026-11-22T17:00:00.000Z", "count": 0}]
    assert w.previous.until == w.since and w.previous.since == datetime(2026, 11, 17, 17,
                                                                        tzinfo=UTC)


def test_top_assets_fall_back_to_exact_counts_when_values_are_many(
        db, monkeypatch: pytest.MonkeyPatch) -> None:
    """More values per severity than one aggregation reads: the answer stays exact."""
    from api.stats import alerts as alert_stats

    seed(db)
    w = Window(NOW - timedelta(days=7), NOW + timedelta(minutes=1))
    wide = alert_stats.top_assets(db, w, size=2)
    monkeypatch.setattr(alert_stats, "WIDE", 1)
    narrow = alert_stats.top_assets(db, w, size=2)
    assert narrow == wide
    assert [r["key"] for r in wide["host.name"]] == ["web-1", "db-1"]
    assert wide["host.name"][1]["by_severity"]["critical"] == 1  # the alert without a domain
