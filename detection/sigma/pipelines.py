"""Our pySigma processing pipelines: which events a rule looks at (log source
→ conditions on our ECS fields) and what its fields are called in our store.

* Windows rules (``product: windows``): pySigma's ``sysmon_pipeline`` and
  ``windows_logsource_pipeline`` add the ``EventID``/``Channel`` conditions of
  the rule's category/service (generic categories are Sysmon's, as Zircolite
  does);
  then ``EventID``/``Channel``/``Provider_Name``/``Computer`` map to
  ``winlog.*`` and every other Sigma field to ``winlog.event_data.<Field>``,
  where the EVTX reader (and the Windows parser) keep the raw event data.
  ``windows_pipeline: ecs_windows`` in the config uses pySigma's Winlogbeat
  ECS mapping instead.
* Everything else: log sources map to conditions on ECS fields
  (``LOGSOURCES``), Sigma's taxonomy field names of web, DNS and firewall logs
  map to ECS (``GENERIC_FIELDS``); ECS names in our own rules pass through.
* Backend finish: SQLite gets every field as a quoted ``"f:<ecs.path>"``
  column of the flat event view the executor builds (``sqlite_exec``), and
  keywords (unbound values) search ``message``; the engine gets string
  comparisons on the ``.caseless`` sub-field (lowercase normaliser) so Sigma's
  case-insensitive matching holds, while regular expressions, numbers, IP
  addresses and CIDR ranges stay on the field itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sigma.exceptions import SigmaTransformationError
from sigma.pipelines.sysmon import sysmon_pipeline
from sigma.pipelines.windows import windows_logsource_pipeline
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    FieldMappingTransformation,
)
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetectionItem, SigmaLogSource
from sigma.types import (
    SigmaCIDRExpression,
    SigmaFieldReference,
    SigmaNull,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from store.schema import ECS_FIELDS, KEYWORD

SQL_FIELD_PREFIX = "f:"

WINDOWS_SYSTEM_FIELDS = {
    "EventID": "winlog.event_id",
    "Channel": "winlog.channel",
    "Provider_Name": "winlog.provider_name",
    "Computer": "winlog.computer_name",
    "ComputerName": "winlog.computer_name",
}

# Log sources of non-Windows rules → conditions every matched event must meet.
# Keys: (product, category, service), None = any.  The collectors' parsers set
# these ECS fields (see the report of issue #4 for the contract).
LOGSOURCES: dict[tuple[str | None, str | None, str | None], dict[str, list[str]]] = {
    ("linux", None, "sshd"): {"process.name": ["sshd"]},
    ("linux", None, "auth"): {"event.category": ["authentication"]},
    ("linux", None, "sudo"): {"process.name": ["sudo"]},
    ("linux", None, "cron"): {"process.name": ["cron", "CRON", "crond"]},
    ("linux", None, "syslog"): {"event.module": ["syslog", "system", "linux"]},
    (None, "webserver", None): {"event.category": ["web"]},
    (None, "proxy", None): {"event.category": ["web"]},
    # protocol fields as the collectors write them (DNS has no other ECS marker)
    (None, "dns", None): {"network.protocol": ["dns"]},
    (None, "firewall", None): {"observer.type": ["firewall"]},
    (None, "network_connection", None): {"event.category": ["network"]},
    (None, "flow", None): {"event.category": ["network"]},
    (None, "authentication", None): {"event.category": ["authentication"]},
    ("zeek", None, "conn"): {"event.dataset": ["zeek.conn"]},
    ("zeek", None, "dns"): {"event.dataset": ["zeek.dns"]},
    ("zeek", None, "http"): {"event.dataset": ["zeek.http"]},
    ("suricata", None, None): {"event.module": ["suricata"]},
}

# Sigma taxonomy names of web/proxy, DNS, firewall and Zeek logs → ECS.
GENERIC_FIELDS: dict[str, str] = {
    "c-uri": "url.original", "cs-uri": "url.original", "c-uri-query": "url.query",
    "cs-uri-query": "url.query", "cs-uri-stem": "url.path", "c-uri-stem": "url.path",
    "c-uri-extension": "url.extension", "cs-method": "http.request.method",
    "sc-status": "http.response.status_code", "c-ip": "source.ip", "src_ip": "source.ip",
    "dst_ip": "destination.ip", "src_port": "source.port", "dst_port": "destination.port",
    "c-useragent": "user_agent.original", "cs-user-agent": "user_agent.original",
    "cs-referrer": "http.request.referrer", "cs-referer": "http.request.referrer",
    "cs-host": "url.domain", "r-dns": "url.domain", "cs-bytes": "http.request.bytes",
    "sc-bytes": "http.response.bytes", "query": "dns.question.name",
    "record_type": "dns.question.type", "answer": "dns.answers.data",
    "action": "event.action", "username": "user.name", "User": "user.name",
    "id.orig_h": "source.ip", "id.orig_p": "source.port", "id.resp_h": "destination.ip",
    "id.resp_p": "destination.port", "qtype_name": "dns.question.type", "proto":
    "network.transport", "uri": "url.original", "host": "url.domain",
    "method": "http.request.method", "status_code": "http.response.status_code",
    "user_agent": "user_agent.original",
}

NOT_CASELESS_KINDS = {"ip", "long", "float", "date", "boolean", "text"}


def logsource_conditions(ls: SigmaLogSource) -> dict[str, list[str]] | None:
    """The event conditions of a non-Windows log source, None when unknown."""
    for key in ((ls.product, ls.category, ls.service), (ls.product, None, ls.service),
                (None, ls.category, ls.service), (ls.product, ls.category, None),
                (None, ls.category, None), (ls.product, None, None)):
        if key != (None, None, None) and key in LOGSOURCES:
            return LOGSOURCES[key]
    return None


def is_supported_logsource(ls: SigmaLogSource) -> bool:
    return ls.product == "windows" or logsource_conditions(ls) is not None


@dataclass
class WinlogFieldTransformation(FieldMappingTransformation):
    """Windows fields: system fields to ``winlog.*``, the rest to
    ``winlog.event_data.<Field>`` (ECS names with a dot pass through)."""

    def apply_field_name(self, field: str | None) -> str | list[str] | None:
        if field is None or "." in field:
            return None
        return WINDOWS_SYSTEM_FIELDS.get(field, f"winlog.event_data.{field}")


@dataclass
class SqlColumnTransformation(DetectionItemTransformation):
    """Name every field as a quoted column of the flat view: ``"f:host.name"``."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetectionItem:
        if detection_item.field is not None and not detection_item.field.startswith(
                SQL_FIELD_PREFIX):
            detection_item.field = SQL_FIELD_PREFIX + detection_item.field
        for value in detection_item.value:  # |fieldref targets are columns too
            if isinstance(value, SigmaFieldReference) and not value.field.startswith(
                    SQL_FIELD_PREFIX):
                value.field = SQL_FIELD_PREFIX + value.field
        return detection_item


