"""Triage on every backend: each action with its timeline and audit entries,
the state machine, concurrent analysts, merge, link, list, MTTA/MTTR."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from detection.grouping import IncidentGrouper
from detection.incidents import InvalidTransition, NotFound, TriageError
from detection.triage import Triage, metrics
from store.query import Term
from tests.detection.test_incidents import (
    BACKENDS,
    T0,
    Clock,
    emptied,
    make_alert,
    open_module_store,
    put_alerts,
    reputation_alert,
)


@pytest.fixture(scope="module", params=BACKENDS)
def module_store(request, tmp_path_factory):
    yield from open_module_store(request, tmp_path_factory)


@pytest.fixture
def store(module_store):
    return emptied(module_store)


@pytest.fixture
def clock():
    return Clock(T0 + timedelta(minutes=10))


def grouped(store, clock, alerts) -> dict[str, str]:
    """Group ``alerts``; returns {host or story: incident id}."""
    put_alerts(store, alerts)
    IncidentGrouper(store, clock=clock).group_once()
    out = {}
    for doc in store.scan("incidents"):
        entity = doc.source["entity"]
        out[entity["value"] if entity else "-"] = doc.id
    return out


def audit_of(store, incident_id: str) -> list[dict]:
    store.refresh("audit")
    docs = [d.source for d in store.scan("audit", Term("target", f"incidents/{incident_id}"))]
    return sorted(docs, key=lambda d: d["@timestamp"])


def test_each_action_writes_timeline_and_audit(store, clock):
    inc = grouped(store, clock, [make_alert(1, 0), make_alert(2, 1)])["web-1"]
    tr = Triage(store, clock=clock)
    clock.advance(minutes=5)
    doc = tr.set_status(inc, "acknowledged", "lan")
    assert doc["status"] == "acknowledged"
    assert doc["acknowledged_at"] == "2026-11-20T01:15:00.000Z"
    clock.advance(minutes=1)
    doc = tr.assign(inc, "minh", "lan")
    assert doc["assignee"] == "minh"
    clock.advance(minutes=1)
    doc = tr.comment(inc, "Đã chặn IP 203.0.113.9 trên tường lửa", "minh")
    assert doc["comments"][0]["text"] == "Đã chặn IP 203.0.113.9 trên tường lửa"
    assert doc["comments"][0]["author"] == "minh"
    clock.advance(minutes=1)
    tr.set_status(inc, "in_progress", "minh")
    clock.advance(minutes=30)
    doc = tr.set_status(inc, "resolved", "minh", note="xong")
    assert doc["resolved_at"] == "2026-11-20T01:48:00.000Z"
    assert tr.get(inc) == doc
    steps = [(e["actor"], e["action"], e["from"], e["to"]) for e in doc["timeline"]][2:]
    assert steps == [("lan", "status", "new", "acknowledged"), ("lan", "assign", None, "minh"),
                     ("minh", "comment", None, doc["comments"][0]["id"]),
                     ("minh", "status", "acknowledged", "in_progress"),
                     ("minh", "status", "in_progress", "resolved")]
    assert doc["timeline"][-1]["note"] == "xong"
    audit = audit_of(store, inc)
    actions = [(a["actor"], a["action"]) for a in audit]
    assert actions == [("system:incidents", "incident.create"), ("lan", "incident.status"),
                       ("lan", "incident.assign"), ("minh", "incident.comment"),
                       ("minh", "incident.status"), ("minh", "incident.status")]
    assert audit[-1]["details"]["from"] == "in_progress"
    assert audit[-1]["details"]["to"] == "resolved"
    # re-assigning to the same person changes nothing and records nothing
    assert len(tr.assign(inc, "minh", "lan")["timeline"]) == len(doc["timeline"])
    assert tr.assign(inc, None, "lan")["assignee"] is None


def test_invalid_requests_raise_typed_errors(store, clock):
    inc = grouped(store, clock, [make_alert(1, 0)])["web-1"]
    tr = Triage(store, clock=clock)
    with pytest.raises(InvalidTransition, match="from 'new' to 'reopened'"):
        tr.set_status(inc, "reopened", "lan")
    with pytest.raises(TriageError, match="unknown status 'closed'"):
        tr.set_status(inc, "closed", "lan")
    with pytest.raises(NotFound, match="no incident 'inc-nope'"):
        tr.set_status("inc-nope", "acknowledged", "lan")
    with pytest.raises(TriageError, match="actor"):
        tr.comment(inc, "x", "  ")
    with pytest.raises(TriageError, match="needs some text"):
        tr.comment(inc, " ", "lan")
    tr.set_status(inc, "false_positive", "lan")
    with pytest.raises(InvalidTransition, match="allowed: reopened"):
        tr.set_status(inc, "in_progress", "lan")
    doc = tr.set_status(inc, "reopened", "lan")
    assert doc["resolved_at"] is None and doc["acknowledged_at"] is not None
    assert store.get("incidents", inc).source["status"] == "reopened"


class InterleavedTriage(Triage):
    """Triage whose first read is followed, before its write, by another
    analyst's change: the write must conflict, be retried, and lose nothing."""

    def __init__(self, store, other, **kw):
        super().__init__(store, **kw)
        self.other = other

    def _load(self, incident_id, **kw):
        doc = super()._load(incident_id, **kw)
        if self.other is not None:
            other, self.other = self.other, None
            other()
        return doc


