"""Reputation rules: turn enriched articles into alerts (``domain: "reputation"``).

Rules (ids are stable; alert ids are deterministic, writes use ``create``):

``nlp.watchlist``        an article matched a watch list; one alert per
                         (watch list, article); severity from the watch list.
``nlp.sentiment_spike``  for each entity and topic, today's negative share
                         (last 24 h) against its own baseline: the negative
                         share of each of the trailing ``spike_baseline_days``
                         24-h windows (days without mentions are left out).
                         z = (share_today - mean) / max(std, spike_min_std);
                         fires when z >= ``spike_z``, today has at least
                         ``spike_min_count`` mentions, and the baseline has at
                         least ``spike_min_baseline_days`` days with mentions.
                         One alert per (entity|topic, UTC day).
``nlp.story_spread``     a story cluster (near-duplicate title+lead, see
                         ``stories``) within ``story_window_hours`` reaching
                         ``story_min_outlets`` distinct outlets or
                         ``story_min_posts`` articles.  One alert per story.
``nlp.volume_burst``     a topic's article count in the last
                         ``burst_window_hours`` against the same-length windows
                         of the trailing ``burst_baseline_days``: z = (count -
                         mean) / max(std, 1 article); fires when z >= ``burst_z``,
                         count >= ``burst_min_count`` and count >=
                         ``burst_min_ratio`` x max(mean, 0.5).  One alert per
                         (topic, window-aligned bucket).

Alert shape is the Sigma alerts' (see ``detection.alerts``) with
``article_ids`` instead of ``event_ids`` plus ``entity``/``topic``/``story_id``.
"""

from __future__ import annotations

import functools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from canhgac.settings.nlp import NlpSettings
from detection.alerts import RISK_SCORE, alert_id, write_alerts
from detection.nlp.persons import person_name
from detection.nlp.stories import cluster, story_id
from store.base import Store
from store.query import Range, Sort
from store.schema import format_timestamp

RULES = {
    "nlp.watchlist": "Watch-list hit",
    "nlp.sentiment_spike": "Negative-sentiment spike",
    "nlp.story_spread": "Story spreading",
    "nlp.volume_burst": "Topic volume burst",
}
DAY = timedelta(days=1)
# The IOC's areas as staff name them, for incident titles (the dashboard
# translates the keys itself; a title is stored text).
TOPIC_NAMES = {
    "traffic": "Giao thông", "environment": "Môi trường, ngập lụt",
    "public_order": "An ninh trật tự", "public_services": "Hành chính, dịch vụ công",
    "tourism": "Du lịch", "health": "Y tế", "education": "Giáo dục",
    "economy": "Kinh tế, đầu tư", "cyber": "An ninh mạng, lừa đảo",
}


@functools.lru_cache(maxsize=1)
def entity_names() -> dict[str, str]:
    """Gazetteer id → display name (``loc.can_tho`` → ``Thành phố Cần Thơ``)."""
    from detection.nlp.resources import load_gazetteer

    return {e.id: e.name for e in load_gazetteer()}


def display_name(field: str, value: str) -> str:
    """What a person calls an alert's entity: a place or organisation's name,
    a person's name, a topic's name, else the value itself."""
    if field == "entities.id":
        return entity_names().get(value) or person_name(value) or value
    if field == "topics":
        return TOPIC_NAMES.get(value, value)
    return value


def parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def entity_ids(article: dict[str, Any]) -> list[str]:
    ids = article.get("entities_ids")
    if not ids:
        ids = [e.get("id") for e in article.get("entities") or [] if isinstance(e, dict)]
    return sorted({i for i in ids if isinstance(i, str) and i})


def is_negative(article: dict[str, Any]) -> bool:
    sent = article.get("sentiment")
    return isinstance(sent, dict) and sent.get("label") == "negative"


def outlet(article: dict[str, Any]) -> str:
    src = article.get("source")
    name = src.get("name") or src.get("id") if isinstance(src, dict) else None
    return str(name or article.get("url", "")[:40] or article["id"])


