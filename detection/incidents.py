"""The incident model shared by the grouper, triage, suppression and the API.

An *incident* (collection ``incidents``) gathers the alerts of one group, a
rule and an entity, raised within a window, for both audiences: ``security``
alerts (Sigma) and ``reputation`` alerts (watch lists, sentiment spikes,
stories).  This module holds only data and pure functions: the vocabulary
(severities, statuses and the triage state machine), the group key and the
deterministic incident id, the summary an incident keeps of its alerts, and
the shape of timeline and audit entries.  The store is touched by
``detection.grouping``, ``detection.triage`` and ``detection.suppression``.

Errors (all raised by the incident modules, converted to HTTP by the API)::

    IncidentError            root
     ├── NotFound            no incident / alert / suppression with that id (404)
     ├── TriageError         a request that cannot be applied as asked (409/422)
     │    └── InvalidTransition   the state machine forbids this status change
     └── Contention          the document kept changing; retries exhausted (503)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from store.schema import format_timestamp, get_path, parse_timestamp

# --- errors -------------------------------------------------------------------


class IncidentError(Exception):
    """Root of every error the incident modules raise."""


class NotFound(IncidentError, LookupError):
    """No document with that id exists (incident, alert or suppression)."""


class TriageError(IncidentError, ValueError):
    """The request is well-formed but cannot be applied (bad value, closed incident...)."""


class InvalidTransition(TriageError):
    """The triage state machine has no edge from the current status to the one asked."""


class Contention(IncidentError):
    """Optimistic concurrency kept failing: someone else kept changing the document."""


# --- vocabulary -----------------------------------------------------------------

SEVERITIES: tuple[str, ...] = ("informational", "low", "medium", "high", "critical")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
DOMAINS: tuple[str, ...] = ("security", "reputation")

NEW, ACKNOWLEDGED, IN_PROGRESS = "new", "acknowledged", "in_progress"
RESOLVED, FALSE_POSITIVE, REOPENED, MERGED = "resolved", "false_positive", "reopened", "merged"
STATUSES: tuple[str, ...] = (NEW, ACKNOWLEDGED, IN_PROGRESS, RESOLVED, FALSE_POSITIVE,
                             REOPENED, MERGED)
CLOSED: frozenset[str] = frozenset({RESOLVED, FALSE_POSITIVE})
OPEN: tuple[str, ...] = (NEW, ACKNOWLEDGED, IN_PROGRESS, REOPENED)
UNACKNOWLEDGED: frozenset[str] = frozenset({NEW, REOPENED})

# The triage state machine: status -> statuses an analyst may move it to.
# "merged" is reached only through Triage.merge and is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({ACKNOWLEDGED, IN_PROGRESS, RESOLVED, FALSE_POSITIVE}),
    ACKNOWLEDGED: frozenset({IN_PROGRESS, RESOLVED, FALSE_POSITIVE}),
    IN_PROGRESS: frozenset({ACKNOWLEDGED, RESOLVED, FALSE_POSITIVE}),
    RESOLVED: frozenset({REOPENED}),
    FALSE_POSITIVE: frozenset({REOPENED}),
    REOPENED: frozenset({ACKNOWLEDGED, IN_PROGRESS, RESOLVED, FALSE_POSITIVE}),
    MERGED: frozenset(),
}

SYSTEM_ACTOR = "system:incidents"
MAX_TITLE = 200
MAX_ALERT_IDS = 5000  # an incident lists at most this many alert ids; alert_count stays exact

# Which alert field names the entity of a group, first present wins.
SECURITY_ENTITY_FIELDS: tuple[str, ...] = ("host.name", "user.name", "source.ip",
                                           "destination.ip")
REPUTATION_ENTITY_FIELDS: tuple[str, ...] = ("story_id", "entity.id", "watch.id", "topic",
                                             "entity.name")
# Fields gathered into an incident's ``entities`` ("field=value") and ``entity_values``.
SUMMARY_ENTITY_FIELDS: tuple[str, ...] = (
    "host.name", "user.name", "source.ip", "destination.ip",
    "story_id", "entity.id", "entity.name", "watch.id", "topic",
)


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise TriageError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
    return status


def check_transition(current: str, wanted: str) -> None:
    """Raise InvalidTransition unless the state machine allows ``current → wanted``."""
    check_status(wanted)
    allowed = TRANSITIONS.get(current, frozenset())
    if wanted not in allowed:
        options = ", ".join(sorted(allowed)) or "none (final)"
        raise InvalidTransition(
            f"cannot move an incident from {current!r} to {wanted!r}; allowed: {options}")


def max_severity(*values: str | None) -> str:
    known = [v for v in values if v in SEVERITY_RANK]
    return max(known, key=SEVERITY_RANK.__getitem__) if known else "informational"


# --- time -------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


def ts(value: datetime) -> str:
    """The store's canonical timestamp text."""
    return format_timestamp(value)


