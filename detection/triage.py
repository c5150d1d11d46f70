"""Triage: what analysts (through the API or the CLI) do to incidents.

Every change goes through ``Triage._mutate``: read the incident with its
version, apply the change to a copy, write it back with ``if_version``; on a
ConflictError (someone else wrote meanwhile) read again and re-apply, so two
analysts acting at once never lose each other's change.  Each change appends
an entry to the incident's ``timeline`` (who, when, what, from → to) and
writes the same entry to the ``audit`` collection.

Errors: ``NotFound`` (unknown id), ``TriageError`` / ``InvalidTransition``
(bad request, forbidden status change), ``Contention`` (retries exhausted);
see ``detection.incidents``.
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from detection.incident_metrics import metrics
from detection.incidents import (
    CLOSED,
    DOMAINS,
    MERGED,
    REOPENED,
    SEVERITIES,
    SEVERITY_RANK,
    UNACKNOWLEDGED,
    Contention,
    NotFound,
    TriageError,
    absorb,
    audit_entry,
    check_actor,
    check_status,
    check_transition,
    clean_text,
    summarise,
    timeline_entry,
    ts,
    utcnow,
)
from store.base import Store
from store.errors import ConflictError
from store.query import Bool, Exists, Match, Query, Range, Sort, Term, Terms
from store.schema import parse_timestamp

__all__ = ["Triage", "metrics"]

MAX_COMMENT = 10_000
MAX_PAGE = 500
SORTS: dict[str, list[Sort]] = {
    "severity": [Sort("severity_rank", "desc"), Sort("@timestamp", "asc")],
    "newest": [Sort("@timestamp", "desc")],
    "oldest": [Sort("@timestamp", "asc")],
    "updated": [Sort("updated_at", "desc")],
}
Change = Callable[[dict[str, Any], datetime], list[dict[str, Any]]]


class Triage:
    """Read and change incidents on one store."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow,
                 retries: int = 8) -> None:
        self.store = store
        self.clock = clock
        self.retries = retries
        self.conflicts = 0  # ConflictErrors met and retried (for tests and metrics)

    # -- reads ------------------------------------------------------------------------
    def get(self, incident_id: str) -> dict[str, Any]:
        """The incident, or NotFound."""
        return self._load(incident_id).source

    def alerts(self, incident_id: str, *, size: int = 100,
               cursor: str | None = None) -> dict[str, Any]:
        """The incident's alerts, oldest first (one page)."""
        self._load(incident_id)
        page = self.store.search("alerts", Term("incident_id", incident_id),
                                 sort=[Sort("@timestamp", "asc")], size=_size(size),
                                 cursor=cursor)
        return {"items": [h.source for h in page.hits], "total": page.total,
                "cursor": page.cursor}

    def list(self, *, severity: str | Iterable[str] | None = None,
             status: str | Iterable[str] | None = None, domain: str | None = None,
             assignee: str | None = None, unassigned: bool = False, entity: str | None = None,
             since: datetime | str | None = None, until: datetime | str | None = None,
             text: str | None = None, sort: str = "severity", size: int = 50,
             cursor: str | None = None) -> dict[str, Any]:
        """One page of incidents: ``{"items", "total", "cursor"}``.

        Filters combine (AND): severities, statuses, domain, assignee (or
        ``unassigned``; merged incidents only when ``status`` names them),
        entity (a value such as ``web-1`` or ``field=value``),
        a time range (incidents active within it), words of the title.  Sorted
        by severity (highest first) then age (oldest first) unless ``sort``
        is ``newest``, ``oldest`` or ``updated``."""
        if sort not in SORTS:
            raise TriageError(f"unknown sort {sort!r}; known: {', '.join(SORTS)}")
        filters: list[Query] = []
        must_not: list[Query] = []
        if severity:
            values = _many(severity)
            for v in values:
                if v not in SEVERITY_RANK:
                    raise TriageError(f"unknown severity {v!r}; known: {', '.join(SEVERITIES)}")
            filters.append(Terms("severity", values))
        if status:
            values = [check_status(v) for v in _many(status)]
            filters.append(Terms("status", values))
        else:  # merged incidents live on in their target; list them only when asked
            must_not.append(Term("status", MERGED))
        if domain:
            if domain not in DOMAINS:
                raise TriageError(f"unknown domain {domain!r}; known: {', '.join(DOMAINS)}")
            filters.append(Term("domain", domain))
        if unassigned:
            must_not.append(Exists("assignee"))
        elif assignee:
            filters.append(Term("assignee", assignee))
        if entity:
            field = "entities" if "=" in entity else "entity_values"
            filters.append(Term(field, clean_text(entity, 500)))
        if since is not None:
            filters.append(Range("last_seen", gte=_when(since)))
        if until is not None:
            filters.append(Range("first_seen", lte=_when(until)))
        if text:
            filters.append(Match(text, "title"))
        query = Bool(filter=filters, must_not=must_not) if filters or must_not else None
        page = self.store.search("incidents", query, sort=SORTS[sort], size=_size(size),
                                 cursor=cursor)
        return {"items": [h.source for h in page.hits], "total": page.total,
                "cursor": page.cursor}

    # -- changes ----------------------------------------------------------------------
    def set_status(self, incident_id: str, status: str, actor: str,
                   note: str | None = None) -> dict[str, Any]:
        """Move the incident along the state machine (see ``TRANSITIONS``)."""
        actor = check_actor(actor)
        check_status(status)
        note = clean_text(note, MAX_COMMENT) if note else None

        def change(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
            current = doc.get("status", "new")
            check_transition(current, status)
            if current in UNACKNOWLEDGED and doc.get("acknowledged_at") is None:
                doc["acknowledged_at"] = ts(now)
            if status in CLOSED:
                doc["resolved_at"] = ts(now)
            elif status == REOPENED:
                doc["resolved_at"] = None
            doc["status"] = status
            return [timeline_entry(actor, "status", now, from_=current, to=status, note=note)]

        return self._mutate(incident_id, change)

    def acknowledge(self, incident_id: str, actor: str, note: str | None = None) -> dict[str, Any]:
        return self.set_status(incident_id, "acknowledged", actor, note)

    def assign(self, incident_id: str, assignee: str | None, actor: str) -> dict[str, Any]:
        """Give the incident to ``assignee`` (None or "" takes it back)."""
        actor = check_actor(actor)
        who = clean_text(assignee, 200) if assignee and assignee.strip() else None

        def change(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
            before = doc.get("assignee")
            if before == who:
                return []
            doc["assignee"] = who
            return [timeline_entry(actor, "assign", now, from_=before, to=who)]

        return self._mutate(incident_id, change)

    def comment(self, incident_id: str, text: str, actor: str) -> dict[str, Any]:
        """Add a comment (NFC, at most 10,000 characters)."""
        actor = check_actor(actor)
        if not isinstance(text, str) or not text.strip():
            raise TriageError("a comment needs some text")
        if len(text) > MAX_COMMENT:
            raise TriageError(f"a comment is at most {MAX_COMMENT} characters")
        body = unicodedata.normalize("NFC", text.strip())

        def change(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
            entry = timeline_entry(actor, "comment", now)
            entry["to"] = entry["id"]
            doc["comments"] = [*doc.get("comments", []),
                               {"id": entry["id"], "at": entry["at"], "author": actor,
                                "text": body}]
            return [entry]

        return self._mutate(incident_id, change, allow_merged=False)

    def link_alerts(self, incident_id: str, alert_ids: Iterable[str],
                    actor: str) -> dict[str, Any]:
        """Attach alerts to this incident (moving them from any other incident)."""
        actor = check_actor(actor)
        ids = _unique(alert_ids)
        if not ids:
            raise TriageError("no alert ids given")
        alerts = self._alerts_by_id(ids)
        self._load(incident_id, allow_merged=False)
        previous = {a["incident_id"] for a in alerts if a.get("incident_id")} - {incident_id}

        def change(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
            before = doc.get("alert_count", 0)
            added = [a["id"] for a in alerts if absorb(doc, a)]
            if not added:
                return []
            return [timeline_entry(actor, "link_alerts", now, from_=str(before),
                                   to=str(doc["alert_count"]), alert_ids=added)]

        out = self._mutate(incident_id, change, allow_merged=False)
        self._stamp_all(ids, incident_id)
        for old in sorted(previous):
            self._recount(old, actor, f"alerts moved to {incident_id}")
        return out

    def merge(self, target_id: str, source_ids: Iterable[str], actor: str) -> dict[str, Any]:
        """Fold ``source_ids`` into ``target_id``: their alerts move to the target,
        the sources become ``merged`` (final) and point to it."""
        actor = check_actor(actor)
        sources = _unique(source_ids)
        if not sources:
            raise TriageError("no incidents to merge")
        if target_id in sources:
            raise TriageError("an incident cannot be merged into itself")
        target = self._load(target_id, allow_merged=False).source
        loaded = []
        for sid in sources:
            src = self._load(sid).source
            if src.get("status") == MERGED:
                if src.get("merged_into") == target_id:
                    continue  # done by an earlier call: idempotent
                raise TriageError(f"incident {sid} is already merged into {src['merged_into']}")
            if src.get("domain") != target.get("domain"):
                raise TriageError(f"incident {sid} is a {src.get('domain')} incident, "
                                  f"{target_id} a {target.get('domain')} one")
            loaded.append(src)
        alert_ids = _unique(a for src in loaded for a in self._alert_ids_of(src))
        alerts = self._alerts_by_id(alert_ids, missing_ok=True)
        merged_ids = [s["id"] for s in loaded]

        def into(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
            for src in loaded:
                doc["group_keys"] = _union(doc.get("group_keys"), src.get("group_keys") or [])
                doc["rule_ids"] = _union(doc.get("rule_ids"), src.get("rule_ids") or [])
            before = doc.get("alert_count", 0)
            for alert in alerts:
                absorb(doc, alert)
            return [timeline_entry(actor, "merge", now, from_=str(before),
                                   to=str(doc.get("alert_count", 0)), merged_ids=merged_ids)]

        out = self._mutate(target_id, into, allow_merged=False)
        self._stamp_all([a["id"] for a in alerts], target_id)
        for src in loaded:
            def mark(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
                before = doc.get("status")
                if before == MERGED:
                    return []
                doc["status"] = MERGED
                doc["merged_into"] = target_id
                if doc.get("resolved_at") is None:
                    doc["resolved_at"] = ts(now)
                return [timeline_entry(actor, "status", now, from_=before, to=MERGED,
                                       note=f"merged into {target_id}")]

            self._mutate(src["id"], mark)
        return out

    # -- machinery --------------------------------------------------------------------
    def _load(self, incident_id: str, *, allow_merged: bool = True) -> Any:
        if not isinstance(incident_id, str) or not incident_id:
            raise NotFound("an incident id is a non-empty string")
        doc = self.store.get("incidents", incident_id)
        if doc is None:
            raise NotFound(f"no incident {incident_id!r}")
        if not allow_merged and doc.source.get("status") == MERGED:
            raise TriageError(f"incident {incident_id} was merged into "
                              f"{doc.source.get('merged_into')}; act on that one")
        return doc

    def _mutate(self, incident_id: str, change: Change, *,
                allow_merged: bool = True) -> dict[str, Any]:
        """Read, change, write with ``if_version``; on conflict, again."""
        for _ in range(self.retries):
            stored = self._load(incident_id, allow_merged=allow_merged)
            doc = copy.deepcopy(stored.source)
            now = self.clock()
            entries = change(doc, now)
            if not entries:
                return stored.source
            doc["timeline"] = [*doc.get("timeline", []), *entries]
            doc["updated_at"] = ts(now)
            try:
                self.store.put("incidents", doc, if_version=stored.version, refresh=True)
            except ConflictError:
                self.conflicts += 1
                continue
            for entry in entries:
                self.store.put("audit", audit_entry(entry, incident_id))
            return doc
        raise Contention(f"incident {incident_id} kept changing after {self.retries} attempts")

    def _alerts_by_id(self, ids: list[str], *, missing_ok: bool = False) -> list[dict[str, Any]]:
        found = {}
        for aid in ids:
            doc = self.store.get("alerts", aid)
            if doc is not None:
                found[aid] = doc.source
        missing = [a for a in ids if a not in found]
        if missing and not missing_ok:
            raise NotFound(f"no alert(s) {', '.join(missing[:10])}")
        return [found[a] for a in ids if a in found]

    def _alert_ids_of(self, incident: dict[str, Any]) -> list[str]:
        """Every alert of an incident: its list, plus those the list could not hold."""
        ids = list(incident.get("alert_ids") or [])
        if incident.get("alert_ids_truncated"):
            self.store.refresh("alerts")
            ids += [d.id for d in self.store.scan("alerts", Term("incident_id", incident["id"]))]
        return ids

    def _stamp_all(self, alert_ids: list[str], incident_id: str) -> None:
        for aid in alert_ids:
            for _ in range(self.retries):
                doc = self.store.get("alerts", aid)
                if doc is None or doc.source.get("incident_id") == incident_id:
                    break
                try:
                    self.store.put("alerts", {**doc.source, "incident_id": incident_id},
                                   if_version=doc.version)
                    break
                except ConflictError:
                    self.conflicts += 1
            else:
                raise Contention(f"alerts/{aid} kept changing after {self.retries} attempts")
        self.store.refresh("alerts")

    def _recount(self, incident_id: str, actor: str, note: str) -> None:
        """Rebuild an incident's summary after alerts left it."""
        def change(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
            ids = self._alert_ids_of(doc)
            alerts = self._alerts_by_id(_unique(ids), missing_ok=True)
            stay = [a for a in alerts if a.get("incident_id") == incident_id]
            before = doc.get("alert_count", 0)
            doc.update({k: v for k, v in summarise(doc, stay).items() if k != "timeline"})
            return [timeline_entry(actor, "unlink_alerts", now, from_=str(before),
                                   to=str(doc["alert_count"]), note=note)]

        self._mutate(incident_id, change)


def _many(value: str | Iterable[str]) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if isinstance(v, str) and v and v not in out:
            out.append(v)
    return out


def _union(a: list[Any] | None, b: Iterable[Any]) -> list[Any]:
    out = list(a or [])
    for v in b:
        if v not in out:
            out.append(v)
    return out


def _size(size: int) -> int:
    if not isinstance(size, int) or size < 1 or size > MAX_PAGE:
        raise TriageError(f"size must be between 1 and {MAX_PAGE}")
    return size


def _when(value: datetime | str) -> str:
    try:
        return ts(parse_timestamp(value))
    except ValueError as exc:
        raise TriageError(str(exc)) from None
