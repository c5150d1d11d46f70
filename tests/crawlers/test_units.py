"""The small pure pieces: canonical URLs, text normalisation, dates, counts,
language, extraction of a fixture page, config validation, schedules."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from canhgac.settings.crawlers import CrawlersSettings, SourceSettings, interval_seconds
from crawlers.dates import parse_when
from crawlers.errors import BrokenEncoding, ExtractionFailed, NotHtml
from crawlers.extract import extract_article
from crawlers.spiders.forum import reaction_count
from crawlers.spiders.social import parse_count
from crawlers.textnorm import clean_text, content_hash, detect_language, normalised_title
from crawlers.urls import article_id, canonical_url, in_scope, strip_tracking
from tests.crawlers.content import STORIES
from tests.crawlers.sites import article_html


def test_canonical_url_strips_tracking_fragment_and_default_port():
    a = canonical_url("HTTP://Bao.Example:80/tin/a.html?utm_source=fb&id=3&fbclid=x#top")
    assert a == "http://bao.example/tin/a.html?id=3"
    assert article_id(a) == article_id(canonical_url("http://bao.example/tin/a.html?id=3&gclid=1"))
    assert strip_tracking("http://h/p?utm_medium=x&q=1#f") == "http://h/p?q=1"


def test_scope_by_domain_subdomain_and_path():
    assert in_scope("http://m.bao.example/thoi-su/x", ["bao.example"], ["/thoi-su/"])
    assert not in_scope("http://bao.example/the-thao/x", ["bao.example"], ["/thoi-su/"])
    assert not in_scope("http://evilbao.example/", ["bao.example"])
    assert in_scope("http://anything.example/", ["*"])


def test_vietnamese_text_is_nfc_and_hashes_ignore_encoding_form():
    nfd = unicodedata.normalize("NFD", "Thành phố Cần Thơ")
    assert clean_text(nfd) == "Thành phố Cần Thơ"
    assert content_hash(nfd) == content_hash("thanh pho  can tho")
    assert normalised_title("Đường 3/2: ngập nặng!") == "duong 3 2 ngap nang"


@pytest.mark.parametrize(("text", "lang"), [
    ("Triều cường gây ngập nhiều tuyến đường ở quận Ninh Kiều, thành phố Cần Thơ.", "vi"),
    ("Trieu cuong gay ngap nhieu tuyen duong cua thanh pho Can Tho va cac quan khac trong nam",
     "vi"),
    ("The city said the alerts will be published in English from next month.", "en"),
    ("Der Bürgermeister sprach über den Hochwasserschutz.", "other"),
])
def test_language_classes(text, lang):
    assert detect_language(text) == lang


def test_times_become_utc():
    assert parse_when("2026-11-20T07:30:00+07:00") == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert parse_when("Fri, 20 Nov 2026 07:30:00 +0700").hour == 0
    assert parse_when("20/11/2026 07:30") == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert parse_when("not a date") is None and parse_when(None) is None


def test_engagement_counts():
    assert parse_count("1.2K") == 1200 and parse_count("3M") == 3_000_000
    assert parse_count("12,345") == 12345 and parse_count("") is None
    assert reaction_count("An, Bình and 3 others") == 5
    assert reaction_count("Lan") == 1 and reaction_count("") is None


def test_extraction_of_a_news_page():
    story = STORIES[1]
    found = extract_article(article_html("http://bao.example", story),
                            "http://bao.example/thoi-su/x.html?utm_source=z")
    assert found.title == story.title and found.author == story.author
    assert found.published == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert found.language == "vi"
    assert story.paragraphs[2] in found.text and "QUẢNG CÁO" not in found.text
    assert found.canonical_url == "http://bao.example/thoi-su/cau-vam-cong-thong-xe.html"


def test_extraction_failures_are_typed():
    with pytest.raises(NotHtml):
        extract_article("%PDF-1.4 binary", "http://x/")
    with pytest.raises(ExtractionFailed):
        extract_article("<html><body><nav>Menu</nav></body></html>", "http://x/")
    bad = article_html("http://x", STORIES[0]).encode("utf-8").decode("latin-1")
    with pytest.raises(BrokenEncoding):
        extract_article(bad, "http://x/")


def test_sources_are_validated():
    with pytest.raises(ValueError, match="needs a query"):
        SourceSettings(id="s", kind="news_search", url="http://x/rss?q={query}")
    with pytest.raises(ValueError, match="duplicate source id"):
        CrawlersSettings(sources=[{"id": "a", "kind": "feed", "url": "http://x/"}] * 2)
    with pytest.raises(ValueError):
        SourceSettings(id="s", kind="feed", url="ftp://x/")
    assert interval_seconds("15m") == 900 and interval_seconds("2h") == 7200
    src = SourceSettings(id="s", kind="feed", url="http://Bao.Example/rss")
    assert src.domains() == ["bao.example"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_scheduler_picks_due_sources(store, tmp_path):
    from canhgac.config import load
    from crawlers.scheduler import due_sources
    from store.schema import format_timestamp
    from tests.crawlers.harness import write_config

    config = write_config(tmp_path, [
        {"id": "fresh", "kind": "feed", "url": "http://127.0.0.1:9/a", "schedule": "1h"},
        {"id": "stale", "kind": "feed", "url": "http://127.0.0.1:9/b", "schedule": "15m"},
        {"id": "never", "kind": "feed", "url": "http://127.0.0.1:9/c"},
        {"id": "off", "kind": "feed", "url": "http://127.0.0.1:9/d", "enabled": False},
    ])
    cfg = load(config, environ={})
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    for sid, ago in (("fresh", 10), ("stale", 20)):
        store.put("sources", {"id": f"crawler:{sid}",
                              "last_run": format_timestamp(now - timedelta(minutes=ago))})
    assert [s.id for s in due_sources(cfg, store, now)] == ["stale", "never"]
