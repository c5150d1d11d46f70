"""Suppression rules: silence known-benign noise without deleting anything.

A rule names a detection rule id and an entity (``field=value``, or a bare
value that any entity field may carry); either side may be ``*``, not both.
An alert that matches an active (unexpired) rule is marked
``status: suppressed`` with the rule's id, kept in the store, and never grouped
into an incident.  Rules live in ``rule_state`` with ids ``suppress:<hash>``
and ``kind: suppression``; expired rules stay there (history) but match nothing.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from detection.incidents import (
    SUMMARY_ENTITY_FIELDS,
    NotFound,
    TriageError,
    check_actor,
    clean_text,
    ts,
    utcnow,
)
from store.base import Store
from store.query import Bool, Exists, Range, Sort, Term
from store.schema import get_path, parse_timestamp

COLLECTION = "rule_state"
KIND = "suppression"
PREFIX = "suppress:"
ANY = "*"


@dataclass(frozen=True)
class SuppressionRule:
    """One suppression: which rule, which entity, until when, why, by whom."""

    id: str
    rule_id: str
    entity: str  # "field=value", a bare value, or "*"
    reason: str
    created_by: str
    created_at: str
    expires_at: str | None = None  # None: until removed
    domain: str = ANY

    def active(self, at: datetime) -> bool:
        return self.expires_at is None or parse_timestamp(self.expires_at) > at

    def matches(self, alert: dict[str, Any], at: datetime) -> bool:
        """True when this rule, active at ``at``, silences ``alert``."""
        if not self.active(at):
            return False
        if self.domain != ANY and (alert.get("domain") or "security") != self.domain:
            return False
        if self.rule_id != ANY and str(get_path(alert, "rule.id") or "") != self.rule_id:
            return False
        if self.entity == ANY:
            return True
        field, _, value = self.entity.partition("=")
        fields = (field,) if value else SUMMARY_ENTITY_FIELDS
        wanted = _fold(value if value else field)
        for f in fields:
            got = get_path(alert, f)
            items = got if isinstance(got, list) else [got]
            if any(v is not None and _fold(str(v)) == wanted for v in items):
                return True
        return False

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.update({"kind": KIND, "@timestamp": self.created_at, "updated_at": self.created_at})
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> SuppressionRule:
        return cls(id=doc["id"], rule_id=doc.get("rule_id", ANY), entity=doc.get("entity", ANY),
                   reason=doc.get("reason", ""), created_by=doc.get("created_by", ""),
                   created_at=doc.get("created_at") or doc.get("@timestamp", ""),
                   expires_at=doc.get("expires_at"), domain=doc.get("domain", ANY))


def _fold(text: str) -> str:
    """Entity comparison: NFC and case-insensitive (host names, user names)."""
    return unicodedata.normalize("NFC", text).strip().casefold()


def suppression_id(rule_id: str, entity: str, domain: str, created_at: str) -> str:
    raw = f"{domain}\0{rule_id}\0{_fold(entity)}\0{created_at}".encode()
    return PREFIX + hashlib.sha256(raw).hexdigest()[:24]


class Suppressions:
    """Create, list, remove and apply suppression rules on one store."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    def add(self, *, rule_id: str = ANY, entity: str = ANY, reason: str, actor: str,
            expires_at: datetime | str | None = None, domain: str = ANY) -> SuppressionRule:
        """Store a new rule (and an audit entry); refuses a rule that silences everything."""
        actor = check_actor(actor)
        rule_id = (rule_id or ANY).strip()
        entity = clean_text(entity or ANY, 500)
        if rule_id == ANY and entity == ANY:
            raise TriageError("a suppression needs a rule id or an entity (not both '*')")
        if not reason or not reason.strip():
            raise TriageError("a suppression needs a reason")
        now = self.clock()
        expires = None
        if expires_at is not None:
            try:
                when = parse_timestamp(expires_at)
            except ValueError as exc:
                raise TriageError(f"expires_at: {exc}") from None
            if when <= now:
                raise TriageError("expires_at must be in the future")
            expires = ts(when)
        created = ts(now)
        rule = SuppressionRule(
            id=suppression_id(rule_id, entity, domain, created), rule_id=rule_id, entity=entity,
            reason=clean_text(reason, 1000), created_by=actor, created_at=created,
            expires_at=expires, domain=domain or ANY)
        self.store.put(COLLECTION, rule.to_doc(), refresh=True)
        self._audit(actor, "suppression.create", rule.id, now,
                    {"rule_id": rule.rule_id, "entity": rule.entity, "reason": rule.reason,
                     "expires_at": rule.expires_at, "domain": rule.domain})
        return rule

    def get(self, sid: str) -> SuppressionRule:
        doc = self.store.get(COLLECTION, sid) if sid.startswith(PREFIX) else None
        if doc is None or doc.source.get("kind") != KIND:
            raise NotFound(f"no suppression {sid!r}")
        return SuppressionRule.from_doc(doc.source)

    def remove(self, sid: str, actor: str) -> None:
        """Delete a rule (alerts it silenced stay suppressed: history is kept)."""
        actor = check_actor(actor)
        rule = self.get(sid)
        self.store.delete(COLLECTION, sid, refresh=True)
        self._audit(actor, "suppression.delete", sid, self.clock(),
                    {"rule_id": rule.rule_id, "entity": rule.entity})

    def list(self, *, include_expired: bool = False) -> list[SuppressionRule]:
        query: Any = Term("kind", KIND)
        if not include_expired:
            now = ts(self.clock())
            query = Bool(filter=[query], should=[Range("expires_at", gt=now),
                                                 Bool(must_not=[Exists("expires_at")])])
        docs = self.store.scan(COLLECTION, query, sort=[Sort("created_at", "asc")])
        return [SuppressionRule.from_doc(d.source) for d in docs]

    def active(self) -> list[SuppressionRule]:
        now = self.clock()
        return [r for r in self.list() if r.active(now)]

    def match(self, alert: dict[str, Any],
              rules: list[SuppressionRule] | None = None) -> SuppressionRule | None:
        """The first active rule that silences ``alert``, or None."""
        now = self.clock()
        for rule in self.active() if rules is None else rules:
            if rule.matches(alert, now):
                return rule
        return None

    def _audit(self, actor: str, action: str, sid: str, at: datetime,
               details: dict[str, Any]) -> None:
        digest = hashlib.sha256(f"{action}\0{sid}\0{ts(at)}".encode()).hexdigest()[:24]
        self.store.put("audit", {"id": f"suppression:{digest}", "@timestamp": ts(at),
                                 "actor": actor, "action": action,
                                 "target": f"{COLLECTION}/{sid}", "details": details})