def test_concurrent_analysts_lose_no_update(store, clock):
    inc = grouped(store, clock, [make_alert(1, 0)])["web-1"]
    minh = Triage(store, clock=clock)
    lan = InterleavedTriage(store, lambda: minh.assign(inc, "minh", "minh"), clock=clock)
    doc = lan.set_status(inc, "acknowledged", "lan")
    assert lan.conflicts == 1
    assert (doc["status"], doc["assignee"]) == ("acknowledged", "minh")
    stored = store.get("incidents", inc).source
    assert (stored["status"], stored["assignee"]) == ("acknowledged", "minh")
    assert [e["action"] for e in stored["timeline"]][-2:] == ["assign", "status"]


def test_threads_commenting_at_once_keep_every_comment(store, clock):
    inc = grouped(store, clock, [make_alert(1, 0)])["web-1"]

    def analyst(name: str) -> None:
        tr = Triage(store, clock=clock, retries=50)
        for i in range(4):
            tr.comment(inc, f"{name} ghi chú {i}", name)

    threads = [threading.Thread(target=analyst, args=(n,)) for n in ("lan", "minh")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    texts = sorted(c["text"] for c in store.get("incidents", inc).source["comments"])
    assert texts == sorted(f"{n} ghi chú {i}" for n in ("lan", "minh") for i in range(4))
    assert len(audit_of(store, inc)) == 1 + 8


def test_merge_moves_alerts_and_marks_sources(store, clock):
    ids = grouped(store, clock, [make_alert(1, 0, host="web-1", severity="low"),
                                 make_alert(2, 1, host="web-2", severity="high"),
                                 make_alert(3, 2, host="web-3"),
                                 reputation_alert(4, 3)])
    target, a, b = ids["web-1"], ids["web-2"], ids["web-3"]
    tr = Triage(store, clock=clock)
    doc = tr.merge(target, [a, b], "lan")
    assert doc["alert_count"] == 3 and doc["severity"] == "high"
    assert set(doc["alert_ids"]) == {"alert-0001", "alert-0002", "alert-0003"}
    assert {"security|ssh-brute|host.name=web-2", "security|ssh-brute|host.name=web-3"} <= \
        set(doc["group_keys"])
    assert doc["timeline"][-1]["merged_ids"] == [a, b]
    for src in (a, b):
        s = store.get("incidents", src).source
        assert (s["status"], s["merged_into"]) == ("merged", target)
    store.refresh("alerts")
    assert store.count("alerts", Term("incident_id", target)) == 3
    again = tr.merge(target, [a], "lan")  # idempotent
    assert again["alert_count"] == 3
    with pytest.raises(TriageError, match="merged into"):
        tr.comment(a, "x", "lan")
    with pytest.raises(TriageError, match="reputation incident"):
        tr.merge(target, [ids["story-ngap"]], "lan")
    with pytest.raises(TriageError, match="itself"):
        tr.merge(target, [target], "lan")
    assert [i["id"] for i in tr.list(domain="security")["items"]] == [target]
    assert {i["id"] for i in tr.list(status="merged")["items"]} == {a, b}
    # a new alert of a merged group lands in the target
    put_alerts(store, [make_alert(5, 4, host="web-2")])
    IncidentGrouper(store, clock=clock).group_once()
    assert store.get("incidents", target).source["alert_count"] == 4


def test_link_alerts_moves_them_between_incidents(store, clock):
    ids = grouped(store, clock, [make_alert(1, 0, host="web-1"),
                                 make_alert(2, 1, host="web-2", severity="critical"),
                                 make_alert(3, 2, host="web-2")])
    tr = Triage(store, clock=clock)
    doc = tr.link_alerts(ids["web-1"], ["alert-0002"], "lan")
    assert doc["alert_count"] == 2 and doc["severity"] == "critical"
    assert doc["timeline"][-1]["alert_ids"] == ["alert-0002"]
    old = store.get("incidents", ids["web-2"]).source
    assert old["alert_ids"] == ["alert-0003"] and old["alert_count"] == 1
    assert old["severity"] == "medium"
    assert old["timeline"][-1]["action"] == "unlink_alerts"
    assert store.get("alerts", "alert-0002").source["incident_id"] == ids["web-1"]
    with pytest.raises(NotFound, match="alert-9999"):
        tr.link_alerts(ids["web-1"], ["alert-9999"], "lan")


def test_list_filters_sorts_and_pages(store, clock):
    ids = grouped(store, clock, [make_alert(1, 0, host="a", severity="low"),
                                 make_alert(2, 1, host="b", severity="critical"),
                                 make_alert(3, 2, host="c", severity="high"),
                                 make_alert(4, 3, host="d", severity="critical"),
                                 reputation_alert(5, 4, severity="medium")])
    tr = Triage(store, clock=clock)
    tr.assign(ids["c"], "minh", "lan")
    tr.set_status(ids["a"], "resolved", "lan")
    order = [i["entity"]["value"] for i in tr.list()["items"]]
    assert order == ["b", "d", "c", "story-ngap", "a"]  # severity, then oldest first
    first = tr.list(size=2)
    second = tr.list(size=2, cursor=first["cursor"])
    assert first["total"] == 5
    assert [i["id"] for i in first["items"] + second["items"]] == \
        [ids[k] for k in ("b", "d", "c", "story-ngap")]
    assert [i["id"] for i in tr.list(severity="critical,high")["items"]] == \
        [ids["b"], ids["d"], ids["c"]]
    assert [i["id"] for i in tr.list(assignee="minh")["items"]] == [ids["c"]]
    assert len(tr.list(unassigned=True)["items"]) == 4
    assert [i["id"] for i in tr.list(domain="reputation")["items"]] == [ids["story-ngap"]]
    assert [i["id"] for i in tr.list(status=["resolved"])["items"]] == [ids["a"]]
    assert [i["id"] for i in tr.list(entity="host.name=d")["items"]] == [ids["d"]]
    assert [i["id"] for i in tr.list(entity="c")["items"]] == [ids["c"]]
    window = tr.list(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=3))
    assert {i["id"] for i in window["items"]} == {ids["c"], ids["d"]}
    assert [i["id"] for i in tr.list(text="ngap ninh kieu")["items"]] == [ids["story-ngap"]]
    with pytest.raises(TriageError, match="unknown severity"):
        tr.list(severity="urgent")