def _caseless_ok(field: str, values: list) -> bool:
    if field.endswith(".caseless") or field.startswith("@"):
        return False
    kind = ECS_FIELDS.get(field, KEYWORD)
    if kind in NOT_CASELESS_KINDS or field == "winlog.event_id":
        return False
    return all(isinstance(v, SigmaString) for v in values) and not any(
        isinstance(v, SigmaRegularExpression | SigmaCIDRExpression | SigmaNull) for v in values)


@dataclass
class CaselessFieldTransformation(DetectionItemTransformation):
    """String comparisons on the lowercase-normalised ``.caseless`` sub-field."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetectionItem:
        field = detection_item.field
        if field is not None and _caseless_ok(field, detection_item.value) and all(
                isinstance(v, SigmaString) for v in detection_item.value):
            detection_item.field = field + ".caseless"
        return detection_item


def _logsource_items() -> list[ProcessingItem]:
    items = []
    for (product, category, service), conds in LOGSOURCES.items():
        items.append(ProcessingItem(
            identifier=f"canhgac_logsource_{product}_{category}_{service}",
            transformation=AddConditionTransformation(dict(conds)),
            rule_conditions=[LogsourceCondition(product=product, category=category,
                                                service=service)],
        ))
    return items


def windows_pipeline(kind: str = "winlog") -> ProcessingPipeline:
    """Log source conditions and field names of Windows rules."""
    if kind == "ecs_windows":
        from sigma.pipelines.elasticsearch.windows import ecs_windows

        pipe = ecs_windows()
        pipe.allowed_backends = frozenset()
        return pipe
    return sysmon_pipeline() + windows_logsource_pipeline() + ProcessingPipeline(
        name="canhgac windows fields", priority=20,
        items=[ProcessingItem(identifier="canhgac_winlog_fields",
                              transformation=WinlogFieldTransformation({}),
                              rule_conditions=[LogsourceCondition(product="windows")])])


def generic_pipeline() -> ProcessingPipeline:
    """Non-Windows log sources and taxonomy field names → our ECS fields."""
    return ProcessingPipeline(
        name="canhgac ecs", priority=25,
        items=[*_logsource_items(), ProcessingItem(
            identifier="canhgac_generic_fields",
            transformation=FieldMappingTransformation(dict(GENERIC_FIELDS)),
            rule_condition_negation=True,
            rule_conditions=[LogsourceCondition(product="windows")])])


def sqlite_pipeline(windows: str = "winlog") -> ProcessingPipeline:
    """The whole pipeline for the SQLite backend."""
    return windows_pipeline(windows) + generic_pipeline() + ProcessingPipeline(
        name="canhgac sqlite columns", priority=90,
        items=[ProcessingItem(identifier="canhgac_keywords_to_message",
                              transformation=FieldMappingTransformation({None: "message"})),
               ProcessingItem(identifier="canhgac_sql_columns",
                              transformation=SqlColumnTransformation())])


def engine_pipeline(windows: str = "winlog") -> ProcessingPipeline:
    """The whole pipeline for the Elasticsearch/OpenSearch backends."""
    return windows_pipeline(windows) + generic_pipeline() + ProcessingPipeline(
        name="canhgac engine caseless", priority=90,
        items=[ProcessingItem(identifier="canhgac_engine_keywords_to_message",
                              transformation=FieldMappingTransformation({None: "message"})),
               ProcessingItem(identifier="canhgac_message_phrases",
                              transformation=MessagePhraseTransformation()),
               ProcessingItem(identifier="canhgac_caseless",
                              transformation=CaselessFieldTransformation()),
               ProcessingItem(identifier="canhgac_lucene_regex",
                              transformation=LuceneRegexTransformation())])


# Lucene's regex syntax has no \t escapes: whitespace is spelt with the characters
# (space and tab; a line break inside a query string breaks the engine's parser).
_CLASS_ESCAPES = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \t"}


def lucene_regex(regex: str) -> str:
    """A Sigma (PCRE-like, unanchored) regular expression as a Lucene one
    (always anchored, no ``\\d``/``\\w``/``\\s``): ``.*`` added at an open end,
    ``^``/``$`` dropped, shorthand classes spelt out."""
    out: list[str] = []
    caseless = regex.startswith("(?i)")
    if caseless:  # Lucene has no inline flags: spell each letter in both cases
        regex = regex[4:]
    i, in_class, class_start = 0, False, 0
    while i < len(regex):
        c = regex[i]
        if caseless and c.isascii() and c.isalpha() and not in_class:
            out.append(f"[{c.lower()}{c.upper()}]")
            i += 1
            continue
        if c == "\\" and i + 1 < len(regex):
            nxt = regex[i + 1]
            if nxt in _CLASS_ESCAPES:
                body = _CLASS_ESCAPES[nxt]
                out.append(body if in_class else f"[{body}]")
            else:
                out.append(c + nxt)
            i += 2
            continue
        if c == "-" and in_class and (regex[i + 1:i + 2] == "]" or out[-1:] == ["["]):
            out.append("\\-")  # a literal hyphen at a class edge must be escaped in Lucene
            i += 1
            continue
        if c == "[" and not in_class:
            in_class, class_start = True, len(out)
        elif c == "]" and in_class:
            in_class = False
            if caseless:  # the class again with its letters in the other case
                body = "".join(out[class_start + 1:])
                other = re.sub(r"(?<!\\)[A-Za-z]", lambda m: m.group().swapcase(), body)
                if other != body:
                    out.append(other)
        out.append(c)
        i += 1
    text = "".join(out)
    text = text[1:] if text.startswith("^") else ".*" + text
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1]
    else:
        text += ".*"
    return text


@dataclass
class MessagePhraseTransformation(DetectionItemTransformation):
    """Keywords (unbound values) become phrases on the analysed ``message`` text
    (case- and diacritic-insensitive there): the wildcards pySigma wraps them in
    are dropped, since a wildcard cannot span words of an analysed field."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetectionItem:
        if detection_item.field != "message":
            return detection_item
        values = []
        for v in detection_item.value:
            if isinstance(v, SigmaString):
                if v.startswith(SpecialChars.WILDCARD_MULTI):
                    v = v[1:]
                if v.endswith(SpecialChars.WILDCARD_MULTI):
                    v = v[:-1]
            values.append(v)
        detection_item.value = values
        return detection_item


# Field kinds whose values the engine indexes as numbers, dates, addresses or
# flags: a regular expression on them matches nothing, silently.
NO_REGEX_KINDS = {"ip", "long", "float", "date", "boolean"}


@dataclass
class LuceneRegexTransformation(DetectionItemTransformation):
    """Sigma regular expressions rewritten for Lucene's anchored dialect; on a
    field the engine does not index as text (``@timestamp``...) the rule is
    refused, so the runner evaluates it as SQL (``engine_exec.run_as_sql``)
    rather than let it match nothing."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetectionItem:
        field = detection_item.field
        kind = ECS_FIELDS.get(field) if field else None
        for value in detection_item.value:
            if isinstance(value, SigmaRegularExpression) and kind in NO_REGEX_KINDS:
                raise SigmaTransformationError(
                    f"the engine cannot match its {kind} field {field} with a regular "
                    "expression")
            if isinstance(value, SigmaRegularExpression) and not getattr(
                    value, "_canhgac_lucene", False):
                value.regexp = SigmaString(lucene_regex(str(value.regexp)), escape=False)
                value._canhgac_lucene = True  # type: ignore[attr-defined]
        return detection_item
