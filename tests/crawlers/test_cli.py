"""``canhgac crawl extract|sources`` in process (no crawl, so no reactor)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from canhgac.cli import app
from tests.crawlers.content import STORIES
from tests.crawlers.harness import store_env, write_config
from tests.crawlers.sites import article_html


def test_extract_prints_what_the_extractor_gets(tmp_path):
    page = tmp_path / "bai.html"
    page.write_text(article_html("http://bao.example", STORIES[4]), encoding="utf-8")
    result = CliRunner().invoke(app, ["crawl", "extract", str(page)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"] == STORIES[4].title and data["language"] == "en"
    assert data["published"] == "2026-11-22T03:00:00+00:00"
    assert STORIES[4].paragraphs[0] in data["text"]
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav>x</nav></body></html>", encoding="utf-8")
    bad = CliRunner().invoke(app, ["crawl", "extract", str(empty)])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["error"] == "extraction_failed"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sources_lists_health(store, tmp_path, monkeypatch):
    config = write_config(tmp_path, [
        {"id": "phusa", "kind": "feed", "url": "http://127.0.0.1:9/rss", "schedule": "15m"},
        {"id": "tg", "kind": "telegram", "url": "http://127.0.0.1:9/s/x"}])
    store.put("sources", {"id": "crawler:phusa", "last_success": "2026-11-26T10:00:00.000Z",
                          "items_total": 12, "errors_total": 1, "last_error": "http_500: x"})
    for key, value in {**store_env(store), "CANHGAC_CONFIG": str(config)}.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["crawl", "sources", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["phusa"]["items_total"] == 12 and rows["phusa"]["last_error"] == "http_500: x"
    assert rows["tg"]["last_success"] is None and rows["tg"]["kind"] == "telegram"
    unknown = CliRunner().invoke(app, ["crawl", "once", "nope"])
    assert unknown.exit_code == 2
