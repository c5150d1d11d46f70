"""Extended checks on the shared sample data (skip without ../shared/data):
extraction quality against a ground truth, and feedparser on hostile feeds."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter

import pytest
from w3lib.encoding import html_to_unicode

from crawlers.errors import BadFeed, BadPage
from crawlers.extract import extract_article
from crawlers.spiders.feed import parse_feed

pytestmark = [pytest.mark.shared_data,
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def test_extraction_quality_on_the_article_benchmark(shared_data):
    root = shared_data / "news" / "article-extraction-benchmark"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    tp = fp = fn = 0
    failed = 0
    f1s = []
    for key, expected in truth.items():
        raw = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        html = html_to_unicode(None, raw)[1]
        try:
            got = extract_article(html, expected.get("url") or "http://example.invalid/",
                                  min_chars=1).text
        except BadPage:
            got, failed = "", failed + 1
        want, have = tokens(expected["articleBody"]), tokens(got)
        common = sum((want & have).values())
        tp, fp, fn = tp + common, fp + sum(have.values()) - common, fn + sum(want.values()) - common
        p = common / max(sum(have.values()), 1)
        r = common / max(sum(want.values()), 1)
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    report = {"pages": len(truth), "failed": failed, "precision": round(precision, 4),
              "recall": round(recall, 4), "f1": round(f1, 4),
              "mean_page_f1": round(sum(f1s) / len(f1s), 4)}
    print("article-extraction-benchmark", json.dumps(report))
    assert len(truth) >= 100
    assert f1 > 0.85 and failed < len(truth) * 0.05, report


def test_hostile_feeds_parse_without_crashing(shared_data):
    root = shared_data / "news" / "feedparser-tests" / "tests"
    counts = Counter()
    for path in sorted(root.rglob("*.xml")):
        try:
            parsed = parse_feed(path.read_bytes())
        except BadFeed:
            counts["rejected"] += 1
            continue
        counts["parsed"] += 1
        counts["entries"] += len(parsed.entries)
    print("feedparser-tests", json.dumps(counts))
    assert counts["parsed"] + counts["rejected"] >= 2000
    assert counts["parsed"] > counts["rejected"]