def make_alert(rule: str, key: str, level: str, articles: list[dict[str, Any]],
               message: str, now: datetime, **extra: Any) -> dict[str, Any]:
    """One reputation alert over ``articles`` (oldest first)."""
    stamps = sorted(a["@timestamp"] for a in articles if a.get("@timestamp"))
    doc: dict[str, Any] = {
        "id": alert_id(rule, key), "@timestamp": format_timestamp(now),
        "domain": "reputation", "status": "open", "kind": rule.split(".", 1)[1],
        "rule": {"id": rule, "name": RULES[rule], "level": level,
                 "tags": ["reputation", rule.split(".", 1)[1]]},
        "severity": level, "risk_score": float(RISK_SCORE[level]),
        "article_ids": [a["id"] for a in articles], "article_count": len(articles),
        "first_seen": stamps[0] if stamps else None,
        "last_seen": stamps[-1] if stamps else None,
        "message": message, "group_key": f"{rule}|{key.split('|')[0]}",
    }
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


class ReputationEngine:
    """Runs every reputation rule once over the stored articles."""

    def __init__(self, store: Store, settings: NlpSettings | None = None, *,
                 now: datetime | None = None) -> None:
        self.store = store
        self.cfg = settings or NlpSettings()
        self.now = now or datetime.now(UTC)

    def articles_since(self, start: datetime) -> list[dict[str, Any]]:
        query = Range("@timestamp", gte=format_timestamp(start), lte=format_timestamp(self.now))
        out = []
        for doc in self.store.scan("articles", query, sort=[Sort("@timestamp", "asc")]):
            src = dict(doc.source)
            src.setdefault("id", doc.id)
            src["_ts"] = parse_ts(src.get("@timestamp"))
            if src["_ts"] is not None:
                out.append(src)
        return out

    def run(self) -> dict[str, int]:
        """Evaluate all rules; returns alerts raised (new) and already known per rule."""
        horizon = max(timedelta(days=self.cfg.spike_baseline_days + 1),
                      timedelta(days=self.cfg.burst_baseline_days) +
                      timedelta(hours=self.cfg.burst_window_hours),
                      timedelta(hours=self.cfg.story_window_hours),
                      timedelta(hours=self.cfg.watch_lookback_hours))
        articles = self.articles_since(self.now - horizon)
        alerts = [*self.watchlist_alerts(articles), *self.spike_alerts(articles),
                  *self.story_alerts(articles), *self.burst_alerts(articles)]
        result = write_alerts(self.store, alerts)
        report = {rule: sum(1 for a in alerts if a["rule"]["id"] == rule) for rule in RULES}
        report.update({"written": result.written, "existing": result.existing,
                       "errors": len(result.errors)})
        return report

    # -- rules -----------------------------------------------------------------
    def watchlist_alerts(self, articles: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        start = self.now - timedelta(hours=self.cfg.watch_lookback_hours)
        out = []
        for art in articles:
            if art["_ts"] < start:
                continue
            for hit in art.get("watch_hits") or []:
                if not isinstance(hit, dict) or not hit.get("id"):
                    continue
                level = hit.get("severity") if hit.get("severity") in RISK_SCORE else "medium"
                matched = ", ".join(map(str, hit.get("matched") or []))
                out.append(make_alert(
                    "nlp.watchlist", f"{hit['id']}|{art['id']}", level, [art],
                    f"{hit.get('name', hit['id'])}: {art.get('title', '')[:120]} ({matched})",
                    self.now, watchlist={"id": hit["id"], "owner": hit.get("owner")},
                    entity={"field": "watch_hits.id", "value": hit["id"],
                            "label": hit.get("name") or hit["id"]},
                    topic=(art.get("topics") or [None])[0], story_id=art.get("story_id")))
        return out

    def spike_alerts(self, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        today_start = self.now - DAY
        base_start = today_start - DAY * self.cfg.spike_baseline_days
        # per key: (day index -> [total, negatives]); index 0 = today
        counts: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(
            lambda: defaultdict(lambda: [0, 0]))
        today: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for art in articles:
            if art["_ts"] < base_start:
                continue
            day = 0 if art["_ts"] > today_start else int((today_start - art["_ts"]) / DAY) + 1
            keys = [("entity", e) for e in entity_ids(art)] + \
                   [("topic", t) for t in art.get("topics") or [] if isinstance(t, str)]
            for key in keys:
                cell = counts[key][day]
                cell[0] += 1
                cell[1] += int(is_negative(art))
                if day == 0:
                    today[key].append(art)
        out = []
        for key, days in counts.items():
            total, neg = days.get(0, [0, 0])
            if total < self.cfg.spike_min_count:
                continue
            shares = [n / t for d, (t, n) in days.items() if d > 0 and t]
            if len(shares) < self.cfg.spike_min_baseline_days:
                continue
            mean = statistics.fmean(shares)
            std = max(statistics.pstdev(shares), self.cfg.spike_min_std)
            share = neg / total
            z = (share - mean) / std
            if z < self.cfg.spike_z:
                continue
            kind, value = key
            negatives = [a for a in today[key] if is_negative(a)]
            field = "entities.id" if kind == "entity" else "topics"
            name = display_name(field, value)
            level = "high" if z >= 2 * self.cfg.spike_z else "medium"
            out.append(make_alert(
                "nlp.sentiment_spike", f"{kind}:{value}|{self.now.date().isoformat()}", level,
                negatives,
                f"Negative coverage of {name}: {neg}/{total} today ({share:.0%}) vs "
                f"{mean:.0%} baseline (z={z:.1f})", self.now,
                entity={"field": field, "value": value, "label": name},
                topic=value if kind == "topic" else None,
                statistic={"name": "z_negative_share", "z": round(z, 3),
                           "share": round(share, 4), "baseline_mean": round(mean, 4),
                           "baseline_std": round(std, 4), "count": total, "negative": neg,
                           "baseline_days": len(shares)}))
        return out

    def story_alerts(self, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        start = self.now - timedelta(hours=self.cfg.story_window_hours)
        recent = [a for a in articles if a["_ts"] >= start]
        out = []
        for group in cluster(recent, self.cfg.story_similarity):
            if len(group) < 2:
                continue
            sid = story_id([a["id"] for a in group])
            self._tag_story(group, sid)
            outlets = sorted({outlet(a) for a in group})
            if len(outlets) < self.cfg.story_min_outlets and \
                    len(group) < self.cfg.story_min_posts:
                continue
            negative = sum(is_negative(a) for a in group) * 2 > len(group)
            out.append(make_alert(
                "nlp.story_spread", sid, "high" if negative else "medium", group,
                f"Story spreading: {group[0].get('title', '')[:120]} "
                f"({len(group)} articles, {len(outlets)} outlets)", self.now,
                story_id=sid, topic=(group[0].get("topics") or [None])[0],
                entity={"field": "story_id", "value": sid,
                        "label": str(group[0].get("title") or sid)[:100]},
                statistic={"articles": len(group), "outlets": len(outlets),
                           "outlet_names": outlets[:20]}))
        return out

    def _tag_story(self, group: list[dict[str, Any]], sid: str) -> None:
        for art in group:
            if art.get("story_id") != sid:
                self.store.update("articles", art["id"], {"story_id": sid})
                art["story_id"] = sid

    def burst_alerts(self, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        width = timedelta(hours=self.cfg.burst_window_hours)
        n_windows = int(DAY * self.cfg.burst_baseline_days / width)
        window_start = self.now - width
        per_topic: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list))
        for art in articles:
            idx = 0 if art["_ts"] > window_start else \
                int((window_start - art["_ts"]) / width) + 1
            if idx > n_windows:
                continue
            for topic in art.get("topics") or []:
                if isinstance(topic, str):
                    per_topic[topic][idx].append(art)
        out = []
        bucket = int(self.now.timestamp() // width.total_seconds())
        for topic, windows in per_topic.items():
            current = windows.get(0, [])
            base = [len(windows.get(i, [])) for i in range(1, n_windows + 1)]
            mean = statistics.fmean(base)
            std = max(statistics.pstdev(base), 1.0)
            z = (len(current) - mean) / std
            if len(current) < self.cfg.burst_min_count or z < self.cfg.burst_z or \
                    len(current) < self.cfg.burst_min_ratio * max(mean, 0.5):
                continue
            out.append(make_alert(
                "nlp.volume_burst", f"{topic}|{bucket}",
                "high" if z >= 2 * self.cfg.burst_z else "medium", current,
                f"Burst of {topic} coverage: {len(current)} articles in "
                f"{self.cfg.burst_window_hours} h vs {mean:.1f} usual (z={z:.1f})", self.now,
                topic=topic, entity={"field": "topics", "value": topic,
                                     "label": display_name("topics", topic)},
                statistic={"name": "z_window_count", "z": round(z, 3), "count": len(current),
                           "baseline_mean": round(mean, 3), "baseline_std": round(std, 3),
                           "windows": n_windows}))
        return out