def alert_time(alert: dict[str, Any]) -> datetime:
    """When an alert happened: its first matched event, else its ``@timestamp``."""
    value = alert.get("first_seen") or alert.get("@timestamp")
    if value is None:
        raise ValueError("alert has neither first_seen nor @timestamp")
    return parse_timestamp(value)


def alert_last_time(alert: dict[str, Any]) -> datetime:
    value = alert.get("last_seen") or alert.get("@timestamp") or alert.get("first_seen")
    return parse_timestamp(value)


# --- text ------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def clean_text(text: Any, limit: int) -> str:
    """NFC, whitespace collapsed, at most ``limit`` characters (NFC keeps
    Vietnamese letters whole, so a cut never splits a letter from its marks)."""
    out = _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


# --- groups -------------------------------------------------------------------------


def alert_domain(alert: dict[str, Any]) -> str:
    domain = alert.get("domain") or "security"
    return domain if domain in DOMAINS else "security"


def _values(alert: dict[str, Any], field: str) -> list[str]:
    value = get_path(alert, field)
    if value is None or value == "" or value == []:
        return []
    items = value if isinstance(value, list) else [value]
    return [unicodedata.normalize("NFC", str(v)) for v in items if v not in (None, "")]


def entity_hint(alert: dict[str, Any]) -> tuple[str, str] | None:
    """The entity the detection named itself (``entity: {field, value}``, e.g. a
    correlation's group-by values), or None."""
    hint = alert.get("entity")
    if isinstance(hint, dict) and hint.get("field") and hint.get("value") not in (None, ""):
        return str(hint["field"]), unicodedata.normalize("NFC", str(hint["value"]))
    return None


def entity_of(alert: dict[str, Any], fields: Iterable[str]) -> tuple[str, str] | None:
    """``(field, value)``: the alert's own entity hint, else the first of
    ``fields`` it carries, else None."""
    hint = entity_hint(alert)
    if hint is not None:
        return hint
    for field in fields:
        values = _values(alert, field)
        if values:
            return field, values[0]
    return None


def rule_of(alert: dict[str, Any]) -> tuple[str, str]:
    """``(rule id, rule name)``; ValueError when the alert names no rule."""
    rule_id = get_path(alert, "rule.id") or get_path(alert, "rule.uuid")
    name = get_path(alert, "rule.name") or get_path(alert, "rule.title") or rule_id
    if not rule_id:
        raise ValueError("alert has no rule.id")
    return str(rule_id), clean_text(name, MAX_TITLE)


def make_group_key(domain: str, rule_id: str, entity: tuple[str, str] | None) -> str:
    """``security|<rule id>|host.name=web-1``: readable, stable, one per group."""
    ent = f"{entity[0]}={entity[1]}" if entity else "-"
    return f"{domain}|{rule_id}|{ent}"


def incident_id(group_key: str, window_start: datetime) -> str:
    """Deterministic: the same group and window always give the same id."""
    raw = f"{group_key}\0{ts(window_start)}".encode()
    return "inc-" + hashlib.sha256(raw).hexdigest()[:24]


def entity_label(alert: dict[str, Any]) -> str | None:
    """The display name the detection gave its entity (``entity.label``: a
    place's name rather than its gazetteer id), or None."""
    hint = alert.get("entity")
    label = hint.get("label") if isinstance(hint, dict) else None
    return unicodedata.normalize("NFC", str(label)) if label else None


def make_title(rule_name: str, entity: tuple[str, str] | None,
               label: str | None = None) -> str:
    """``Đăng nhập SSH thất bại liên tục · web-1`` (NFC, bounded); ``label``
    stands for the entity's value when given."""
    shown = label or (entity[1] if entity else None)
    text = f"{rule_name} · {shown}" if shown else rule_name
    return clean_text(text, MAX_TITLE)


# --- the incident document ------------------------------------------------------------


def new_incident(*, group_key: str, domain: str, rule_id: str, rule_name: str,
                 entity: tuple[str, str] | None, window_start: datetime,
                 now: datetime, label: str | None = None) -> dict[str, Any]:
    """An empty incident for one group; ``absorb`` then adds its alerts."""
    start = ts(window_start)
    return {
        "id": incident_id(group_key, window_start),
        "@timestamp": start,
        "title": make_title(rule_name, entity, label),
        "domain": domain,
        "status": NEW,
        "severity": "informational",
        "severity_rank": 0,
        "risk_score": 0.0,
        "rule": {"id": rule_id, "name": rule_name},
        "rule_ids": [rule_id],
        "group_key": group_key,
        "group_keys": [group_key],
        "window_start": start,
        "entity": {"field": entity[0], "value": entity[1]} if entity else None,
        "alert_ids": [],
        "alert_ids_truncated": False,
        "alert_count": 0,
        "first_seen": start,
        "last_seen": start,
        "entities": [],
        "entity_values": [],
        "tactics": [],
        "techniques": [],
        "assignee": None,
        "comments": [],
        "timeline": [],
        "created_at": ts(now),
        "acknowledged_at": None,
        "resolved_at": None,
        "updated_at": ts(now),
        "merged_into": None,
    }


