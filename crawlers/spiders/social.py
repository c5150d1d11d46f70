"""Helpers shared by the social-platform spiders."""

from __future__ import annotations

import re

import lxml.html

from crawlers.textnorm import clean_text

_COUNT = re.compile(r"([\d.,]+)\s*([KkMm]?)")


def parse_count(text: str | None) -> int | None:
    """``"1.2K"`` → 1200, ``"3M"`` → 3000000, ``"1,234"`` → 1234; None if absent."""
    if not text:
        return None
    m = _COUNT.search(text)
    if not m:
        return None
    number, unit = m.group(1), m.group(2).lower()
    if unit:
        value = float(number.replace(",", "."))
        return int(value * (1000 if unit == "k" else 1_000_000))
    return int(number.replace(",", "").replace(".", ""))


def html_to_text(fragment: str | None) -> str:
    """Text of an HTML fragment (a post body), line breaks kept."""
    if not fragment:
        return ""
    fragment = re.sub(r"(?i)<br\s*/?>|</p>", "\n", fragment)
    try:
        return clean_text(lxml.html.fromstring(f"<div>{fragment}</div>").text_content())
    except Exception:  # malformed markup: keep what there is
        return clean_text(re.sub(r"<[^>]+>", " ", fragment))


def headline(text: str, limit: int = 120) -> str:
    """A post's title: its first line, cut at a word boundary."""
    first = text.strip().split("\n", 1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"
