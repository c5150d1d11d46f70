"""Correlation rules evaluated by us over their base rules' matches, with the
same semantics on every backend (pySigma's Lucene output cannot express them,
and fixed time buckets miss a sequence straddling a bucket edge).

Windows slide: for each group (the ``group-by`` values), matches are sorted by
``@timestamp`` and every match in turn opens a window ``[t, t + timespan]``;
the first window meeting the condition fires, and the scan resumes after that
window's end, so one burst gives one alert and a burst crossing any clock
boundary still fires.  ``event_count``, ``value_count``, ``value_sum`` and
``value_avg`` test their condition on the window; ``temporal`` needs every
referenced rule inside it, ``temporal_ordered`` needs them in the listed order.
Conditions ``lt``/``lte`` (absence) are not evaluated: they are reported as
unsupported.  The alert id is rule id + group key + window start.

Chaining: a correlation may reference another correlation (Sigma v2).  The
referenced correlation's firings then act as matches (``as_match``) with the
same sliding windows, timed when its condition was **met** (``Firing.met``:
the end of the shortest prefix of the firing window that meets the condition,
e.g. the 10th failure of a "10 failures in 2 minutes" burst), not at the
window's end: a success that comes after the threshold but amid further
failures still follows the brute force.  Where the prefix test is not
monotone (``eq``/``neq``, ``value_avg``) ``met`` is the window's end.  A firing
carries only its group: every ``group-by`` field of the chaining correlation
(after aliases) must be a ``group-by`` field of the referenced correlation.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule

from detection.sigma.pipelines import GENERIC_FIELDS, WINDOWS_SYSTEM_FIELDS
from detection.sigma.sqlite_exec import Match
from store.schema import format_timestamp, get_path, parse_timestamp

OPS = {"gte": operator.ge, "gt": operator.gt, "eq": operator.eq, "neq": operator.ne,
       "lt": operator.lt, "lte": operator.le}
SUPPORTED = {"event_count", "value_count", "temporal", "temporal_ordered", "value_sum",
             "value_avg"}


@dataclass
class Firing:
    """One window in which a correlation's condition held."""

    rule_id: str
    group: dict[str, Any]
    start: datetime
    end: datetime
    matches: list[Match] = field(default_factory=list)
    value: float | int = 0
    met: datetime | None = None  # when the condition was first met (chaining time)

    @property
    def group_key(self) -> str:
        return "|".join(f"{k}={self.group[k]}" for k in sorted(self.group))


def as_match(firing: Firing) -> Match:
    """A firing as a match of its correlation, for a correlation chaining it:
    timed at ``met``, its group fields in ``correlation.group_by``, the base
    matches behind it in ``parts``."""
    at = format_timestamp(firing.met or firing.end)
    start = format_timestamp(firing.start)
    return Match(firing.rule_id, f"{firing.rule_id}|{firing.group_key}|{start}", at,
                 {"@timestamp": at, "correlation": {"group_by": dict(firing.group)}},
                 parts=tuple(leaf_matches(firing.matches)))


def leaf_matches(matches: list[Match]) -> list[Match]:
    """Base-rule matches behind ``matches`` (firings expanded), oldest first, once each."""
    out: dict[tuple[str, str], Match] = {}
    stack = list(matches)
    while stack:
        m = stack.pop()
        if m.parts:
            stack.extend(m.parts)
        else:
            out.setdefault((m.rule_id, m.event_id), m)
    return sorted(out.values(), key=lambda m: (m.timestamp or "", m.event_id))


def entity_match(kind: str, base_ids: list[str], firing: Firing) -> Match | None:
    """The base match whose entity fields (host, user, addresses) an alert of
    ``firing`` should show, None for "the first event" (every kind but one).
    For ``temporal_ordered`` it is the match that completed the last step (its
    latest base event when that step is a chained firing): in "brute force
    then successful login" the account that got in, not the one guessed at."""
    if kind != "temporal_ordered":
        return None
    pos, last = 0, None
    for m in firing.matches:  # window order, as _holds walks it
        if pos < len(base_ids) and m.rule_id == base_ids[pos]:
            pos += 1
            last = m
    if last is None or pos < len(base_ids):
        return None
    return leaf_matches([last])[-1] if last.parts else last


def why_unsupported(corr: SigmaCorrelationRule,
                    referenced: dict[str, SigmaCorrelationRule] | None = None) -> str | None:
    """Why we cannot evaluate a correlation, None when we can.  ``referenced``:
    the correlations it chains, by reference name (their group-by must hold
    every group-by field of ``corr``)."""
    kind = _kind(corr)
    for ref, inner in (referenced or {}).items():
        inner_by = set(inner.group_by or [])
        missing = [g for g in corr.group_by or []
                   if _alias_field(corr, g, ref) not in inner_by]
        if missing:
            return (f"group-by {missing} not among the group-by fields of the referenced "
                    f"correlation {ref}")
    if kind not in SUPPORTED:
        return f"correlation type {kind} not supported"
    cond = corr.condition
    if not isinstance(cond, SigmaCorrelationCondition):
        if kind in ("temporal", "temporal_ordered"):
            return None
        return "extended correlation conditions are not supported"
    if cond.op.name.lower() in ("lt", "lte") and kind not in ("value_sum", "value_avg"):
        return "lt/lte (absence) conditions are not evaluated"
    return None


def event_field(field_name: str, windows: bool) -> str:
    """Where a Sigma field of a base rule lives in our events."""
    if "." in field_name:
        return field_name
    if windows:
        return WINDOWS_SYSTEM_FIELDS.get(field_name, f"winlog.event_data.{field_name}")
    return GENERIC_FIELDS.get(field_name, field_name)


