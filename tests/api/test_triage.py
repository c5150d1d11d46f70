"""Every triage action through the API leaves a timeline entry and an audit
entry naming who did it and when; domains keep analysts to their own work."""

from __future__ import annotations

from starlette.testclient import TestClient

from store.query import Term
from tests.api.fixtures import alert, incident


def _seed(db):
    a = [alert("al-1", "security", "high", 30), alert("al-2", "security", "low", 20),
         alert("al-3", "security", "medium", 10), alert("al-4", "security", "low", 5)]
    r = [alert("al-9", "reputation", "medium", 15)]
    db.bulk("alerts", a + r)
    incs = [incident(a[:1], "security", "h1"), incident(a[1:2], "security", "h2"),
            incident(r, "reputation", "story")]
    db.bulk("incidents", incs)
    return [i["id"] for i in incs]


def test_each_action_is_timelined_and_audited(client: TestClient, creds, db) -> None:
    target, other, _rep = _seed(db)
    s = creds["soc_analyst"]
    base = f"/api/v1/incidents/{target}"
    calls = [
        ("status", {"status": "acknowledged", "note": "đang xem"}, "status"),
        ("assign", {"assignee": "u-soc-analyst"}, "assign"),
        ("comments", {"text": "Chặn IP 10.20.3.4"}, "comment"),
        ("alerts", {"alert_ids": ["al-4"]}, "link_alerts"),
        ("merge", {"source_ids": [other]}, "merge"),
        ("status", {"status": "resolved"}, "status"),
    ]
    for path, body, action in calls:
        r = client.post(f"{base}/{path}", json=body, headers=s)
        assert r.status_code == 200, (path, r.json())
        assert r.json()["incident"]["timeline"][-1]["action"] == action
        assert r.json()["incident"]["timeline"][-1]["actor"] == "u-soc-analyst"
    db.refresh("audit")
    entries = [d.source for d in db.scan("audit", Term("target", f"incidents/{target}"))]
    actions = sorted(e["action"] for e in entries)
    assert actions == sorted(f"incident.{a}" for _, _, a in calls)
    assert all(e["actor"] == "u-soc-analyst" and e["@timestamp"] for e in entries)
    merged = client.get(f"/api/v1/incidents/{other}", headers=s).json()["incident"]
    assert merged["status"] == "merged" and merged["merged_into"] == target
    final = client.get(base, headers=creds["leader"]).json()
    assert final["incident"]["resolved_at"] and final["incident"]["acknowledged_at"]
    assert {a["id"] for a in final["alerts"]} >= {"al-1", "al-2", "al-4"}


def test_domains_and_errors(client: TestClient, creds, db) -> None:
    sec, _other, rep = _seed(db)
    assert client.post(f"/api/v1/incidents/{rep}/status", json={"status": "acknowledged"},
                       headers=creds["comms"]).status_code == 200
    r = client.post(f"/api/v1/incidents/{sec}/status", json={"status": "acknowledged"},
                    headers=creds["comms"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "domain_forbidden"
    assert client.get("/api/v1/incidents", params={"domain": "security"},
                      headers=creds["comms"]).status_code == 403
    mine = client.get("/api/v1/incidents", headers=creds["comms"]).json()
    assert [i["id"] for i in mine["items"]] == [rep]
    assert client.post("/api/v1/incidents/nope/comments", json={"text": "x"},
                       headers=creds["soc_analyst"]).status_code == 404
    r = client.post(f"/api/v1/incidents/{sec}/alerts", json={"alert_ids": ["missing"]},
                    headers=creds["soc_analyst"])
    assert r.status_code in (404, 409) and set(r.json()) == {"error"}
    r = client.post(f"/api/v1/incidents/{sec}/comments", json={"text": "   "},
                    headers=creds["soc_analyst"])
    assert r.status_code == 400
    assert client.post(f"/api/v1/incidents/{sec}/status", json={"status": "acknowledged"},
                       headers=creds["leader"]).status_code == 403  # leaders read only


def test_suppressions_through_the_api(client, creds) -> None:
    """Create, list and remove a suppression; domains are enforced; audited."""
    body = {"domain": "security", "rule_id": "ssh-bruteforce", "entity": "source.ip=10.20.3.4",
            "reason": "máy quét định kỳ", "expires_at": "2099-01-01T00:00:00Z"}
    r = client.post("/api/v1/suppressions", json=body, headers=creds["soc_analyst"])
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["created_by"] == "u-soc-analyst"
    # comms cannot silence security alerts
    denied = client.post("/api/v1/suppressions", json=body, headers=creds["comms"])
    assert denied.status_code == 403
    listed = client.get("/api/v1/suppressions", headers=creds["soc_analyst"]).json()
    assert [s["id"] for s in listed["items"]] == [sid]
    assert client.get("/api/v1/suppressions", headers=creds["comms"]).json()["items"] == []
    everything = dict(body, rule_id="*", entity="*")
    refused = client.post("/api/v1/suppressions", json=everything, headers=creds["soc_analyst"])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "suppression_refused"
    gone = client.delete(f"/api/v1/suppressions/{sid}", headers=creds["soc_analyst"])
    assert gone.status_code == 200
    assert client.delete(f"/api/v1/suppressions/{sid}",
                         headers=creds["soc_analyst"]).status_code == 404
    audit = client.get("/api/v1/audit", headers=creds["admin"]).json()["items"]
    actions = {a["action"] for a in audit}
    assert {"suppression.create", "suppression.delete"} <= actions
