"""Articles and mentions: search (Vietnamese, diacritics optional), stories,
entity and topic statistics, label corrections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from api import audit
from api.auth.accounts import Principal
from api.context import ctx
from api.errors import BadRequest, NotFoundError
from api.models import ListQuery, Page, Strict
from api.queries import combine, one_or_many, page, text, time_range, ts
from api.routes.common import DocId, caller
from api.stats.articles import story_cards
from store.query import Avg, Range, Term, TermsAgg

Sentiment = Literal["negative", "neutral", "positive"]
ArticleSort = Literal["@timestamp", "fetched_at", "sentiment.score", "source.name"]


class ArticleQuery(ListQuery):
    source: list[str] = Field(default_factory=list, max_length=20, examples=[["Báo Cần Thơ"]])
    topic: list[str] = Field(default_factory=list, max_length=20, examples=[["traffic"]])
    entity: list[str] = Field(default_factory=list, max_length=20)
    sentiment: list[Sentiment] = Field(default_factory=list, max_length=3)
    language: list[Literal["vi", "en"]] = Field(default_factory=list, max_length=2)
    story: str | None = Field(default=None, max_length=200)
    sort: ArticleSort = "@timestamp"


def _filters(p: ArticleQuery) -> list[Any]:
    return [*text(p.q), *time_range("@timestamp", p.since, p.until),
            *one_or_many("source.name", p.source), *one_or_many("topics", p.topic),
            *one_or_many("entities_ids", p.entity),
            *one_or_many("sentiment.label", list(p.sentiment)),
            *one_or_many("language", list(p.language)),
            *([Term("story_id", p.story)] if p.story else [])]


def list_articles(request: Request, p: Annotated[ArticleQuery, Query()]) -> Page:
    """Search articles; ``q`` ignores case and Vietnamese diacritics."""
    c = ctx(request)
    return page(c.store, "articles", combine(_filters(p)), p, p.sort,
                c.settings.api.max_page_size)


def get_article(request: Request, article_id: DocId) -> dict[str, Any]:
    doc = ctx(request).store.get("articles", article_id)
    if doc is None:
        raise NotFoundError(f"article {article_id} does not exist")
    return doc.source


class WindowQuery(Strict):
    days: int = Field(default=7, ge=1, le=90, description="look back this many days")
    size: int = Field(default=10, ge=1, le=100)


def stories(request: Request, p: Annotated[WindowQuery, Query()]) -> dict[str, Any]:
    """The biggest stories (the same story across outlets) of the window."""
    c = ctx(request)
    since = datetime.now(UTC) - timedelta(days=p.days)
    window = Range("@timestamp", gte=ts(since))
    top = c.store.aggregate("articles", {"s": TermsAgg("story_id", p.size)}, window)["s"]
    return {"since": ts(since), "items": story_cards(c.store, top)}


def stats(request: Request, p: Annotated[WindowQuery, Query()]) -> dict[str, Any]:
    """Top entities, topics, outlets and the sentiment mix over the window."""
    c = ctx(request)
    since = datetime.now(UTC) - timedelta(days=p.days)
    aggs = c.store.aggregate("articles", {
        "entities": TermsAgg("entities_ids", p.size), "topics": TermsAgg("topics", p.size),
        "sources": TermsAgg("source.name", p.size), "sentiment": TermsAgg("sentiment.label", 3),
        "sentiment_avg": Avg("sentiment.score")}, Range("@timestamp", gte=ts(since)))
    return {"since": ts(since), **aggs}


class LabelBody(Strict):
    """A person's correction of the NLP labels (kept beside the model's output)."""

    sentiment: Sentiment | None = None
    topics: list[str] | None = Field(default=None, max_length=20, examples=[["flooding"]])
    entities: list[str] | None = Field(default=None, max_length=50)
    relevant: bool | None = Field(default=None, description="false: not about the city")
    note: str | None = Field(default=None, max_length=2000)


def correct_labels(request: Request, article_id: DocId, body: LabelBody,
                   who: Principal = Depends(caller)) -> dict[str, Any]:
    """Record a label correction on an article (for review and retraining)."""
    c = ctx(request)
    doc = c.store.get("articles", article_id)
    if doc is None:
        raise NotFoundError(f"article {article_id} does not exist")
    label = body.model_dump(exclude_none=True)
    if not label or set(label) == {"note"}:
        raise BadRequest("give at least one of sentiment, topics, entities, relevant",
                         code="empty_correction")
    entry = {**label, "by": who.name, "at": ts(datetime.now(UTC))}
    changes: dict[str, Any] = {"corrections": [*doc.source.get("corrections", []), entry],
                               "corrected": {k: v for k, v in label.items() if k != "note"}}
    c.store.update("articles", article_id, changes, if_version=doc.version, refresh=True)
    audit.record(c.store, actor=who.name, action="article.label", target=f"articles/{article_id}",
                 address=audit.client_address(request), details=label)
    return {"ok": True, "correction": entry}
