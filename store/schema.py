"""What the store knows about documents: collections, their id/time/text fields,
and the type of every well-known field.

One table drives everything that must agree across backends: the engine
mappings (``store.engine.mappings``), the SQLite generated columns, the value
coercion of query terms, and the type checks that reject a bad document in a
bulk write on every backend alike (so one bad document fails the same way on
SQLite and on OpenSearch).

Field kinds follow Elasticsearch's names: keyword, text, long, float, date, ip,
boolean, object.  A field not listed here is dynamic: strings are keywords,
numbers are numbers.  ECS field names and types come from the Elastic Common
Schema reference.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

KEYWORD, TEXT, LONG, FLOAT, DATE, IP, BOOLEAN, OBJECT = (
    "keyword", "text", "long", "float", "date", "ip", "boolean", "object",
)

_ENDPOINT = {  # source.* and destination.*
    "ip": IP, "port": LONG, "address": KEYWORD, "domain": KEYWORD, "mac": KEYWORD,
    "bytes": LONG, "packets": LONG, "nat.ip": IP, "nat.port": LONG,
    "geo.country_iso_code": KEYWORD, "geo.city_name": KEYWORD, "as.number": LONG,
    "as.organization.name": KEYWORD, "user.name": KEYWORD,
}

ECS_FIELDS: dict[str, str] = {
    "@timestamp": DATE,
    "message": TEXT,
    "tags": KEYWORD,
    "ecs.version": KEYWORD,
    # event.*
    "event.id": KEYWORD, "event.kind": KEYWORD, "event.category": KEYWORD,
    "event.type": KEYWORD, "event.action": KEYWORD, "event.outcome": KEYWORD,
    "event.dataset": KEYWORD, "event.module": KEYWORD, "event.provider": KEYWORD,
    "event.code": KEYWORD, "event.original": KEYWORD, "event.ingested": DATE,
    "event.created": DATE, "event.start": DATE, "event.end": DATE,
    "event.duration": LONG, "event.severity": LONG, "event.sequence": LONG,
    "event.risk_score": FLOAT, "event.hash": KEYWORD, "event.reason": KEYWORD,
    # host.*
    "host.name": KEYWORD, "host.hostname": KEYWORD, "host.ip": IP, "host.mac": KEYWORD,
    "host.id": KEYWORD, "host.os.name": KEYWORD, "host.os.family": KEYWORD,
    "host.os.version": KEYWORD, "host.os.type": KEYWORD,
    # network.*
    "network.transport": KEYWORD, "network.protocol": KEYWORD, "network.type": KEYWORD,
    "network.direction": KEYWORD, "network.application": KEYWORD,
    "network.community_id": KEYWORD, "network.bytes": LONG, "network.packets": LONG,
    "network.iana_number": KEYWORD,
    # user.*
    "user.name": KEYWORD, "user.id": KEYWORD, "user.domain": KEYWORD,
    "user.email": KEYWORD, "user.full_name": KEYWORD,
    "user.target.name": KEYWORD, "user.effective.name": KEYWORD,
    # process.*
    "process.pid": LONG, "process.name": KEYWORD, "process.executable": KEYWORD,
    "process.command_line": KEYWORD, "process.args": KEYWORD,
    "process.working_directory": KEYWORD, "process.entity_id": KEYWORD,
    "process.parent.pid": LONG, "process.parent.name": KEYWORD,
    "process.parent.executable": KEYWORD, "process.parent.command_line": KEYWORD,
    "process.hash.md5": KEYWORD, "process.hash.sha1": KEYWORD,
    "process.hash.sha256": KEYWORD,
    # file.*
    "file.path": KEYWORD, "file.name": KEYWORD, "file.extension": KEYWORD,
    "file.size": LONG, "file.mime_type": KEYWORD, "file.hash.md5": KEYWORD,
    "file.hash.sha1": KEYWORD, "file.hash.sha256": KEYWORD,
    # url.*, http.*, user_agent.*
    "url.full": KEYWORD, "url.original": KEYWORD, "url.path": KEYWORD,
    "url.query": KEYWORD, "url.domain": KEYWORD, "url.scheme": KEYWORD,
    "url.port": LONG, "url.extension": KEYWORD,
    "http.version": KEYWORD, "http.request.method": KEYWORD,
    "http.request.referrer": KEYWORD, "http.request.bytes": LONG,
    "http.request.body.bytes": LONG, "http.response.status_code": LONG,
    "http.response.bytes": LONG, "http.response.body.bytes": LONG,
    "http.response.mime_type": KEYWORD, "user_agent.original": KEYWORD,
    # dns.*
    "dns.id": KEYWORD, "dns.type": KEYWORD, "dns.op_code": KEYWORD,
    "dns.question.name": KEYWORD, "dns.question.type": KEYWORD,
    "dns.question.class": KEYWORD, "dns.question.registered_domain": KEYWORD,
    "dns.question.subdomain": KEYWORD,
    "dns.question.top_level_domain": KEYWORD, "dns.response_code": KEYWORD,
    "dns.resolved_ip": IP, "dns.header_flags": KEYWORD,
    # tls.*
    "tls.version": KEYWORD, "tls.version_protocol": KEYWORD, "tls.cipher": KEYWORD,
    "tls.established": BOOLEAN, "tls.client.server_name": KEYWORD,
    "tls.client.ja3": KEYWORD, "tls.client.ja4": KEYWORD, "tls.server.ja3s": KEYWORD,
    "tls.server.subject": KEYWORD, "tls.server.issuer": KEYWORD,
    # observer.*
    "observer.name": KEYWORD, "observer.hostname": KEYWORD, "observer.type": KEYWORD,
    "observer.vendor": KEYWORD, "observer.product": KEYWORD, "observer.ip": IP,
    "observer.version": KEYWORD, "observer.ingress.interface.name": KEYWORD,
    "observer.egress.interface.name": KEYWORD,
    # rule.*, threat.*
    "rule.id": KEYWORD, "rule.uuid": KEYWORD, "rule.name": KEYWORD,
    "rule.category": KEYWORD, "rule.ruleset": KEYWORD, "rule.description": KEYWORD,
    "rule.reference": KEYWORD, "rule.version": KEYWORD,
    "threat.framework": KEYWORD, "threat.tactic.id": KEYWORD,
    "threat.tactic.name": KEYWORD, "threat.technique.id": KEYWORD,
    "threat.technique.name": KEYWORD, "threat.technique.subtechnique.id": KEYWORD,
    # log.*, related.*, agent.*
    "log.level": KEYWORD, "log.logger": KEYWORD, "log.file.path": KEYWORD,
    "log.offset": LONG, "log.syslog.facility.code": LONG,
    "log.syslog.facility.name": KEYWORD, "log.syslog.severity.code": LONG,
    "log.syslog.severity.name": KEYWORD, "log.syslog.priority": LONG,
    "log.syslog.appname": KEYWORD, "log.syslog.hostname": KEYWORD,
    "log.syslog.procid": KEYWORD, "log.syslog.msgid": KEYWORD,
    "related.ip": IP, "related.user": KEYWORD, "related.hosts": KEYWORD,
    "related.hash": KEYWORD,
    "agent.name": KEYWORD, "agent.type": KEYWORD, "agent.version": KEYWORD,
    "service.name": KEYWORD, "service.type": KEYWORD,
    # winlog.* (Winlogbeat names), zeek.*, suricata.* — what the parsers write
    "winlog.channel": KEYWORD, "winlog.event_id": KEYWORD, "winlog.provider_name": KEYWORD,
    "winlog.computer_name": KEYWORD, "winlog.record_id": KEYWORD, "winlog.logon.id": KEYWORD,
    "winlog.process.pid": LONG, "winlog.task": KEYWORD, "winlog.opcode": KEYWORD,
    "zeek.session_id": KEYWORD,
    # flow ids exceed the signed 64-bit range: keep them as text
    "suricata.eve.flow_id": KEYWORD, "suricata.eve.event_type": KEYWORD,
    "process.parent.entity_id": KEYWORD, "registry.path": KEYWORD,
    "observer.serial_number": KEYWORD, "log.syslog.version": KEYWORD,
    "log.source.address": KEYWORD, "auth.method": KEYWORD, "auth.service": KEYWORD,
    "tcp.flags": KEYWORD, "icmp.type": LONG, "icmp.code": LONG,
    "dns.answers.name": KEYWORD, "dns.answers.type": KEYWORD, "dns.answers.class": KEYWORD,
    "dns.answers.data": KEYWORD, "dns.answers.ttl": LONG,
    "error.message": KEYWORD, "error.type": KEYWORD,
}
for _side in ("source", "destination", "client", "server"):
    for _k, _v in _ENDPOINT.items():
        ECS_FIELDS[f"{_side}.{_k}"] = _v

# Fields of the other collections (not ECS events).  Alerts and incidents
# reuse ECS names where ECS has one (rule.*, threat.*, host.name ...).
ALERT_FIELDS: dict[str, str] = {
    "id": KEYWORD, "@timestamp": DATE, "domain": KEYWORD, "status": KEYWORD,
    "severity": KEYWORD, "risk_score": FLOAT, "message": TEXT,
    "first_seen": DATE, "last_seen": DATE, "incident_id": KEYWORD,
    "event_ids": KEYWORD, "article_ids": KEYWORD,
    "rule.id": KEYWORD, "rule.name": KEYWORD, "rule.level": KEYWORD, "rule.tags": KEYWORD,
    "threat.tactic.id": KEYWORD, "threat.technique.id": KEYWORD,
    "host.name": KEYWORD, "user.name": KEYWORD, "source.ip": IP, "destination.ip": IP,
    "suppression_id": KEYWORD, "suppressed_at": DATE, "grouping_error": KEYWORD,
    "entity.field": KEYWORD, "entity.value": KEYWORD, "story_id": KEYWORD, "topic": KEYWORD,
    "kind": KEYWORD, "watchlist.id": KEYWORD, "group_key": KEYWORD, "article_count": LONG,
    "statistic.z": FLOAT,
}
INCIDENT_FIELDS: dict[str, str] = {
    "id": KEYWORD, "@timestamp": DATE, "title": TEXT, "domain": KEYWORD,
    "status": KEYWORD, "severity": KEYWORD, "severity_rank": LONG, "risk_score": FLOAT,
    "assignee": KEYWORD, "group_key": KEYWORD, "group_keys": KEYWORD,
    "alert_ids": KEYWORD, "alert_count": LONG, "alert_ids_truncated": BOOLEAN,
    "first_seen": DATE, "last_seen": DATE, "created_at": DATE, "window_start": DATE,
    "acknowledged_at": DATE, "resolved_at": DATE, "updated_at": DATE,
    "rule_ids": KEYWORD, "rule.id": KEYWORD, "rule.name": KEYWORD, "entities": KEYWORD,
    "entity_values": KEYWORD, "tactics": KEYWORD, "techniques": KEYWORD,
    "merged_into": KEYWORD, "timeline.at": DATE, "timeline.actor": KEYWORD,
    "timeline.action": KEYWORD, "comments.at": DATE, "comments.text": KEYWORD,
}
ARTICLE_FIELDS: dict[str, str] = {
    "id": KEYWORD, "@timestamp": DATE, "url": KEYWORD, "canonical_url": KEYWORD,
    "title": TEXT, "summary": TEXT, "body": TEXT, "language": KEYWORD,
    "author": KEYWORD, "source.name": KEYWORD, "source.kind": KEYWORD,
    "source.id": KEYWORD, "fetched_at": DATE, "content_hash": KEYWORD,
    "story_id": KEYWORD, "sentiment.label": KEYWORD, "sentiment.score": FLOAT,
    "topics": KEYWORD, "entities.id": KEYWORD, "entities_ids": KEYWORD, "tags": KEYWORD,
    "watch_hits.id": KEYWORD, "watch_hits.severity": KEYWORD,
    "title_normalized": KEYWORD, "kind": KEYWORD, "published_from": KEYWORD, "images": KEYWORD,
    "external_id": KEYWORD, "thread.url": KEYWORD, "thread.id": KEYWORD,
    "thread.channel": KEYWORD, "thread.community": KEYWORD, "thread.in_reply_to_id": KEYWORD,
    "thread.title": KEYWORD, "engagement.views": LONG, "engagement.likes": LONG,
    "engagement.replies": LONG, "engagement.reblogs": LONG, "engagement.favourites": LONG,
    "engagement.score": LONG, "engagement.comments": LONG,
}
CONFIG_FIELDS: dict[str, str] = {"id": KEYWORD, "@timestamp": DATE, "updated_at": DATE}


@dataclass(frozen=True)
class Collection:
    """A named set of documents with the same shape on every backend."""

    name: str
    id_field: str = "id"
    time_field: str | None = "@timestamp"
    fields: dict[str, str] = field(default_factory=dict)
    # Fields folded for diacritic-insensitive full-text search.
    text_fields: tuple[str, ...] = ()
    # Single-valued fields that get their own indexed column in SQLite.
    hot_fields: tuple[str, ...] = ()

    def kind(self, name: str) -> str | None:
        """The declared kind of a field, or None for a dynamic one."""
        return self.fields.get(name)


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "events", id_field="event.id", fields=ECS_FIELDS, text_fields=("message",),
            hot_fields=("@timestamp", "event.dataset", "event.outcome", "host.name",
                        "source.ip", "destination.ip", "user.name"),
        ),
        Collection("alerts", fields=ALERT_FIELDS, text_fields=("message",),
                   hot_fields=("@timestamp", "status", "rule.id", "incident_id", "domain",
                               "severity")),
        Collection("incidents", fields=INCIDENT_FIELDS, text_fields=("title",),
                   hot_fields=("@timestamp", "status", "group_key", "severity_rank",
                               "last_seen", "domain", "severity", "created_at")),
        Collection("articles", fields=ARTICLE_FIELDS,
                   text_fields=("title", "summary", "body"),
                   hot_fields=("@timestamp", "url", "story_id", "source.name")),
        Collection("users", fields={**CONFIG_FIELDS, "roles": KEYWORD, "disabled": BOOLEAN,
                                    "last_login": DATE}),
        Collection("api_keys", fields={**CONFIG_FIELDS, "kind": KEYWORD, "user": KEYWORD,
                                       "roles": KEYWORD, "revoked": BOOLEAN,
                                       "expires_at": DATE, "last_used": DATE}),
        Collection("sources", fields={
            **CONFIG_FIELDS, "last_run": DATE, "last_success": DATE, "last_error_at": DATE,
            "items_total": LONG, "errors_total": LONG, "last_items": LONG, "last_errors": LONG,
            "source_id": KEYWORD, "kind": KEYWORD, "source_kind": KEYWORD,
            "last_finish_reason": KEYWORD, "enabled": BOOLEAN}),
        Collection("rule_state", fields={**CONFIG_FIELDS, "kind": KEYWORD, "lang": KEYWORD,
                                         "expires_at": DATE, "created_at": DATE}),
        Collection("checkpoints", fields={
            **CONFIG_FIELDS, "input_id": KEYWORD, "kind": KEYWORD, "state": KEYWORD,
            "last_event_at": DATE, "last_error_at": DATE, "started_at": DATE,
            "lag_seconds": FLOAT, "source_id": KEYWORD, "url": KEYWORD},
            hot_fields=("source_id",)),
        Collection("audit", fields={**CONFIG_FIELDS, "actor": KEYWORD, "action": KEYWORD,
                                    "target": KEYWORD, "outcome": KEYWORD, "address": KEYWORD},
                   hot_fields=("@timestamp",)),
        Collection("dead_letters", fields={**CONFIG_FIELDS, "source": KEYWORD,
                                           "reason": KEYWORD, "raw": KEYWORD},
                   hot_fields=("@timestamp",)),
    )
}


def collection(name: str) -> Collection:
    """Look a collection up by name; an unknown name is a QueryError."""
    from store.errors import QueryError

    try:
        return COLLECTIONS[name]
    except KeyError:
        raise QueryError(
            f"unknown collection {name!r}; known: {', '.join(sorted(COLLECTIONS))}"
        ) from None


FIELD_NAME = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_@.\-]*$")


def check_field_name(name: str) -> str:
    """Reject field names that could smuggle syntax into a query."""
    from store.errors import QueryError

    if not isinstance(name, str) or not FIELD_NAME.match(name) or ".." in name:
        raise QueryError(f"invalid field name {name!r}")
    return name


# ---------------------------------------------------------------------------
# Dotted paths over nested documents


def get_path(doc: dict[str, Any], path: str, default: Any = None) -> Any:
    """``get_path({"a": {"b": 1}}, "a.b") == 1``; a literal dotted key wins."""
    if path in doc:
        return doc[path]
    cur: Any = doc
    for part in _split(path):
        if type(cur) is not dict or part not in cur:
            return default
        cur = cur[part]
    return cur


def set_path(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``set_path(d, "a.b", 1)`` makes ``d["a"]["b"] == 1``, creating objects on
    the way (and replacing a non-object in the way); returns ``doc``."""
    parts = _split(path)
    cur = doc
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    cur[parts[-1]] = value
    return doc


