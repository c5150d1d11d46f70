"""Suppression rules on every backend: matching, expiry, alerts kept but not grouped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detection.grouping import IncidentGrouper
from detection.incidents import NotFound, TriageError
from detection.suppression import Suppressions
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


def test_suppressed_alerts_are_kept_and_not_grouped_until_expiry(store):
    clock = Clock(T0)
    sup = Suppressions(store, clock=clock)
    rule = sup.add(rule_id="ssh-brute", entity="host.name=Scanner-01",
                   reason="máy quét lỗ hổng nội bộ", actor="lan",
                   expires_at=T0 + timedelta(hours=1))
    assert rule.id.startswith("suppress:")
    put_alerts(store, [make_alert(1, 0, host="scanner-01"), make_alert(2, 1, host="web-1"),
                       make_alert(3, 2, host="scanner-01", rule="web-sqli")])
    g = IncidentGrouper(store, clock=clock)
    report = g.group_once()
    assert (report.suppressed, report.grouped) == (1, 2)
    quiet = store.get("alerts", "alert-0001").source
    assert quiet["status"] == "suppressed" and quiet["suppression_id"] == rule.id
    assert quiet["incident_id"] is None
    assert store.count("alerts") == 3  # nothing deleted
    assert g.group_once().pending == 0  # not looked at again
    # after expiry the same noise is grouped again
    clock.advance(hours=2)
    put_alerts(store, [make_alert(4, 125, host="scanner-01")])
    report = g.group_once()
    assert (report.suppressed, report.grouped) == (0, 1)
    assert sup.list() == []
    assert [r.id for r in sup.list(include_expired=True)] == [rule.id]


def test_wildcards_and_bare_values(store):
    clock = Clock(T0)
    sup = Suppressions(store, clock=clock)
    any_rule = sup.add(entity="10.0.0.7", reason="máy giám sát", actor="lan")  # no expiry
    any_entity = sup.add(rule_id="story-spreading", reason="tin cũ", actor="lan",
                         domain="reputation", expires_at=T0 + timedelta(days=7))
    rules = sup.active()
    assert {r.id for r in rules} == {any_rule.id, any_entity.id}
    assert sup.match(make_alert(1, ip="10.0.0.7", host="x"), rules).id == any_rule.id
    assert sup.match(make_alert(2, user="10.0.0.7", host=None), rules).id == any_rule.id
    assert sup.match(make_alert(3, ip="10.0.0.8"), rules) is None
    assert sup.match(reputation_alert(4), rules).id == any_entity.id
    wrong_domain = make_alert(5, rule="story-spreading")
    assert sup.match(wrong_domain, rules) is None


def test_bad_rules_are_refused_and_removal_is_audited(store):
    clock = Clock(T0)
    sup = Suppressions(store, clock=clock)
    with pytest.raises(TriageError, match="not both"):
        sup.add(reason="tất cả", actor="lan")
    with pytest.raises(TriageError, match="future"):
        sup.add(rule_id="r", reason="x", actor="lan", expires_at=T0 - timedelta(seconds=1))
    with pytest.raises(TriageError, match="reason"):
        sup.add(rule_id="r", reason=" ", actor="lan")
    rule = sup.add(rule_id="r", reason="x", actor="lan")
    sup.remove(rule.id, "minh")
    with pytest.raises(NotFound):
        sup.get(rule.id)
    store.refresh("audit")
    actions = {d.source["action"]: d.source["actor"]
               for d in store.scan("audit", Term("target", f"rule_state/{rule.id}"))}
    assert actions == {"suppression.create": "lan", "suppression.delete": "minh"}
