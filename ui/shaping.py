"""Pure data shaping for the pages: API answers in, rows and series out.

Nothing here touches Streamlit or the network, so it is tested directly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
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
    return [{"day": local_day(b.get("key")), "domain": domain, "count": int(b.get("count") or 0)}
            for domain, buckets in per_day.items() for b in buckets]


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


def local_day(key: Any) -> str:
    """A bucket key (UTC instant of a local midnight) → ``YYYY-MM-DD`` in Cần Thơ."""
    from ui.i18n import LOCAL_TZ

    start = parse_time(key)
    return start.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if start else str(key)


def local_bucket(key: Any, daily: bool = True) -> str:
    """A bucket key as a label: the local day, or day and hour for shorter buckets."""
    from ui.i18n import LOCAL_TZ

    if daily:
        return local_day(key)
    start = parse_time(key)
    return start.astimezone(LOCAL_TZ).strftime("%d/%m %H:%M") if start else str(key)


def sentiment_series(points: list[dict[str, Any]], daily: bool = True) -> list[dict[str, Any]]:
    """The API's sentiment points → ``{"day", "count", "index"}`` rows (index None
    on a bucket with no article: a gap in the line, not a zero)."""
    return [{"day": local_bucket(p.get("key"), daily), "count": int(p.get("count") or 0),
             "index": p.get("index")} for p in points]


def series_rows(series: list[dict[str, Any]], name: Callable[[dict[str, Any]], str],
                daily: bool = True) -> list[dict[str, Any]]:
    """One series per value (``/stats/articles/series``) → long rows for charts."""
    return [{"day": local_bucket(p.get("key"), daily), "name": name(s),
             "count": int(p.get("count") or 0), "index": p.get("index")}
            for s in series for p in s.get("points") or []]


def asset_rows(assets: dict[str, list[dict[str, Any]]], limit: int = 6) -> list[dict[str, Any]]:
    """Top attacked assets over every asset field, most alerts first (hosts
    before addresses on a tie), each with its alerts per severity."""
    rows = []
    for rank, field in enumerate(assets):
        for b in assets[field]:
            rows.append({"field": field, "key": str(b.get("key")), "count": int(b.get("count") or 0),
                         "by_severity": {s: int((b.get("by_severity") or {}).get(s, 0))
                                         for s in SEVERITIES}, "_rank": rank})
    rows.sort(key=lambda r: (-r["count"], r["_rank"], r["key"]))
    return [{k: v for k, v in r.items() if k != "_rank"} for r in rows[:limit]]


def share_rows(items: list[dict[str, Any]], name: Callable[[dict[str, Any]], str]
               ) -> list[dict[str, Any]]:
    """Share-of-voice items → rows with a label, the share in percent and the trend."""
    return [{"label": name(i), "count": int(i.get("count") or 0),
             "percent": round(100.0 * float(i.get("share") or 0), 1),
             "negative": int(i.get("negative") or 0),
             "change": {"change_pct": i.get("change_pct")}} for i in items]


def source_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Top outlets/authors → table rows (negative share in percent)."""
    return [{"name": str(i.get("key")), "count": int(i.get("count") or 0),
             "negative_pct": round(100.0 * float(i.get("negative_share") or 0), 1)}
            for i in items]
