"""Hand-written article fixtures for the reputation rules (already enriched)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from store.schema import format_timestamp

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OUTLETS = ["baocantho.com.vn", "tuoitre.vn", "vnexpress.net", "thanhnien.vn",
           "facebook.com/cantho", "zalo.me/tin"]


def article(aid: str, ts: datetime, *, title: str = "", sentiment: str = "neutral",
            topics: tuple[str, ...] = (), entities: tuple[str, ...] = (),
            source: str = "baocantho.com.vn", watch_hits: list[dict] | None = None,
            body: str = "") -> dict[str, Any]:
    return {"id": aid, "@timestamp": format_timestamp(ts), "title": title or f"Tin {aid}",
            "body": body, "language": "vi", "source": {"name": source, "kind": "news"},
            "sentiment": {"label": sentiment, "score": 0.9}, "topics": list(topics),
            "entities": [{"id": e, "text": e, "label": "ORG"} for e in entities],
            "entities_ids": list(entities), "watch_hits": watch_hits or []}


def baseline(entity: str, days: int = 14, per_day: int = 4,
             negative_every: int = 4) -> list[dict[str, Any]]:
    """``per_day`` mentions a day for ``days`` days, one in ``negative_every`` negative."""
    out = []
    n = 0
    for d in range(1, days + 1):
        for k in range(per_day):
            n += 1
            ts = NOW - timedelta(days=d, hours=k + 1)
            sent = "negative" if n % negative_every == 0 else "neutral"
            out.append(article(f"b-{entity}-{d}-{k}", ts, sentiment=sent, entities=(entity,),
                               title=f"Hoạt động thường ngày {d} {k} số {n}"))
    return out


def today(entity: str, count: int, negative: int) -> list[dict[str, Any]]:
    return [article(f"t-{entity}-{i}", NOW - timedelta(hours=i + 1),
                    sentiment="negative" if i < negative else "neutral", entities=(entity,),
                    title=f"Bài hôm nay thứ {i} khác nhau hoàn toàn {i * 7}")
            for i in range(count)]


STORY_TITLE = "Sạt lở nghiêm trọng bờ sông Cần Thơ đoạn qua phường Hưng Phú, ba căn nhà bị cuốn trôi"


def story(prefix: str, outlets: list[str], *, similar: bool = True,
          base: str = STORY_TITLE) -> list[dict[str, Any]]:
    out = []
    for i, src in enumerate(outlets):
        title = base if similar else \
            f"Tin riêng số {i} của {src} về chuyện hoàn toàn khác hẳn nhau"
        variant = ["", " - cập nhật", " (video)", ": người dân hoảng sợ"][i % 4]
        out.append(article(f"{prefix}-{i}", NOW - timedelta(hours=i + 1),
                           title=title + variant, source=src, sentiment="negative",
                           topics=("environment",)))
    return out


def topic_volume(topic: str, baseline_per_window: int, current: int,
                 days: int = 7, width_h: int = 6) -> list[dict[str, Any]]:
    out = []
    for w in range(1, days * 24 // width_h + 1):
        for k in range(baseline_per_window):
            ts = NOW - timedelta(hours=width_h * w + k * 0.5 + 0.1)
            out.append(article(f"v-{topic}-{w}-{k}", ts, topics=(topic,),
                               title=f"Thường ngày {topic} cửa sổ {w} bài {k}"))
    for i in range(current):
        out.append(article(f"c-{topic}-{i}", NOW - timedelta(minutes=10 * i + 5),
                           topics=(topic,), title=f"Hiện tại {topic} bài {i} riêng"))
    return out
