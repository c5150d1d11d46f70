"""Every area end to end through the real app, on every backend: ingest,
events, alerts, incidents and triage, articles, sources, summary, audit."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from canhgac import sample
from store.query import Term
from tests.api.fixtures import ARTICLES, NOW, alert, filebeat_body, incident, ts


def _ndjson(docs) -> bytes:
    return b"".join(json.dumps(d, ensure_ascii=False).encode() + b"\n" for d in docs)


def test_end_to_end(client_all: TestClient, creds_all, store) -> None:
    c, h = client_all, creds_all
    assert c.get("/readyz").json()["store"] == store.backend
    events = list(sample.events(40, start=NOW.replace(tzinfo=None)))
    r = c.post("/api/v1/events/ingest", content=_ndjson(events) + b"{not json}\n",
               headers={**h["ingest"], "content-type": "application/x-ndjson"})
    body = r.json()
    assert r.status_code == 200 and body["written"] == 40 and len(body["errors"]) == 1
    assert body["errors"][0]["line"] == 41
    r = c.post("/_bulk", content=filebeat_body(3), headers={**h["ingest"],
                                                            "content-type": "application/x-ndjson"})
    assert r.json()["errors"] is False and len(r.json()["items"]) == 3
    store.refresh()
    # events: list with filters, search, get, timeline, aggregate
    page = c.get("/api/v1/events", params={"host": "fw-trung-tam", "size": 2, "order": "asc"},
                 headers=h["soc_analyst"]).json()
    assert page["total"] >= 3 and len(page["items"]) == 2 and page["next_cursor"]
    nxt = c.get("/api/v1/events", params={"host": "fw-trung-tam", "size": 2, "order": "asc",
                                          "cursor": page["next_cursor"]},
                headers=h["soc_analyst"]).json()
    assert {e["event"]["id"] for e in nxt["items"]}.isdisjoint(
        {e["event"]["id"] for e in page["items"]})
    found = c.post("/api/v1/events/search", json={
        "query": {"term": {"event.dataset": "system.auth"}}, "q": "failed password root"},
        headers=h["soc_analyst"]).json()
    assert found["total"] >= 3
    eid = found["items"][0]["event"]["id"]
    assert c.get(f"/api/v1/events/{eid}", headers=h["leader"]).json()["event"]["id"] == eid
    tl = c.get(f"/api/v1/events/{eid}/timeline", params={"minutes": 60},
               headers=h["soc_analyst"]).json()
    assert any(e["event"]["id"] == eid for e in tl["items"])
    aggs = c.post("/api/v1/events/aggregate", json={
        "aggs": {"hosts": {"terms": {"field": "host.name", "size": 3}},
                 "hourly": {"date_histogram": {"field": "@timestamp", "interval": "1h"}}},
        "since": ts(24 * 60), "until": ts(-24 * 60)}, headers=h["soc_analyst"]).json()
    assert len(aggs["aggregations"]["hosts"]) == 3
    # alerts and incidents (written as the detection room writes them)
    sec = [alert("al-1", "security", "high", 20, event_ids=[eid], **{"host": {"name": "web-1"}}),
           alert("al-2", "security", "low", 10), alert("al-3", "security", "medium", 5)]
    rep = [alert("al-9", "reputation", "medium", 15, article_ids=["a1"])]
    store.bulk("alerts", sec + rep)
    store.bulk("articles", ARTICLES)
    inc_a, inc_b = incident(sec[:2], "security", "web-1"), incident(sec[2:], "security", "web-2")
    inc_r = incident(rep, "reputation", "ngap")
    store.bulk("incidents", [inc_a, inc_b, inc_r])
    store.refresh()
    soc = c.get("/api/v1/alerts", params={"severity": ["high", "medium"]},
                headers=h["soc_analyst"]).json()
    assert {a["id"] for a in soc["items"]} == {"al-1", "al-3"}
    assert {a["id"] for a in c.get("/api/v1/alerts", headers=h["comms"]).json()["items"]} == {
        "al-9"}
    one = c.get("/api/v1/alerts/al-1", headers=h["soc_analyst"]).json()
    assert [e["event"]["id"] for e in one["events"]] == [eid]
    assert c.get("/api/v1/alerts/al-1", headers=h["comms"]).status_code == 403
    assert c.get("/api/v1/alerts/al-9", headers=h["comms"]).json()["articles"][0]["id"] == "a1"
    ent = c.get("/api/v1/alerts", params={"entity": "web-1"}, headers=h["leader"]).json()
    assert [a["id"] for a in ent["items"]] == ["al-1"]
    # triage: every action is in the timeline and the audit log
    iid = inc_a["id"]
    base = f"/api/v1/incidents/{iid}"
    s = h["soc_analyst"]
    assert c.post(f"{base}/status", json={"status": "acknowledged", "note": "xem"},
                  headers=s).status_code == 200
    assert c.post(f"{base}/assign", json={"assignee": "u-soc-analyst"}, headers=s).status_code == 200
    assert c.post(f"{base}/comments", json={"text": "Đã chặn IP"}, headers=s).status_code == 200
    assert c.post(f"{base}/merge", json={"source_ids": [inc_b["id"]]}, headers=s).status_code == 200
    assert c.post(f"{base}/alerts", json={"alert_ids": ["al-2"]}, headers=s).status_code == 200
    bad = c.post(f"{base}/status", json={"status": "closed"}, headers=s)
    assert bad.status_code == 422  # not a status at all
    again = c.post(f"{base}/status", json={"status": "reopened"}, headers=s)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    assert c.post(f"/api/v1/incidents/{inc_r['id']}/comments", json={"text": "x"},
                  headers=s).status_code == 403  # reputation incident, security analyst
    got = c.get(base, headers=h["leader"]).json()
    actions = [e["action"] for e in got["incident"]["timeline"]]
    assert actions[:3] == ["status", "assign", "comment"] and "merge" in actions
    assert {a["id"] for a in got["alerts"]} >= {"al-1", "al-2", "al-3"}
    store.refresh("audit")
    audit = c.get("/api/v1/audit", params={"actor": "u-soc-analyst", "size": 50},
                  headers=h["admin"]).json()["items"]
    done = {e["action"] for e in audit if e.get("target") == f"incidents/{iid}"}
    assert {"incident.status", "incident.assign", "incident.comment"} <= done
    assert any(e["action"].startswith("incident.merge") for e in audit)
    listed = c.get("/api/v1/incidents", params={"status": ["acknowledged"]},
                   headers=s).json()["items"]
    assert [i["id"] for i in listed] == [iid]
    # articles: diacritics optional, stories, stats, label corrections
    arts = c.get("/api/v1/articles", params={"q": "can tho ngap"}, headers=h["comms"]).json()
    assert {a["id"] for a in arts["items"]} == {"a1", "a2"}
    stories = c.get("/api/v1/articles/stories", headers=h["comms"]).json()["items"]
    assert stories[0]["story_id"] == "s-ngap" and stories[0]["articles"] == 2
    stats = c.get("/api/v1/articles/stats", headers=h["leader"]).json()
    assert stats["entities"][0] == {"key": "loc.ninh_kieu", "count": 3}
    assert c.get("/api/v1/articles", params={"entity": "org.ubnd_tp"},
                 headers=h["comms"]).json()["total"] == 1
    lab = c.post("/api/v1/articles/a2/labels", json={"sentiment": "negative", "note": "sai"},
                 headers=h["comms"])
    assert lab.status_code == 200
    assert store.get("articles", "a2").source["corrected"] == {"sentiment": "negative"}
    # sources and collector health
    assert c.post("/api/v1/sources", json={"id": "baocantho-rss", "name": "Báo Phù Sa",
                                           "url": "https://baocantho.example/rss"},
                  headers=h["admin"]).status_code == 201
    store.put("checkpoints", {"id": "health:baocantho-rss", "status": "ok", "@timestamp": ts(1)},
              refresh=True)
    assert c.patch("/api/v1/sources/baocantho-rss", json={"enabled": False},
                   headers=h["admin"]).json()["enabled"] is False
    store.refresh()
    srcs = c.get("/api/v1/sources", headers=h["leader"]).json()["items"]
    assert srcs[0]["health"]["status"] == "ok" and srcs[0]["enabled"] is False
    assert c.get("/api/v1/collectors/health", headers=h["admin"]).json()["items"][0]["id"] == (
        "baocantho-rss")
    # the leader's summary
    summ = c.get("/api/v1/summary", headers=h["leader"]).json()
    assert summ["open_incidents"]["by_severity"].get("medium") == 1
    assert summ["week_over_week"]["articles"]["current"] == 3
    assert summ["top_stories"][0]["story_id"] == "s-ngap"
    assert sum(b["count"] for b in summ["alerts_per_day"]["security"]) == 3
    assert summ["mtta"]["count"] >= 1
    assert store.count("audit", Term("action", "source.update")) == 1
