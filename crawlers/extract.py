"""Article extraction from one HTML page with trafilatura.

trafilatura does the hard part (main text without menus, ads and comments;
title, author, date, site metadata).  We add what it leaves out: the
canonical link, images, a publication *time* with its zone from the page's
metadata, NFC text and the language class.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from crawlers.dates import parse_when
from crawlers.errors import BrokenEncoding, ExtractionFailed, NotHtml
from crawlers.textnorm import clean_line, clean_text, detect_language, looks_mojibake

MIN_TEXT_CHARS = 80
# Metadata that carries a full timestamp (trafilatura's date is a day only).
_TIME_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='pubdate']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='dc.date.issued' or @name='DC.date.issued']/@content",
    "//time[@itemprop='datePublished']/@datetime",
    "//article//time/@datetime",
    "//time[@datetime]/@datetime",
)


@dataclass
class Extracted:
    """What the extractor found on one page (all text NFC)."""

    url: str
    canonical_url: str | None
    title: str
    author: str | None
    published: datetime | None
    text: str
    summary: str
    language: str
    images: list[str] = field(default_factory=list)
    sitename: str | None = None
    tags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data


def extract_article(html: str, url: str, *, language_hint: str | None = None,
                    min_chars: int = MIN_TEXT_CHARS) -> Extracted:
    """Extract one article or raise a ``BadPage`` subclass saying why not."""
    if not html or not html.strip():
        raise ExtractionFailed("empty page")
    head = html[:2048].lstrip().lower()
    if head.startswith(("%pdf", "\x89png", "gif8")) or "\x00" in html[:2048]:
        raise NotHtml("binary content, not HTML")
    if looks_mojibake(html):
        raise BrokenEncoding("text does not decode cleanly (replacement characters "
                             "or UTF-8 read as a single-byte charset)")
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise NotHtml(f"does not parse as HTML: {exc}") from exc
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        favor_precision=False, deduplicate=False,
    )
    text = clean_text(getattr(doc, "text", None) if doc is not None else None)
    if len(text) < min_chars:
        raise ExtractionFailed(f"no article text found ({len(text)} characters)")
    title = clean_line(doc.title) or clean_line(_first(tree, "//title/text()"))
    canonical = _first(tree, "//link[@rel='canonical']/@href") or _first(
        tree, "//meta[@property='og:url']/@content")
    published = _page_time(tree) or parse_when(doc.date)
    lang_attr = (_first(tree, "/html/@lang") or "").split("-")[0].lower()
    language = detect_language(f"{title}\n{text}", hint=_lang_hint(lang_attr) or language_hint)
    return Extracted(
        url=url,
        canonical_url=urljoin(url, canonical) if canonical else None,
        title=title,
        author=clean_line(doc.author) or None,
        published=published,
        text=text,
        summary=clean_line(doc.description) or text[:300],
        language=language,
        images=_images(tree, url, doc.image),
        sitename=clean_line(doc.sitename) or None,
        tags=[clean_line(t) for t in (doc.tags or []) if t][:20],
    )


def _first(tree: Any, xpath: str) -> str | None:
    try:
        found = tree.xpath(xpath)
    except etree.XPathError:
        return None
    for value in found:
        value = str(value).strip()
        if value:
            return value
    return None


def _page_time(tree: Any) -> datetime | None:
    for xp in _TIME_XPATHS:
        when = parse_when(_first(tree, xp))
        if when is not None:
            return when
    for block in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for obj in data if isinstance(data, list) else [data]:
            if isinstance(obj, dict) and (when := parse_when(obj.get("datePublished"))):
                return when
    return None


def _lang_hint(attr: str) -> str | None:
    return {"vi": "vi", "en": "en"}.get(attr)


def _images(tree: Any, url: str, lead: str | None) -> list[str]:
    found: list[str] = []
    candidates = [lead] if lead else []
    candidates += tree.xpath("//meta[@property='og:image']/@content")
    candidates += tree.xpath("//article//img/@src | //figure//img/@src")
    for src in candidates:
        if src and not str(src).startswith("data:"):
            full = urljoin(url, str(src).strip())
            if full not in found:
                found.append(full)
    return found[:10]
