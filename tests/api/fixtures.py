"""Hand-written documents for the API tests (made up for this project)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from detection.incidents import absorb, new_incident
from store.schema import format_timestamp

NOW = datetime.now(UTC).replace(microsecond=0)


def ts(minutes_ago: float) -> str:
    return format_timestamp(NOW - timedelta(minutes=minutes_ago))


def alert(aid: str, domain: str, severity: str, minutes_ago: float, **extra: Any) -> dict:
    doc = {"id": aid, "@timestamp": ts(minutes_ago), "domain": domain, "severity": severity,
           "status": "new", "message": f"cảnh báo {domain}", "first_seen": ts(minutes_ago),
           "last_seen": ts(minutes_ago), "rule": {"id": f"rule-{domain}", "name": "Quy tắc",
                                                  "level": severity}}
    doc.update(extra)
    return doc


def incident(alerts: list[dict], domain: str, key: str) -> dict:
    inc = new_incident(group_key=f"{domain}|r|{key}", domain=domain, rule_id="r",
                       rule_name=f"Sự cố {key}", entity=("host.name", key),
                       window_start=NOW - timedelta(hours=1), now=NOW - timedelta(minutes=30))
    for a in alerts:
        absorb(inc, a)
    return inc


def entities(*ids: str) -> dict[str, Any]:
    """Entities as ``detection.nlp.enrich`` writes them: objects and the flat id list."""
    return {"entities": [{"id": i, "text": i.split(".")[-1], "label": "LOC"} for i in ids],
            "entities_ids": list(ids)}


ARTICLES = [
    {"id": "a1", "@timestamp": ts(60), "title": "Ngập lụt nghiêm trọng ở Cần Thơ",
     "body": "Mưa lớn gây ngập nhiều tuyến đường quận Ninh Kiều.", "language": "vi",
     "source": {"name": "Báo Phù Sa"}, "story_id": "s-ngap", "topics": ["flooding"],
     **entities("loc.ninh_kieu"), "sentiment": {"label": "negative", "score": -0.7}},
    {"id": "a2", "@timestamp": ts(50), "title": "Cần Thơ khắc phục ngập sau mưa",
     "body": "Thành phố triển khai bơm nước chống ngập.", "language": "vi",
     "source": {"name": "Tin Sông Hậu"}, "story_id": "s-ngap", "topics": ["flooding"],
     **entities("loc.ninh_kieu", "org.ubnd_tp"), "sentiment": {"label": "neutral", "score": 0.0}},
    {"id": "a3", "@timestamp": ts(40), "title": "Lễ hội bánh dân gian Nam Bộ",
     "body": "Du khách đông vui tại bến Ninh Kiều.", "language": "vi",
     "source": {"name": "Nhịp Sống Miền Tây"}, "story_id": "s-le-hoi", "topics": ["tourism"],
     **entities("loc.ninh_kieu"), "sentiment": {"label": "positive", "score": 0.8}},
]


def filebeat_body(n: int = 3) -> bytes:
    """What Filebeat 8 sends to ``/_bulk``: ``create`` actions on a data stream."""
    import json

    lines = []
    for i in range(n):
        lines.append(json.dumps({"create": {"_index": "logs-system.auth-default"}}))
        lines.append(json.dumps({
            "@timestamp": ts(5 + i), "message": f"Failed password for root from 10.0.0.{i} port 22",
            "host": {"name": "fw-trung-tam", "hostname": "fw-trung-tam"},
            "agent": {"type": "filebeat", "version": "8.15.0", "name": "fw-trung-tam"},
            "ecs": {"version": "8.11.0"}, "log": {"file": {"path": "/var/log/auth.log"},
                                                  "offset": 100 * i},
            "input": {"type": "filestream"}, "event": {"dataset": "system.auth"},
            "data_stream": {"type": "logs", "dataset": "system.auth", "namespace": "default"},
            "source": {"ip": f"10.0.0.{i}"}}, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()
