"""enrich(), the classifiers and `canhgac nlp classify|evaluate`."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from detection.nlp import enrich
from detection.nlp.cli import app
from detection.nlp.errors import InputError
from detection.nlp.reputation import ReputationEngine
from store.base import Store
from store.query import Term


def test_enrich_adds_every_field() -> None:
    art = enrich({"id": "a1", "title": "Chủ tịch UBND TP Cần Thơ chỉ đạo chống ngập ở Ninh Kiều",
                  "body": "Triều cường dâng cao, nhiều tuyến đường ngập sâu, người dân bức xúc."})
    assert art["language"] == "vi" and art["id"] == "a1"
    assert {"role.chu_tich_ubnd_tp", "loc.ninh_kieu"} <= set(art["entities_ids"])
    assert all(set(e) == {"id", "text", "label"} for e in art["entities"])
    assert art["sentiment"]["label"] == "negative" and 0 < art["sentiment"]["score"] <= 1
    assert art["topics"][0] == "environment"
    assert {h["id"] for h in art["watch_hits"]} >= {"wl.flooding", "wl.city_leadership"}


@pytest.mark.parametrize("title", [
    "Cảnh báo lừa đảo giả danh công an gọi điện yêu cầu chuyển tiền",
    "Canh bao lua dao gia danh cong an goi dien yeu cau chuyen tien",
    unicodedata.normalize("NFD", "Cảnh báo lừa đảo giả danh công an gọi điện yêu cầu chuyển tiền"),
])
def test_forms_of_vietnamese_agree(title: str) -> None:
    art = enrich({"title": title})
    assert art["language"] == "vi" and art["topics"][:1] == ["cyber"]
    assert "wl.online_scams" in [h["id"] for h in art["watch_hits"]]


def test_english_article() -> None:
    art = enrich({"title": "Scammers impersonate Can Tho police and demand money transfers"})
    assert art["language"] == "en" and "cyber" in art["topics"]
    assert "org.cong_an_tp" in art["entities_ids"]


def test_enrich_rejects_empty_article() -> None:
    with pytest.raises(InputError):
        enrich({"id": "x", "title": "  "})


def test_enriched_articles_land_in_store(store: Store) -> None:
    arts = [enrich({"id": f"e{i}", "@timestamp": "2026-11-20T10:00:00.000Z", "title": t})
            for i, t in enumerate(["Kẹt xe trên cầu Hưng Lợi", "Ngập sâu ở quận Cái Răng"])]
    assert store.bulk("articles", arts, mode="index").ok
    store.refresh("articles")
    got = store.get("articles", "e1")
    assert got is not None and got.source["entities_ids"] == ["loc.cai_rang"]
    assert got.source["sentiment"]["label"] in ("negative", "neutral", "positive")
    # crawled -> enriched -> stored -> reputation alert linking the article
    ReputationEngine(store, now=datetime(2026, 11, 20, 12, tzinfo=UTC)).run()
    store.refresh("alerts")
    alerts = [h.source for h in store.search("alerts", Term("rule.id", "nlp.watchlist")).hits]
    assert [(a["watchlist"]["id"], a["article_ids"]) for a in alerts] == [("wl.flooding", ["e1"])]


def test_classify_cli_reads_text_and_json_lines() -> None:
    stdin = ('Kẹt xe nghiêm trọng trên cầu Hưng Lợi\n'
             '{"id": "j1", "text": "Tourists love the Cai Rang floating market"}\n\n')
    result = CliRunner().invoke(app, ["classify"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 2
    assert rows[0]["language"] == "vi" and rows[0]["entities"][0]["id"] == "bridge.hung_loi"
    assert rows[1]["id"] == "j1" and rows[1]["language"] == "en"
    assert set(rows[1]["sentiment"]) == {"label", "score"}


def test_evaluate_cli_prints_per_class_scores() -> None:
    result = CliRunner().invoke(app, ["evaluate", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    sent = scores["vi.test.sentiment"]
    assert set(sent["per_class"]) == {"negative", "neutral", "positive"}
    assert sent["n"] > 30 and 0.0 <= sent["macro_f1"] <= 1.0
    assert len(scores["vi.test.topics"]["per_class"]) == 9