def test_mtta_and_mttr_on_known_fixtures(store):
    clock = Clock(T0)
    ids = grouped(store, clock, [make_alert(1, 0, host="a", severity="high"),
                                 make_alert(2, 0, host="b", severity="critical"),
                                 make_alert(3, 0, host="c", severity="low"),
                                 make_alert(4, 0, host="d", severity="critical")])
    tr = Triage(store, clock=clock)
    clock.advance(minutes=5)
    tr.set_status(ids["a"], "acknowledged", "lan")      # MTTA 300 s
    clock.advance(minutes=10)
    tr.set_status(ids["b"], "in_progress", "lan")       # MTTA 900 s
    clock.advance(minutes=45)
    tr.set_status(ids["a"], "resolved", "lan")          # MTTR 3600 s
    clock.advance(minutes=60)
    tr.set_status(ids["c"], "false_positive", "minh")   # MTTA = MTTR = 7200 s
    tr.merge(ids["b"], [ids["d"]], "lan")               # d leaves the figures
    figures = metrics(store, T0 - timedelta(hours=1))
    assert figures["incidents"] == 3
    assert figures["mtta"] == {"count": 3, "mean_seconds": 2800.0, "median_seconds": 900.0}
    assert figures["mttr"] == {"count": 2, "mean_seconds": 5400.0, "median_seconds": 5400.0}
    assert figures["open_by_severity"] == {"critical": 1, "high": 0, "medium": 0, "low": 0,
                                           "informational": 0}
    assert figures["open_total"] == 1
    later = metrics(store, T0 + timedelta(minutes=1))
    assert later["incidents"] == 0 and later["mtta"]["mean_seconds"] is None
    assert metrics(store, T0 - timedelta(hours=1), domain="reputation")["incidents"] == 0
