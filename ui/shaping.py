"""Pure data shaping for the pages: API answers in, rows and series out.

Nothing here touches Streamlit or the network, so it is tested directly.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from ui.i18n import parse_time

SEVERITIES = ("critical", "high", "medium", "low", "informational")
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}
OPEN_STATUSES = ("new", "acknowledged", "in_progress", "reopened")


def get_path(doc: dict[str, Any], dotted: str) -> Any:
    """``a.b.c`` from nested dicts (or a flat dotted key)."""
    if dotted in doc:
        return doc[dotted]
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def age_seconds(doc: dict[str, Any], now: datetime | None = None) -> float:
    start = parse_time(doc.get("created_at") or doc.get("@timestamp"))
    if start is None:
        return 0.0
    return max(0.0, ((now or datetime.now(UTC)) - start).total_seconds())


def queue_order(items: list[dict[str, Any]], now: datetime | None = None) -> list[dict[str, Any]]:
    """Most severe first; among equals the oldest (longest waiting) first."""
    return sorted(items, key=lambda d: (-SEVERITY_RANK.get(str(d.get("severity")), -1),
                                        -age_seconds(d, now)))


def open_by_severity(by_sev: dict[str, int]) -> list[tuple[str, int]]:
    """Every severity in fixed order, zero when absent."""
    return [(s, int(by_sev.get(s, 0))) for s in SEVERITIES]


def per_day_rows(per_day: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """``{"security": [{key, count}], "reputation": [...]}`` → long rows for a bar chart."""
    from ui.i18n import LOCAL_TZ

    rows = []
    for domain, buckets in per_day.items():
        for b in buckets:
            start = parse_time(b.get("key"))  # local midnight, stored in UTC
            day = start.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if start else str(b.get("key"))
            rows.append({"day": day, "domain": domain,
                         "count": int(b.get("count") or 0)})
    return rows


def trend(change: dict[str, Any] | None) -> tuple[str, str]:
    """(arrow, css colour name) for a week-over-week change; up is neither good nor bad here."""
    pct = (change or {}).get("change_pct")
    if pct is None:
        return "→", "off"
    if pct > 0:
        return "▲", "inverse"
    if pct < 0:
        return "▼", "normal"
    return "→", "off"


def attack_of(alerts: list[dict[str, Any]], incident: dict[str, Any] | None = None
              ) -> dict[str, list[str]]:
    """ATT&CK tactics and techniques named by an incident and its alerts, deduplicated."""
    tactics: list[str] = list((incident or {}).get("tactics") or [])
    techniques: list[str] = list((incident or {}).get("techniques") or [])
    for a in alerts:
        for name in get_path(a, "threat.tactic.name") or []:
            if name not in tactics:
                tactics.append(name)
        for tid in get_path(a, "threat.technique.id") or []:
            if tid not in techniques:
                techniques.append(tid)
    return {"tactics": tactics, "techniques": techniques}


ENTITY_FIELDS = ("host.name", "user.name", "source.ip", "destination.ip")


def entities_of(incident: dict[str, Any], alerts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(field, value) pairs to pivot on: the incident's entity and every alert's."""
    out: list[tuple[str, str]] = []
    ent = incident.get("entity") or {}
    if ent.get("field") and ent.get("value"):
        out.append((str(ent["field"]), str(ent["value"])))
    for item in incident.get("entities") or []:
        field, sep, value = str(item).partition("=")
        if sep and (field, value) not in out:
            out.append((field, value))
    for a in alerts:
        for f in ENTITY_FIELDS:
            v = get_path(a, f)
            if v not in (None, "") and (f, str(v)) not in out:
                out.append((f, str(v)))
    return out


def histogram_rows(buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"time": parse_time(b.get("key")), "count": int(b.get("count") or 0)}
            for b in buckets]


def interval_for(seconds: float) -> str:
    """A histogram step giving at most ~200 buckets over the range."""
    for step, name in ((60, "1m"), (300, "5m"), (900, "15m"), (3600, "1h"), (10800, "3h"),
                       (21600, "6h"), (86400, "1d")):
        if seconds / step <= 200:
            return name
    return "7d"


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts → dotted keys (lists kept as JSON text)."""
    out: dict[str, Any] = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v, ensure_ascii=False)
        else:
            out[key] = v
    return out


def to_csv(docs: list[dict[str, Any]]) -> str:
    """Events as CSV: one column per dotted field seen, in first-seen order."""
    rows = [flatten(d) for d in docs]
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def to_ndjson(docs: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)


def event_query(filters: dict[str, str]) -> dict[str, Any] | None:
    """Field filters (``{"host.name": "ws-1"}``) → the API's JSON query model."""
    terms = [{"term": {f: v.strip()}} for f, v in filters.items() if v and v.strip()]
    return {"bool": {"filter": terms}} if terms else None


def sentiment_rows(buckets: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counts = {str(b.get("key")): int(b.get("count") or 0) for b in buckets}
    return [(s, counts.get(s, 0)) for s in ("negative", "neutral", "positive")]


def share_of_voice(buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Share (0..1) of each bucket in the total."""
    total = sum(int(b.get("count") or 0) for b in buckets) or 1
    return [{"key": str(b.get("key")), "count": int(b.get("count") or 0),
             "share": int(b.get("count") or 0) / total} for b in buckets]


def mentions_over_time(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Articles → per local day: volume and mean sentiment score."""
    from ui.i18n import LOCAL_TZ

    days: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for a in articles:
        dt = parse_time(a.get("@timestamp"))
        if dt is None:
            continue
        day = dt.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        counts[day] = counts.get(day, 0) + 1
        score = get_path(a, "sentiment.score")
        if isinstance(score, int | float):
            days.setdefault(day, []).append(float(score))
    return [{"day": d, "count": counts[d],
             "sentiment": (sum(days[d]) / len(days[d])) if days.get(d) else None}
            for d in sorted(counts)]