def _union(existing: list[Any] | None, new: Iterable[Any]) -> list[Any]:
    out = list(existing or [])
    seen = set(out)
    for v in new:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def absorb(incident: dict[str, Any], alert: dict[str, Any]) -> bool:
    """Add one alert to an incident's summary, in place.  Idempotent: an alert
    already listed changes nothing (returns False)."""
    alert_id = alert["id"]
    if alert_id in incident.get("alert_ids", ()):
        return False
    if len(incident.get("alert_ids", ())) < MAX_ALERT_IDS:
        incident["alert_ids"] = [*incident.get("alert_ids", []), alert_id]
    else:
        incident["alert_ids_truncated"] = True
    incident["alert_count"] = int(incident.get("alert_count") or 0) + 1
    severity = max_severity(incident.get("severity"), alert_severity(alert))
    incident["severity"] = severity
    incident["severity_rank"] = SEVERITY_RANK[severity]
    risk = alert.get("risk_score")
    if isinstance(risk, int | float) and not isinstance(risk, bool):
        incident["risk_score"] = max(float(incident.get("risk_score") or 0.0), float(risk))
    first, last = alert_time(alert), alert_last_time(alert)
    if incident.get("alert_count") == 1 or first < parse_timestamp(incident["first_seen"]):
        incident["first_seen"] = ts(first)
    if incident.get("alert_count") == 1 or last > parse_timestamp(incident["last_seen"]):
        incident["last_seen"] = ts(last)
    incident["@timestamp"] = incident["first_seen"]
    pairs = [(f, v) for f in SUMMARY_ENTITY_FIELDS for v in _values(alert, f)]
    hint = entity_hint(alert)
    if hint is not None and hint not in pairs:
        pairs.append(hint)
    incident["entities"] = _union(incident.get("entities"), (f"{f}={v}" for f, v in pairs))
    incident["entity_values"] = _union(incident.get("entity_values"), (v for _, v in pairs))
    incident["tactics"] = _union(incident.get("tactics"), _values(alert, "threat.tactic.id"))
    incident["techniques"] = _union(incident.get("techniques"),
                                    _values(alert, "threat.technique.id"))
    with_rule = get_path(alert, "rule.id")
    if with_rule:
        incident["rule_ids"] = _union(incident.get("rule_ids"), [str(with_rule)])
    return True


def alert_severity(alert: dict[str, Any]) -> str | None:
    """The alert's severity, else its rule's level; None when neither is known."""
    for value in (alert.get("severity"), get_path(alert, "rule.level")):
        if isinstance(value, str) and value.lower() in SEVERITY_RANK:
            return value.lower()
    return None


def summarise(incident: dict[str, Any], alerts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Recompute an incident's summary from scratch over ``alerts`` (after alerts
    were moved away); triage state, comments and timeline are kept."""
    out = dict(incident)
    out.update({"alert_ids": [], "alert_ids_truncated": False, "alert_count": 0,
                "severity": "informational", "severity_rank": 0, "risk_score": 0.0,
                "entities": [], "entity_values": [], "tactics": [], "techniques": []})
    for alert in sorted(alerts, key=lambda a: (alert_time(a), a["id"])):
        absorb(out, alert)
    return out


# --- timeline and audit -------------------------------------------------------------


def timeline_entry(actor: str, action: str, at: datetime, *, from_: str | None = None,
                   to: str | None = None, note: str | None = None,
                   **extra: Any) -> dict[str, Any]:
    """One change in an incident's life: who, when, what, from → to.

    ``from``/``to`` are always text or null (one mapping on every backend)."""
    entry = {"id": uuid.uuid4().hex, "at": ts(at), "actor": actor, "action": action,
             "from": from_, "to": to, "note": note}
    entry.update(extra)
    return entry


def audit_entry(entry: dict[str, Any], incident_id_: str) -> dict[str, Any]:
    """The ``audit`` document for one timeline entry (same id: written once)."""
    details = {k: v for k, v in entry.items() if k not in ("id", "at", "actor", "action")}
    return {"id": f"incident:{entry['id']}", "@timestamp": entry["at"], "actor": entry["actor"],
            "action": f"incident.{entry['action']}", "target": f"incidents/{incident_id_}",
            "details": details}


def check_actor(actor: Any) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise TriageError("actor must be a non-empty string")
    return clean_text(actor, 200)
