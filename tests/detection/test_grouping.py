"""IncidentGrouper on every backend: determinism, windows, severity, reopen policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detection.grouping import IncidentGrouper
from detection.incidents import SYSTEM_ACTOR, incident_id
from detection.triage import Triage
from store.query import Exists, Sort, Term
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


def incidents(store) -> list[dict]:
    store.refresh("incidents")
    return [d.source for d in store.scan("incidents", sort=[Sort("first_seen", "asc")])]


def grouper(store, clock=None, **kw) -> IncidentGrouper:
    return IncidentGrouper(store, clock=clock or Clock(T0 + timedelta(days=1)), **kw)


def test_grouping_twice_gives_the_same_incidents(store):
    put_alerts(store, [make_alert(1, 0), make_alert(2, 5), make_alert(3, 7, host="db-1"),
                       make_alert(4, 9, rule="web-sqli", ip="203.0.113.9", host=None)])
    g = grouper(store)
    first = g.group_once()
    assert (first.pending, first.grouped, first.created) == (4, 4, 3)
    before = incidents(store)
    second = g.group_once()
    assert (second.pending, second.grouped, second.created, second.updated) == (0, 0, 0, 0)
    assert incidents(store) == before
    keys = {i["group_key"]: i for i in before}
    assert set(keys) == {"security|ssh-brute|host.name=web-1", "security|ssh-brute|host.name=db-1",
                         "security|web-sqli|source.ip=203.0.113.9"}
    web = keys["security|ssh-brute|host.name=web-1"]
    assert web["id"] == incident_id(web["group_key"], T0)
    assert web["alert_ids"] == ["alert-0001", "alert-0002"] and web["alert_count"] == 2
    assert web["title"] == "Dò mật khẩu SSH · web-1"
    assert web["status"] == "new" and web["domain"] == "security"
    assert web["techniques"] == ["T1110"] and web["tactics"] == ["TA0006"]
    store.refresh("alerts")
    assert store.count("alerts", Term("incident_id", web["id"])) == 2
    assert store.count("alerts", Exists("incident_id")) == 4


def test_a_pass_that_crashed_before_stamping_alerts_is_repaired(store):
    put_alerts(store, [make_alert(1, 0), make_alert(2, 3)])
    grouper(store).group_once()
    (inc,) = incidents(store)
    # the crash: the incident was written, the alerts never got their incident_id
    for n in (1, 2):
        doc = store.get("alerts", f"alert-{n:04d}")
        store.put("alerts", {**doc.source, "incident_id": None}, refresh=True)
    put_alerts(store, [make_alert(3, 4)])
    report = grouper(store).group_once()
    assert report.pending == 3 and report.created == 0
    (again,) = incidents(store)
    assert again["id"] == inc["id"]
    assert again["alert_count"] == 3  # alerts 1 and 2 are not counted twice
    assert again["alert_ids"] == ["alert-0001", "alert-0002", "alert-0003"]


def test_window_boundaries(store):
    # 30 min window: 0 → 30 (exactly on the edge: joins) → 61 (gap 31: new incident)
    put_alerts(store, [make_alert(1, 0), make_alert(2, 30), make_alert(3, 61)])
    grouper(store, window=timedelta(minutes=30)).group_once()
    got = incidents(store)
    assert [i["alert_ids"] for i in got] == [["alert-0001", "alert-0002"], ["alert-0003"]]
    assert got[1]["id"] == incident_id(got[1]["group_key"], T0 + timedelta(minutes=61))
    assert got[0]["last_seen"] == "2026-11-20T01:30:00.000Z"


def test_max_span_caps_a_noisy_incident(store):
    put_alerts(store, [make_alert(n, n * 20) for n in range(7)])  # every 20 min for 2 h
    grouper(store, window=timedelta(minutes=30), max_span=timedelta(hours=1)).group_once()
    assert [i["alert_count"] for i in incidents(store)] == [3, 3, 1]


def test_alerts_arriving_late_join_the_window_across_passes(store):
    put_alerts(store, [make_alert(1, 10)])
    g = grouper(store, window=timedelta(minutes=30))
    g.group_once()
    put_alerts(store, [make_alert(2, 0), make_alert(3, 35)])  # late, and later
    report = g.group_once()
    assert report.updated == 1 and report.created == 0
    (inc,) = incidents(store)
    assert inc["first_seen"] == "2026-11-20T01:00:00.000Z"
    assert inc["last_seen"] == "2026-11-20T01:35:00.000Z"
    assert inc["alert_count"] == 3
    added = [e for e in inc["timeline"] if e["action"] == "alerts_added"]
    assert len(added) == 1 and added[0]["count"] == 3  # passes coalesce


def test_severity_is_the_max_of_the_alerts(store):
    put_alerts(store, [make_alert(1, 0, severity="low"), make_alert(2, 1, severity="critical"),
                       make_alert(3, 2, severity="medium")])
    grouper(store).group_once()
    (inc,) = incidents(store)
    assert inc["severity"] == "critical" and inc["severity_rank"] == 4
    assert inc["risk_score"] == 99


def test_reputation_alerts_group_by_story(store):
    put_alerts(store, [reputation_alert(1, 0), reputation_alert(2, 20),
                       reputation_alert(3, 25, story="story-chay-cho")])
    grouper(store).group_once()
    got = {i["group_key"]: i for i in incidents(store)}
    assert set(got) == {"reputation|story-spreading|story_id=story-ngap",
                        "reputation|story-spreading|story_id=story-chay-cho"}
    ngap = got["reputation|story-spreading|story_id=story-ngap"]
    assert ngap["domain"] == "reputation" and ngap["alert_count"] == 2
    assert ngap["title"] == "Tin lan truyền: ngập ở Ninh Kiều · story-ngap"
    assert "topic=environment_flooding" in ngap["entities"]


def test_an_entity_label_names_the_incident_but_the_value_groups_it(store):
    alerts = [reputation_alert(1, 0), reputation_alert(2, 20)]
    for a in alerts:
        a["entity"] = {"field": "story_id", "value": "story-ngap",
                       "label": "Mưa lớn gây ngập sâu ở Ninh Kiều"}
    put_alerts(store, alerts)
    grouper(store).group_once()
    (inc,) = incidents(store)
    assert inc["group_key"] == "reputation|story-spreading|story_id=story-ngap"
    assert inc["title"] == "Tin lan truyền: ngập ở Ninh Kiều · Mưa lớn gây ngập sâu ở Ninh Kiều"


@pytest.mark.parametrize("policy", ["reopen", "new"])
def test_new_alert_for_a_resolved_incident(store, policy):
    clock = Clock(T0 + timedelta(minutes=5))
    put_alerts(store, [make_alert(1, 0)])
    g = grouper(store, clock, reopen=policy)
    g.group_once()
    (inc,) = incidents(store)
    Triage(store, clock=clock).set_status(inc["id"], "resolved", "lan", note="đã chặn IP")
    clock.advance(minutes=5)
    put_alerts(store, [make_alert(2, 10)])
    report = g.group_once()
    got = incidents(store)
    if policy == "reopen":
        assert report.reopened == 1 and len(got) == 1
        (again,) = got
        assert again["status"] == "reopened" and again["resolved_at"] is None
        assert again["alert_count"] == 2
        entry = next(e for e in again["timeline"] if e["action"] == "reopen")
        assert (entry["actor"], entry["from"], entry["to"]) == (SYSTEM_ACTOR, "resolved",
                                                                "reopened")
        store.refresh("audit")
        assert store.count("audit", Term("action", "incident.reopen")) == 1
    else:
        assert report.reopened == 0 and report.created == 1 and len(got) == 2
        assert [i["status"] for i in got] == ["resolved", "new"]
        assert got[0]["alert_count"] == 1 and got[1]["alert_ids"] == ["alert-0002"]


def test_bad_alerts_are_dead_lettered_once_and_kept(store):
    bad = make_alert(1, 0)
    del bad["rule"]
    put_alerts(store, [bad, make_alert(2, 0)])
    g = grouper(store)
    report = g.group_once()
    assert (report.invalid, report.grouped) == (1, 1)
    assert g.group_once().pending == 0
    store.refresh("dead_letters")
    assert store.count("dead_letters", Term("source", "detection.grouping")) == 1
    kept = store.get("alerts", "alert-0001").source
    assert kept["grouping_error"] == "alert has no rule.id" and kept["incident_id"] is None


def test_alerts_shaped_like_the_sigma_engine_writes_them(store):
    """No ``incident_id`` key at all, list-valued ATT&CK ids, and a correlation's
    own entity hint (its group-by values), which wins over host.name."""
    alerts = []
    for n in (1, 2):
        a = make_alert(n, n, rule="ssh-bruteforce-correlation", severity="high")
        del a["incident_id"]
        a["threat"] = {"framework": "MITRE ATT&CK", "tactic": {"id": ["TA0006"]},
                       "technique": {"id": ["T1110", "T1110.001"]}}
        a["entity"] = {"field": "source.ip,user.name", "value": "203.0.113.9,admin"}
        alerts.append(a)
    put_alerts(store, alerts)
    grouper(store).group_once()
    (inc,) = incidents(store)
    assert inc["group_key"] == \
        "security|ssh-bruteforce-correlation|source.ip,user.name=203.0.113.9,admin"
    assert inc["title"] == "Dò mật khẩu SSH · 203.0.113.9,admin"
    assert inc["techniques"] == ["T1110", "T1110.001"] and inc["alert_count"] == 2
    assert "source.ip,user.name=203.0.113.9,admin" in inc["entities"]
    assert "host.name=web-1" in inc["entities"]


class RacingGrouper(IncidentGrouper):
    """A grouper whose candidate read is followed by an analyst's change."""

    def __init__(self, store, analyst, **kw):
        super().__init__(store, **kw)
        self.analyst = analyst

    def _candidates(self, keys, earliest):
        found = super()._candidates(keys, earliest)
        if self.analyst is not None:
            analyst, self.analyst = self.analyst, None
            analyst()
        return found


def test_grouper_racing_an_analyst_loses_nothing(store):
    clock = Clock(T0 + timedelta(minutes=30))
    put_alerts(store, [make_alert(1, 0)])
    grouper(store, clock).group_once()
    (inc,) = incidents(store)
    tr = Triage(store, clock=clock)
    put_alerts(store, [make_alert(2, 10, severity="critical")])
    racing = RacingGrouper(store, lambda: tr.assign(inc["id"], "lan", "lan"), clock=clock)
    report = racing.group_once()
    assert report.conflicts == 1 and report.updated == 1 and report.grouped == 1
    (after,) = incidents(store)
    assert (after["assignee"], after["alert_count"], after["severity"]) == ("lan", 2, "critical")
    assert [e["action"] for e in after["timeline"]] == ["create", "alerts_added", "assign",
                                                       "alerts_added"]
