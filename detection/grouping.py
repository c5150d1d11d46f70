"""Grouping: alerts without an incident become incidents, deterministically.

One pass (``IncidentGrouper.group_once``):

1. read the pending alerts (no ``incident_id``, not suppressed, not failed),
   oldest first;
2. silence those an active suppression matches (``status: suppressed``);
3. group the rest by ``domain|rule|entity`` (the entity is the alert's own
   ``entity`` hint, e.g. a correlation's group-by values, else the first of
   the configured fields it carries) and, per group, place each alert in
   the group's latest incident when it falls within ``window`` of that
   incident's last alert (and within ``max_span`` of its first), else in a new
   incident whose id derives from the group key and the window's start (the
   first alert's time).  An alert for a resolved / false-positive incident's
   window re-opens it (``reopen="reopen"``) or starts a new one
   (``reopen="new"``);
4. write the incidents (new ones in one create-only bulk, changed ones with
   ``if_version``), then stamp every alert with ``incident_id``
   (``if_version``).  A group that meets a conflict is re-planned alone from a
   fresh read; incidents first, alerts second, so a crash in between is
   repaired by the next pass (alert ids are a set: nothing counts twice).

Re-running a pass, or running two groupers at once, never duplicates an
incident: ids are deterministic and creation is create-only.  Known limit: an
incident lists at most ``MAX_ALERT_IDS`` alert ids (``alert_count`` stays
exact; the alerts carry ``incident_id``); past that, a crash between the two
write steps can count a re-placed alert twice.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from detection.incidents import (
    CLOSED,
    MERGED,
    REOPENED,
    REPUTATION_ENTITY_FIELDS,
    SECURITY_ENTITY_FIELDS,
    SYSTEM_ACTOR,
    Contention,
    absorb,
    alert_domain,
    alert_severity,
    alert_time,
    audit_entry,
    entity_label,
    entity_of,
    make_group_key,
    new_incident,
    rule_of,
    timeline_entry,
    ts,
    utcnow,
)
from detection.suppression import SuppressionRule, Suppressions
from store.base import Store
from store.errors import ConflictError
from store.query import Bool, Document, Exists, Range, Sort, Term, Terms
from store.schema import parse_timestamp

log = logging.getLogger(__name__)

REOPEN_POLICIES = ("reopen", "new")
Meta = tuple[str, str, str, tuple[str, str] | None]  # domain, rule id, rule name, entity
DEAD_LETTER_SOURCE = "detection.grouping"


@dataclass
class GroupingReport:
    """What one pass did."""

    pending: int = 0
    grouped: int = 0
    suppressed: int = 0
    invalid: int = 0
    created: int = 0
    updated: int = 0
    reopened: int = 0
    conflicts: int = 0
    incident_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Plan:
    """An incident being built in memory during one group's attempt."""

    doc: dict[str, Any]
    version: str | None  # None: create it
    alerts: list[Document] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    reopened: bool = False
    entries: list[dict[str, Any]] = field(default_factory=list)  # audited once written


