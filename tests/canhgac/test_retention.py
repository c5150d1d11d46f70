"""Retention removes exactly what is past each collection's age, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from canhgac import retention
from canhgac.config import RetentionSettings

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _ts(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def test_retention_removes_only_what_is_too_old(store):
    events = [{"@timestamp": _ts(d), "event": {"id": f"e{d}"}} for d in (1, 89, 91, 400)]
    alerts = [{"id": f"a{d}", "@timestamp": _ts(d), "status": "open"} for d in (91, 364, 366)]
    incidents = [
        # opened long ago but still active: kept
        {"id": "i-active", "@timestamp": _ts(800), "last_seen": _ts(2), "status": "new"},
        {"id": "i-old", "@timestamp": _ts(800), "last_seen": _ts(740), "status": "resolved"},
    ]
    assert store.bulk("events", events, mode="create").ok
    assert store.bulk("alerts", alerts).ok
    assert store.bulk("incidents", incidents).ok
    for name in ("events", "alerts", "incidents"):
        store.refresh(name)
    cfg = RetentionSettings(events_days=90, alerts_days=365, incidents_days=730)

    dry = retention.apply(store, cfg, now=NOW, dry_run=True)
    assert dry["events"]["would_delete"] == 2 and store.count("events") == 4

    report = retention.apply(store, cfg, now=NOW)
    for name in ("events", "alerts", "incidents"):
        store.refresh(name)
    assert report["events"]["deleted"] == 2
    assert report["alerts"]["deleted"] == 1
    assert report["incidents"]["deleted"] == 1
    assert sorted(h.id for h in store.search("events").hits) == ["e1", "e89"]
    assert sorted(h.id for h in store.search("alerts").hits) == ["a364", "a91"]
    assert [h.id for h in store.search("incidents").hits] == ["i-active"]


def test_zero_days_keeps_forever():
    cuts = retention.cutoffs(RetentionSettings(events_days=0, audit_days=1), NOW)
    assert "events" not in cuts
    assert cuts["audit"] == "2026-11-25T12:00:00.000Z"