def _alias_field(corr: SigmaCorrelationRule, group_field: str, ref_name: str) -> str:
    """The field a ``group-by`` name stands for in the referenced rule ``ref_name``."""
    if corr.aliases:
        for a in corr.aliases.aliases.values():
            if a.alias == group_field:
                for r, f in a.mapping.items():
                    if str(r.reference) == ref_name:
                        return f
    return group_field


def _kind(corr: SigmaCorrelationRule) -> str:
    return corr.type.name.lower() if hasattr(corr.type, "name") else str(corr.type)


def evaluate(corr: SigmaCorrelationRule, corr_id: str, base_ids: list[str],
             matches: dict[str, list[Match]], windows_rules: set[str],
             after: dict[str, str] | None = None) -> list[Firing]:
    """Fire ``corr`` over ``matches`` (base rule id → matches).  ``after`` maps a
    group key to the end of the last window already fired for it (from the
    checkpoint): windows starting before it are not fired again."""
    kind = _kind(corr)
    span = corr.timespan.seconds
    group_by = list(corr.group_by or [])
    aliases = {a.alias: {str(r.reference): f for r, f in a.mapping.items()}
               for a in corr.aliases.aliases.values()} if corr.aliases else {}
    groups: dict[tuple, list[tuple[datetime, str, Match]]] = defaultdict(list)
    for rid in base_ids:
        win = rid in windows_rules
        for m in matches.get(rid, []):
            key = []
            for g in group_by:
                fname = aliases.get(g, {}).get(rid) or aliases.get(g, {}).get(
                    _name_of(rid, corr)) or g
                if m.parts:  # a chained correlation's firing: its group holds the field
                    v = m.source["correlation"]["group_by"].get(fname)
                else:
                    v = get_path(m.source, event_field(fname, win))
                key.append(str(v) if v is not None else None)
            if group_by and all(k is None for k in key):
                continue
            if m.timestamp is None:
                continue
            groups[tuple(key)].append((parse_timestamp(m.timestamp), rid, m))
    cond = corr.condition
    out: list[Firing] = []
    for key, items in groups.items():
        items.sort(key=lambda x: (x[0], x[2].event_id))
        group = dict(zip(group_by, key, strict=True))
        gkey = "|".join(f"{k}={group[k]}" for k in sorted(group))
        floor = parse_timestamp(after[gkey]) if after and gkey in after else None
        i = 0
        while i < len(items):
            start = items[i][0]
            if floor is not None and start <= floor:
                i += 1
                continue
            j = i
            while j < len(items) and (items[j][0] - start).total_seconds() <= span:
                j += 1
            window = items[i:j]
            ok, value = _holds(kind, cond, window, base_ids, windows_rules)
            if ok:
                met = window[_met_index(kind, cond, window, base_ids, windows_rules)][0]
                out.append(Firing(corr_id, group, start, window[-1][0],
                                  [m for _, _, m in window], value, met))
                floor = window[-1][0]
                i = j
            else:
                i += 1
    return out


def _met_index(kind: str, cond: Any, window: list[tuple[datetime, str, Match]],
               base_ids: list[str], windows_rules: set[str]) -> int:
    """Index of the item at which ``window`` (which meets the condition) first
    met it: a binary search over prefixes where meeting it is monotone in the
    prefix length (temporal kinds; counts and sums with gt/gte), else the last."""
    monotone = kind in ("temporal", "temporal_ordered") or (
        kind in ("event_count", "value_count", "value_sum")
        and isinstance(cond, SigmaCorrelationCondition) and cond.op.name.lower() in ("gt", "gte"))
    if not monotone:
        return len(window) - 1
    lo, hi = 1, len(window)  # the whole window holds; find the shortest prefix that does
    while lo < hi:
        mid = (lo + hi) // 2
        if _holds(kind, cond, window[:mid], base_ids, windows_rules)[0]:
            hi = mid
        else:
            lo = mid + 1
    return lo - 1


def _name_of(rid: str, corr: SigmaCorrelationRule) -> str:
    for ref in corr.rules or []:
        rule = getattr(ref, "rule", None)
        if rule is not None and (str(rule.id) == rid or rule.name == rid):
            return str(ref.reference)
    return rid


def _holds(kind: str, cond: Any, window: list[tuple[datetime, str, Match]],
           base_ids: list[str], windows_rules: set[str]) -> tuple[bool, float | int]:
    if kind == "temporal":
        seen = {rid for _, rid, _ in window}
        return set(base_ids) <= seen, len(seen)
    if kind == "temporal_ordered":
        pos = 0
        for _, rid, _ in window:
            if pos < len(base_ids) and rid == base_ids[pos]:
                pos += 1
        return pos == len(base_ids), pos
    op = OPS[cond.op.name.lower()]
    if kind == "event_count":
        return op(len(window), cond.count), len(window)
    fieldref = cond.fieldref[0] if isinstance(cond.fieldref, list) else cond.fieldref
    values = [get_path(m.source, event_field(fieldref, rid in windows_rules))
              for _, rid, m in window]
    values = [v for v in values if v is not None]
    if kind == "value_count":
        n = len({str(v) for v in values})
        return op(n, cond.count), n
    nums = []
    for v in values:
        try:
            nums.append(float(v))
        except (TypeError, ValueError):
            continue
    if not nums:
        return False, 0
    value = sum(nums) if kind == "value_sum" else sum(nums) / len(nums)
    return op(value, cond.count), value
