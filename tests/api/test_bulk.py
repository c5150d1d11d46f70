"""The Elasticsearch-compatible ``_bulk`` and NDJSON ingest, as shippers use them."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from store.query import Term
from tests.api.fixtures import filebeat_body, ts

ND = {"content-type": "application/x-ndjson"}


def test_filebeat_body_is_stored_and_answered_like_elasticsearch(
        client: TestClient, creds, db) -> None:
    r = client.post("/_bulk", content=filebeat_body(3), headers={**creds["ingest"], **ND})
    assert r.status_code == 200 and r.headers["x-elastic-product"] == "Elasticsearch"
    body = r.json()
    assert set(body) == {"took", "errors", "items"} and body["errors"] is False
    banner = client.get("/", headers=creds["ingest"]).json()
    assert banner["version"]["number"].startswith("8.")
    health = client.get("/_cluster/health", headers=creds["ingest"])
    assert health.json()["status"] == "green"
    for item in body["items"]:
        (action, res), = item.items()
        assert action == "create" and res["status"] == 201 and res["result"] == "created"
        assert res["_index"] == "logs-system.auth-default" and res["_id"]
    assert db.count("events", Term("host.name", "fw-trung-tam")) == 3
    stored = db.get("events", body["items"][0]["create"]["_id"]).source
    assert stored["event"]["dataset"] == "system.auth" and stored["event"]["ingested"]
    # a replay (Filebeat retries after a timeout) changes nothing
    again = client.post("/_bulk", content=filebeat_body(3), headers={**creds["ingest"], **ND})
    assert [i["create"]["status"] for i in again.json()["items"]] == [200, 200, 200]
    assert db.count("events") == 3


def test_per_item_errors_and_dead_letters(client: TestClient, creds, db) -> None:
    lines = [
        {"index": {"_index": "logs-nginx.access-default", "_id": "ev-1"}},
        {"@timestamp": ts(1), "message": "GET / 200"},
        {"index": {"_index": "logs-nginx.access-default"}},
        {"message": "no timestamp here"},
        {"delete": {"_index": "x", "_id": "ev-1"}},
        {"update": {"_id": "ev-1"}},
        {"doc": {"message": "x"}},
        {"create": {}},
        {"@timestamp": ts(2), "source": {"ip": "not-an-ip"}},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n{broken\n"
    r = client.post("/logs-nginx.access-default/_bulk", content=text.encode(),
                    headers={**creds["ingest"], **ND})
    items = r.json()["items"]
    assert r.json()["errors"] is True
    statuses = [next(iter(i.values()))["status"] for i in items]
    assert statuses == [201, 400, 400, 400, 400, 400]
    assert items[0]["index"]["_id"] == "ev-1"
    assert "@timestamp" in items[1]["index"]["error"]["reason"]
    assert items[2]["delete"]["error"]["type"] == "action_not_supported"
    assert "source.ip" in items[4]["create"]["error"]["reason"]
    assert db.count("events") == 1
    assert db.count("dead_letters") == 5


def test_ndjson_ingest_reports_lines(client: TestClient, creds, db) -> None:
    good = {"@timestamp": ts(3), "message": "Đăng nhập thành công", "host": {"name": "mail-ubnd"},
            "event": {"dataset": "system.auth", "id": "fixed-id-1"}}
    body = (json.dumps(good, ensure_ascii=False) + "\n\n[1,2]\n" +
            json.dumps(good, ensure_ascii=False) + "\n").encode()
    r = client.post("/api/v1/events/ingest", content=body, headers={**creds["ingest"], **ND})
    out = r.json()
    assert out["received"] == 3 and out["written"] == 1 and out["existing"] == 1
    assert out["errors"] == [{"line": 3, "id": None,
                              "reason": "a document must be a JSON object"}]
    assert db.get("events", "fixed-id-1").source["message"] == "Đăng nhập thành công"


def test_ingest_role_only_writes(client: TestClient, creds) -> None:
    assert client.post("/_bulk", content=filebeat_body(1),
                       headers={**creds["soc_analyst"], **ND}).status_code == 403
    assert client.get("/api/v1/events", headers=creds["ingest"]).status_code == 403