def typed_value(kind: str | None, value: Any) -> Any:
    """An aggregation key as the stored value of its field kind."""
    if kind == BOOLEAN:
        return bool(value)
    if kind == LONG:
        return int(value)
    if kind == FLOAT:
        return float(value)
    return value


@functools.lru_cache(maxsize=4096)
def _split(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def iter_leaves(doc: dict[str, Any], prefix: str = "") -> Any:
    """Yield ``(dotted_path, value)`` for every non-dict value (lists are leaves)."""
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from iter_leaves(value, path + ".")
        else:
            yield path, value


# ---------------------------------------------------------------------------
# Timestamps: one canonical text form so strings sort as instants do.


def format_timestamp(value: datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``: ``2026-11-26T19:00:00.000Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    # An f-string: three times faster than strftime, and this runs per event.
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}Z")


def parse_timestamp(value: Any) -> datetime:
    """Accept a datetime, an ISO 8601 string or epoch milliseconds; naive means UTC."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    elif isinstance(value, int | float):
        dt = datetime.fromtimestamp(value / 1000.0, tz=UTC)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def normalise_timestamp(value: Any) -> str:
    return format_timestamp(parse_timestamp(value))


# ---------------------------------------------------------------------------
# Type checks and coercion


_CANON_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_IPV4 = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$")
_INT_TEXT = re.compile(r"^\s*-?\d+\s*$")


def _fix_scalar(kind: str, value: Any) -> tuple[Any, str | None]:
    """``(canonical value, None)`` or ``(value, why it is not a valid kind)``.

    Fast paths first: values already in canonical form (the common case for
    our own collectors) cost one type check or one regex match."""
    if value is None:
        return value, None
    if kind in (KEYWORD, TEXT):
        if isinstance(value, dict):
            return value, "expected text, got an object"
        return value, None
    if kind == DATE:
        if isinstance(value, str) and _CANON_TS.match(value):
            return value, None
        try:
            return format_timestamp(parse_timestamp(value)), None
        except ValueError as exc:
            return value, str(exc)
    if kind == LONG:
        if type(value) is int:
            if -(2**63) <= value < 2**63:
                return value, None
            return value, f"integer out of range: {value}"
        if isinstance(value, str) and _INT_TEXT.match(value):
            return _fix_scalar(LONG, int(value))
        return value, f"expected an integer, got {value!r:.80}"
    if kind == IP:
        if isinstance(value, str) and _IPV4.match(value):
            return value, None
        try:
            return str(ipaddress.ip_address(value)), None
        except ValueError:
            return value, f"expected an IP address, got {value!r:.80}"
    if kind == FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, f"expected a number, got {value!r:.80}"
        return value, None
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            return value, f"expected true or false, got {value!r:.80}"
        return value, None
    return value, None


@functools.cache
def _type_tree(name: str) -> dict[str, Any]:
    """The collection's typed fields as a nested dict of kinds, so a document is
    walked alongside it without building path strings."""
    tree: dict[str, Any] = {}
    # Longest paths first, so an object with typed children is never
    # overwritten by a kind of the same name.
    for path, kind in sorted(COLLECTIONS[name].fields.items(), key=lambda kv: -kv[0].count(".")):
        if not isinstance(get_path(tree, path), dict):
            set_path(tree, path, kind)
    return tree


def _walk(tree: dict[str, Any], obj: dict[str, Any], prefix: str, problems: list[str]) -> bool:
    """Check and canonicalise every typed leaf of ``obj`` in place; True when a
    literal dotted key was seen on the way (the caller expands and walks again)."""
    dotted = False
    for key, value in obj.items():
        kind = tree.get(key)
        if kind is None:
            if "." in key:
                dotted = True
            continue
        if type(kind) is dict:
            if type(value) is dict:
                dotted = _walk(kind, value, f"{prefix}{key}.", problems) or dotted
            elif type(value) is list:
                # An array of objects (``entities: [{"id": ...}]``): the engine
                # types each element's fields as the object's, so check them too.
                for item in _flat(value):
                    if type(item) is dict:
                        dotted = _walk(kind, item, f"{prefix}{key}.", problems) or dotted
            continue
        if kind in (KEYWORD, TEXT) and type(value) is str:
            continue
        if type(value) is list:
            fixed = []
            for v in value:
                nv, why = _fix_scalar(kind, v)
                if why:
                    problems.append(f"{prefix}{key}: {why}")
                    break
                fixed.append(nv)
            else:
                obj[key] = fixed
            continue
        nv, why = _fix_scalar(kind, value)
        if why:
            problems.append(f"{prefix}{key}: {why}")
        elif nv is not value:
            obj[key] = nv
    return dotted


def _flat(values: list[Any]) -> Iterator[Any]:
    """The elements of a list, nested lists flattened (as the engine reads them)."""
    for value in values:
        if type(value) is list:
            yield from _flat(value)
        else:
            yield value


def object_arrays(doc: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``(paths, conflicts)`` for a document: the dotted paths whose value is an
    array holding objects (``entities`` in ``{"entities": [{"id": "a"}]}``;
    arrays flattened, so ``mentions.places`` in ``{"mentions": [{"places":
    [{...}]}]}``), and the fields that hold an object in one place and a plain
    value in another (``"e": ["x", {"id": "y"}]``, or ``e.id`` a text in one
    element and an object in the next), which Elasticsearch refuses.

    Only arrays of objects can repeat a field inside one document, so callers
    may skip documents without them.  The SQLite backend keeps ``paths`` per
    row to know which documents a dotted field must be looked up through."""
    shapes: dict[str, bool] = {}
    paths: dict[str, None] = {}
    conflicts: dict[str, None] = {}

    def shape(path: str, is_object: bool) -> bool:
        if shapes.setdefault(path, is_object) != is_object:
            conflicts[path] = None
            return False
        return True

    # Hand-written rather than a generic flattener: this runs on every stored
    # document holding an object in an array, so plain values outside arrays
    # (which cannot repeat, hence cannot clash) cost one type check.
    def visit(obj: dict[str, Any], prefix: str, in_array: bool) -> None:
        for key, value in obj.items():
            kind = type(value)
            if kind is dict:
                path = prefix + key
                if not in_array or shape(path, True):
                    visit(value, path + ".", in_array)
            elif kind is list:
                path = prefix + key
                for item in _flat(value):
                    if type(item) is dict:
                        paths[path] = None
                        if shape(path, True):
                            visit(item, path + ".", True)
                    elif item is not None:
                        shape(path, False)
            elif in_array and value is not None:
                shape(prefix + key, False)

    visit(doc, "", False)
    return list(paths), [f"{path}: holds both objects and plain values" for path in conflicts]


def prepare_document(coll: Collection, doc: Any) -> tuple[Any, list[str]]:
    """Make ``doc`` storable in ``coll``: expand dotted keys, canonicalise
    timestamps, integers and IP addresses.  Returns ``(doc, problems)``;
    the document may be stored only when ``problems`` is empty."""
    if not isinstance(doc, dict):
        return doc, [f"document must be a JSON object, got {type(doc).__name__}"]
    problems: list[str] = []
    tree = _type_tree(coll.name)
    if _walk(tree, doc, "", problems):
        doc = expand_dotted(doc)
        problems = []
        _walk(tree, doc, "", problems)
    doc_id = get_path(doc, coll.id_field)
    if not isinstance(doc_id, str) or not doc_id:
        problems.append(f"{coll.id_field}: missing or not a non-empty string")
    elif len(doc_id.encode("utf-8", "surrogatepass")) > 512:
        problems.append(f"{coll.id_field}: longer than 512 bytes")
    for hot in coll.hot_fields:
        value = get_path(doc, hot)
        if isinstance(value, list | dict):
            problems.append(f"{hot}: must be a single value")
    if coll.name == "events" and doc.get("@timestamp") is None:
        problems.append("@timestamp: missing")
    return doc, problems


def check_document(coll: Collection, doc: Any) -> list[str]:
    """Every reason ``doc`` cannot be stored in ``coll`` (empty when it can);
    ``doc`` itself is left untouched."""
    import copy

    return prepare_document(coll, copy.deepcopy(doc))[1]


def coerce(coll: Collection, field_name: str, value: Any) -> Any:
    """Turn a query value into the form stored for the field (dates, numbers)."""
    from store.errors import QueryError

    kind = coll.fields.get(field_name)
    if value is None:
        return None
    try:
        if kind == DATE:
            return normalise_timestamp(value)
        if kind == LONG:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == FLOAT:
            return float(value)
        if kind == BOOLEAN:
            if isinstance(value, str):
                if value.lower() not in ("true", "false"):
                    raise ValueError
                return value.lower() == "true"
            return bool(value)
        if kind == IP:
            if isinstance(value, str) and "/" in value:  # a CIDR block, as the engine takes
                return str(ipaddress.ip_network(value, strict=False))
            return str(ipaddress.ip_address(value))
    except (ValueError, TypeError):
        raise QueryError(f"{field_name}: {value!r} is not a valid {kind}") from None
    return value


def expand_dotted(doc: dict[str, Any]) -> dict[str, Any]:
    """Turn literal dotted keys (``{"host.name": "a"}``, as shippers send them)
    into nested objects, merging with what is already nested."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            value = expand_dotted(value)
        elif isinstance(value, list):
            value = _expand_items(value)
        parts = key.split(".") if "." in key and not key.startswith(".") else [key]
        cur = out
        for part in parts[:-1]:
            nxt = cur.get(part)
            if not isinstance(nxt, dict):
                nxt = cur[part] = {}
            cur = nxt
        last = parts[-1]
        if isinstance(value, dict) and isinstance(cur.get(last), dict):
            cur[last].update(value)
        else:
            cur[last] = value
    return out


def _expand_items(values: list[Any]) -> list[Any]:
    """``expand_dotted`` over the objects of an array (nested arrays too)."""
    return [expand_dotted(v) if isinstance(v, dict) else _expand_items(v) if isinstance(v, list)
            else v for v in values]


def ip_key(value: Any) -> bytes | None:
    """16 bytes that sort as addresses do (IPv4 as IPv4-mapped IPv6); None for
    anything that is not an address.  SQLite compares IP ranges with it."""
    try:
        addr = ipaddress.ip_address(value)
    except (ValueError, TypeError):
        return None
    if addr.version == 4:
        return b"\0" * 10 + b"\xff\xff" + addr.packed
    return addr.packed


def normalise_document(coll: Collection, doc: dict[str, Any]) -> dict[str, Any]:
    """Canonicalise a document's typed values in place (see prepare_document)."""
    return prepare_document(coll, doc)[0]
