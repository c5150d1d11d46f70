"""Alerts: what a Sigma rule (or correlation) raises, as stored in ``alerts``.

Shape of an alert document (the incident grouper reads this)::

    id               sha256(rule id + "\\0" + event id)[:40] for a single-event rule;
                     sha256(rule id + group key + window start)[:40] for a correlation
    @timestamp       detection time (UTC, store format)
    domain           "security"
    status           "open"
    kind             "sigma" | "correlation"
    rule             {id, name (title), level, tags[], references[], author, description}
    severity         informational | low | medium | high | critical (from the level)
    risk_score       10 | 25 | 50 | 75 | 95 (from the level)
    threat           {framework: "MITRE ATT&CK", tactic: {id[], name[]}, technique: {id[]}}
                     from tags: attack.t1059.001 -> T1059.001, attack.execution -> TA0002
    event_ids        matched event ids (every one for a rule; up to max_alert_events
                     for a correlation, ``event_count`` holds the full count)
    event_count      number of matched events
    first_seen, last_seen   @timestamp of the first and last matched event
    host.name, user.name, source.ip, destination.ip, process.executable
                     entity fields of the (first) matched event, when present
    group_key        "<rule id>|<entity>" hint: the correlation's group-by values, else the
                     first present of host.name, user.name, source.ip (entity fields)
    entity           {field, value} the group_key names (absent when no entity)
    correlation      {type, group_by{field: value}, window_start, window_end} (correlations)
    message          "<title> on <entity>" one-line summary

Writes go with ``mode="create"``: the same match found again (overlap,
restart) is counted as existing, never duplicated, and never overwrites the
triage state the incident engine or an analyst put on it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from store.base import BulkResult, Store
from store.schema import format_timestamp, get_path

RISK_SCORE = {"informational": 10, "low": 25, "medium": 50, "high": 75, "critical": 95}
ENTITY_FIELDS = ("host.name", "user.name", "source.ip", "destination.ip", "process.executable")
GROUP_ENTITY_ORDER = ("host.name", "user.name", "source.ip")
TACTICS = {
    "reconnaissance": "TA0043", "resource_development": "TA0042", "initial_access": "TA0001",
    "execution": "TA0002", "persistence": "TA0003", "privilege_escalation": "TA0004",
    "defense_evasion": "TA0005", "credential_access": "TA0006", "discovery": "TA0007",
    "lateral_movement": "TA0008", "collection": "TA0009", "command_and_control": "TA0011",
    "exfiltration": "TA0010", "impact": "TA0040",
}
_TECHNIQUE = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.I)


def alert_id(*parts: str) -> str:
    """Deterministic id from the parts (rule id, event id / group key, window)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]


def attack_from_tags(tags: Iterable[str]) -> dict[str, Any]:
    """ATT&CK tactic and technique ids named by Sigma tags."""
    tactics_id, tactics_name, techniques = [], [], []
    for tag in tags:
        tag = str(tag).lower()
        m = _TECHNIQUE.match(tag)
        if m:
            tid = m.group(1).upper()
            if tid not in techniques:
                techniques.append(tid)
            continue
        if tag.startswith("attack."):
            name = tag[7:].replace("-", "_")
            if name in TACTICS and TACTICS[name] not in tactics_id:
                tactics_id.append(TACTICS[name])
                tactics_name.append(name.replace("_", " ").title())
    if not (tactics_id or techniques):
        return {}
    return {"framework": "MITRE ATT&CK",
            "tactic": {"id": tactics_id, "name": tactics_name},
            "technique": {"id": techniques}}


def rule_meta(rule: Any, rule_id: str) -> dict[str, Any]:
    """The ``rule`` object of an alert from a pySigma rule."""
    level = getattr(getattr(rule, "level", None), "name", None)
    level = (level or "medium").lower()
    return {
        "id": rule_id, "name": rule.title or rule_id, "level": level,
        "tags": [str(t) for t in (rule.tags or [])],
        "references": [str(r) for r in (getattr(rule, "references", None) or [])],
        "author": getattr(rule, "author", None),
        "description": getattr(rule, "description", None),
    }


def _entity(source: dict[str, Any], group: dict[str, Any] | None) -> tuple[str | None, Any]:
    if group:
        field = ",".join(sorted(group))
        return field, ",".join(str(group[k]) for k in sorted(group))
    for f in GROUP_ENTITY_ORDER:
        v = get_path(source, f)
        if v not in (None, "", []):
            return f, v if not isinstance(v, list) else v[0]
    return None, None


def build_alert(meta: dict[str, Any], alert_key: str, events: list[dict[str, Any]], *,
                kind: str = "sigma", event_count: int | None = None,
                correlation: dict[str, Any] | None = None,
                now: datetime | None = None) -> dict[str, Any]:
    """One alert document for ``events`` (matched event sources, oldest first)."""
    level = meta["level"] if meta["level"] in RISK_SCORE else "medium"
    stamps = sorted(str(t) for t in (get_path(e, "@timestamp") for e in events) if t)
    first = events[0] if events else {}
    doc: dict[str, Any] = {
        "id": alert_id(meta["id"], alert_key),
        "@timestamp": format_timestamp(now or datetime.now(UTC)),
        "domain": "security", "status": "open", "kind": kind,
        "rule": meta, "severity": level, "risk_score": float(RISK_SCORE[level]),
        "event_ids": [get_path(e, "event.id") for e in events],
        "event_count": event_count if event_count is not None else len(events),
        "first_seen": stamps[0] if stamps else None,
        "last_seen": stamps[-1] if stamps else None,
    }
    threat = attack_from_tags(meta.get("tags") or [])
    if threat:
        doc["threat"] = threat
    for f in ENTITY_FIELDS:
        v = get_path(first, f)
        if isinstance(v, list):
            v = v[0] if v else None
        if v not in (None, ""):
            head, _, tail = f.partition(".")
            doc.setdefault(head, {})[tail] = v
    group = (correlation or {}).get("group_by")
    if group:
        for f, v in group.items():
            if f in ENTITY_FIELDS and v is not None:
                head, _, tail = f.partition(".")
                doc.setdefault(head, {})[tail] = v
    field, value = _entity(first, group)
    doc["group_key"] = f"{meta['id']}|{value}" if value is not None else meta["id"]
    if field:
        doc["entity"] = {"field": field, "value": str(value)}
    if correlation:
        doc["correlation"] = correlation
    doc["message"] = f"{meta['name']}" + (f" on {value}" if value is not None else "")
    return doc


def write_alerts(store: Store, alerts: list[dict[str, Any]]) -> BulkResult:
    """Store alerts idempotently (``create``: a known id is left as it is)."""
    if not alerts:
        return BulkResult()
    return store.bulk("alerts", alerts, mode="create")