class IncidentGrouper:
    """Groups pending alerts into incidents.  Options (future config keys under
    ``detection.incidents``): ``window``, ``max_span``, ``reopen``,
    ``security_entity_fields``, ``reputation_entity_fields``, ``batch``."""

    def __init__(self, store: Store, *, window: timedelta = timedelta(hours=1),
                 max_span: timedelta | None = timedelta(hours=24), reopen: str = "reopen",
                 security_entity_fields: tuple[str, ...] = SECURITY_ENTITY_FIELDS,
                 reputation_entity_fields: tuple[str, ...] = REPUTATION_ENTITY_FIELDS,
                 batch: int = 5000, retries: int = 8, suppress: bool = True,
                 clock: Callable[[], datetime] = utcnow) -> None:
        if reopen not in REOPEN_POLICIES:
            raise ValueError(f"reopen must be one of {REOPEN_POLICIES}, got {reopen!r}")
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        self.store = store
        self.window = window
        self.max_span = max_span
        self.reopen = reopen
        self.entity_fields = {"security": security_entity_fields,
                              "reputation": reputation_entity_fields}
        self.batch = batch
        self.retries = retries
        self.suppress = suppress
        self.clock = clock
        self.suppressions = Suppressions(store, clock=clock)

    # -- the pass ---------------------------------------------------------------------
    def pending_query(self) -> Bool:
        return Bool(must_not=[Exists("incident_id"), Terms("status", ["suppressed"]),
                              Exists("grouping_error")])

    def group_once(self) -> GroupingReport:
        """One grouping pass over at most ``batch`` pending alerts."""
        report = GroupingReport()
        self.store.refresh("alerts")
        self.store.refresh("incidents")
        self.store.refresh("rule_state")
        page = self.store.search("alerts", self.pending_query(),
                                 sort=[Sort("@timestamp", "asc")], size=self.batch)
        report.pending = len(page.hits)
        rules = self.suppressions.active() if self.suppress else []
        groups: dict[str, list[tuple[datetime, Document]]] = defaultdict(list)
        meta: dict[str, Meta] = {}
        for doc in page.hits:
            alert = doc.source
            try:
                when = alert_time(alert)
                rule_id, rule_name = rule_of(alert)
                if alert_severity(alert) is None:
                    raise ValueError("alert has no known severity nor rule.level")
            except (ValueError, TypeError) as exc:
                self._invalid(doc, str(exc))
                report.invalid += 1
                continue
            rule = self._suppressed_by(alert, rules)
            if rule is not None:
                self._mark_suppressed(doc, rule)
                report.suppressed += 1
                continue
            domain = alert_domain(alert)
            entity = entity_of(alert, self.entity_fields[domain])
            key = make_group_key(domain, rule_id, entity)
            groups[key].append((when, doc))
            meta[key] = (domain, rule_id, rule_name, entity)
        ordered = {k: sorted(groups[k], key=lambda p: (p[0], p[1].id)) for k in sorted(groups)}
        self._group_all(ordered, meta, report)
        self.store.refresh("incidents")
        self.store.refresh("alerts")
        return report

    # -- every group at once (fast path) -----------------------------------------------
    def _group_all(self, groups: dict[str, list[tuple[datetime, Document]]],
                   meta: dict[str, Meta], report: GroupingReport) -> None:
        """Candidates in one query, new incidents in one create-only bulk, audit
        in one bulk; a group that meets a conflict is redone alone (``_group``)."""
        if not groups:
            return
        earliest = min(when for items in groups.values() for when, _ in items)
        latest = self._candidates(list(groups), earliest)
        planned = {key: self._plan(key, meta[key], items, latest.get(key), check_existing=False)
                   for key, items in groups.items()}
        redo: set[str] = set()
        creates = [(key, p) for key, plans in planned.items() for p in plans if p.version is None]
        if creates:
            result = self.store.bulk("incidents", [p.doc for _, p in creates], mode="create")
            if result.errors:
                raise ValueError(f"incident refused by the store: {result.errors[0].reason}")
            if result.existing:  # a crashed or concurrent pass made some of them
                for key, plan in creates:
                    stored = self.store.get("incidents", plan.doc["id"])
                    ours = plan.entries[0]["id"] if plan.entries else None
                    if stored is None or ours not in {
                            e.get("id") for e in stored.source.get("timeline", [])}:
                        redo.add(key)
        for key, plans in planned.items():
            for plan in plans:
                if key in redo:
                    break
                if plan.version is not None:
                    try:
                        self.store.put("incidents", plan.doc, if_version=plan.version)
                    except ConflictError:
                        report.conflicts += 1
                        redo.add(key)
        done = {k: v for k, v in planned.items() if k not in redo}
        self._audit([p for plans in done.values() for p in plans])
        for plans in done.values():
            self._finish(plans, report)
        for key in sorted(redo):
            items = self._fresh(groups[key])
            if items:
                self._group(key, meta[key], items, report)

    def _candidates(self, keys: list[str], earliest: datetime) -> dict[str, _Plan]:
        """Each group's most recent incident that an alert at or after ``earliest``
        could still join (merged ones excepted), in a few queries."""
        out: dict[str, _Plan] = {}
        filters: list[Any] = [Range("last_seen", gte=ts(earliest - self.window))]
        if self.max_span is not None:  # bounds the indexed @timestamp (= first_seen)
            filters.append(Range("@timestamp", gte=ts(earliest - self.window - self.max_span)))
        for i in range(0, len(keys), 500):
            chunk = set(keys[i:i + 500])
            query = Bool(filter=[Terms("group_keys", sorted(chunk)), *filters],
                         must_not=[Term("status", MERGED)])
            for hit in self.store.scan("incidents", query, sort=[Sort("last_seen", "desc")]):
                for key in hit.source.get("group_keys") or []:
                    if key in chunk and key not in out:
                        out[key] = _Plan(hit.source, hit.version)
        return out

    def _finish(self, plans: list[_Plan], report: GroupingReport) -> None:
        """Count the written plans and stamp their alerts."""
        for plan in plans:
            if plan.version is None:
                report.created += 1
            else:
                report.updated += 1
            report.reopened += int(plan.reopened)
            report.incident_ids.append(plan.doc["id"])
            for alert in plan.alerts:
                report.grouped += int(self._stamp(alert, plan.doc["id"]))

    # -- one group (slow path, after a conflict) ------------------------------------------
    def _group(self, key: str, meta: Meta, items: list[tuple[datetime, Document]],
               report: GroupingReport) -> None:
        for _attempt in range(self.retries):
            try:
                plans = self._plan(key, meta, items, self._latest(key), check_existing=True)
                self._write_plans(plans)
            except ConflictError:
                report.conflicts += 1
                items = self._fresh(items)
                if not items:
                    return
                continue
            self._finish(plans, report)
            return
        raise Contention(f"group {key!r} kept changing after {self.retries} attempts")

    def _fresh(self, items: list[tuple[datetime, Document]]) -> list[tuple[datetime, Document]]:
        """Re-read the group's alerts after a conflict; drop those grouped meanwhile."""
        out = []
        for when, doc in items:
            fresh = self.store.get("alerts", doc.id)
            if fresh is not None and not fresh.source.get("incident_id"):
                out.append((when, fresh))
        return out

    def _plan(self, key: str, meta: Meta, items: list[tuple[datetime, Document]],
              current: _Plan | None, *, check_existing: bool) -> list[_Plan]:
        """Place the group's alerts (oldest first) in memory, starting from the
        group's latest incident ``current``."""
        domain, rule_id, rule_name, entity = meta
        now = self.clock()
        plans: list[_Plan] = []
        for when, doc in items:
            if current is None or not self._fits(current, when):
                fresh = new_incident(group_key=key, domain=domain, rule_id=rule_id,
                                     rule_name=rule_name, entity=entity, window_start=when,
                                     now=now, label=entity_label(doc.source))
                # a pass that crashed may have made it: the slow path looks first
                stored = self.store.get("incidents", fresh["id"]) if check_existing else None
                if stored is not None:
                    current = _Plan(stored.source, stored.version)
                else:
                    current = _Plan(fresh, None)
                    entry = timeline_entry(SYSTEM_ACTOR, "create", now, to=fresh["status"],
                                           note=f"grouped by {key}")
                    fresh["timeline"].append(entry)
                    current.entries.append(entry)
                plans.append(current)
            elif not any(p is current for p in plans):
                plans.append(current)
            if current.doc.get("status") in CLOSED:
                self._reopen(current, now, doc.id)
            if absorb(current.doc, doc.source):
                current.added.append(doc.id)
            current.alerts.append(doc)
        for plan in plans:
            if plan.added:
                self._note_added(plan, now)
            plan.doc["updated_at"] = ts(now)
        return plans

    def _fits(self, plan: _Plan, when: datetime) -> bool:
        doc = plan.doc
        if doc.get("status") in CLOSED and self.reopen == "new":
            return False
        first, last = parse_timestamp(doc["first_seen"]), parse_timestamp(doc["last_seen"])
        if when - last > self.window or first - when > self.window:
            return False
        return self.max_span is None or abs(when - first) < self.max_span

    def _latest(self, key: str) -> _Plan | None:
        """The group's most recent incident (merged ones excepted)."""
        page = self.store.search(
            "incidents", Bool(filter=[Term("group_keys", key)], must_not=[Term("status", MERGED)]),
            sort=[Sort("last_seen", "desc")], size=1)
        if not page.hits:
            return None
        hit = page.hits[0]
        live = self.store.get("incidents", hit.id)  # real-time version for if_version
        if live is None or live.source.get("status") == MERGED:
            return None
        return _Plan(live.source, live.version)

    def _reopen(self, plan: _Plan, now: datetime, alert_id: str) -> None:
        doc = plan.doc
        entry = timeline_entry(SYSTEM_ACTOR, "reopen", now, from_=doc["status"], to=REOPENED,
                               note=f"new alert {alert_id} within the incident's window")
        doc["status"] = REOPENED
        doc["resolved_at"] = None
        doc["timeline"] = [*doc.get("timeline", []), entry]
        plan.entries.append(entry)
        plan.reopened = True

    @staticmethod
    def _note_added(plan: _Plan, now: datetime) -> None:
        """One timeline entry per pass; consecutive grouper entries coalesce so a
        noisy incident's timeline stays short."""
        timeline = plan.doc.setdefault("timeline", [])
        last = timeline[-1] if timeline else None
        if last and last.get("action") == "alerts_added" and last.get("actor") == SYSTEM_ACTOR:
            last["count"] = int(last.get("count") or 0) + len(plan.added)
            last["at"] = ts(now)
            last["to"] = str(plan.doc["alert_count"])
            last["alert_ids"] = (last.get("alert_ids") or [])[-50:] + plan.added[-50:]
        else:
            timeline.append(timeline_entry(
                SYSTEM_ACTOR, "alerts_added", now,
                from_=str(plan.doc["alert_count"] - len(plan.added)),
                to=str(plan.doc["alert_count"]), count=len(plan.added),
                alert_ids=plan.added[-100:]))

    # -- writes -------------------------------------------------------------------------
    def _write_plans(self, plans: list[_Plan]) -> None:
        for plan in plans:
            if plan.version is None:
                result = self.store.bulk("incidents", [plan.doc], mode="create")
                if result.errors:
                    raise ValueError(f"incident {plan.doc['id']} refused: "
                                     f"{result.errors[0].reason}")
                if result.existing:  # created by a concurrent pass: start over
                    raise ConflictError(f"incidents/{plan.doc['id']} already exists")
            else:
                self.store.put("incidents", plan.doc, if_version=plan.version)
        self._audit(plans)

    def _audit(self, plans: list[_Plan]) -> None:
        docs = [audit_entry(e, p.doc["id"]) for p in plans for e in p.entries]
        if docs:
            self.store.bulk("audit", docs, mode="create")

    def _stamp(self, doc: Document, incident: str) -> bool:
        """Set the alert's ``incident_id``; True when this pass set it."""
        for _ in range(self.retries):
            try:
                self.store.put("alerts", {**doc.source, "incident_id": incident},
                               if_version=doc.version)
                return True
            except ConflictError:
                fresh = self.store.get("alerts", doc.id)
                if fresh is None:
                    return False
                if fresh.source.get("incident_id"):
                    if fresh.source["incident_id"] != incident:
                        log.warning("alert %s went to %s meanwhile, not %s", doc.id,
                                    fresh.source["incident_id"], incident)
                    return False
                doc = fresh
        raise Contention(f"alerts/{doc.id} kept changing after {self.retries} attempts")

    def _suppressed_by(self, alert: dict[str, Any],
                       rules: list[SuppressionRule]) -> SuppressionRule | None:
        now = self.clock()
        return next((r for r in rules if r.matches(alert, now)), None)

    def _mark_suppressed(self, doc: Document, rule: SuppressionRule) -> None:
        changes = {"status": "suppressed", "suppression_id": rule.id,
                   "suppressed_at": ts(self.clock())}
        self._update_alert(doc, changes)

    def _invalid(self, doc: Document, reason: str) -> None:
        """Dead-letter an alert that cannot be grouped, and flag it so later
        passes skip it (it stays in ``alerts``: nothing is deleted)."""
        self.store.dead_letter(DEAD_LETTER_SOURCE, reason,
                               json.dumps(doc.source, ensure_ascii=False, default=str),
                               {"alert_id": doc.id})
        self._update_alert(doc, {"grouping_error": reason})

    def _update_alert(self, doc: Document, changes: dict[str, Any]) -> None:
        for _ in range(self.retries):
            try:
                self.store.put("alerts", {**doc.source, **changes}, if_version=doc.version)
                return
            except ConflictError:
                fresh = self.store.get("alerts", doc.id)
                if fresh is None or fresh.source.get("incident_id"):
                    return
                doc = fresh
        raise Contention(f"alerts/{doc.id} kept changing after {self.retries} attempts")
