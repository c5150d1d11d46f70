"""Benchmark: articles/s through the whole NLP pass (``enrich``) on one core.

Prints one JSON line: Vietnamese and English news-length articles (~2,000
characters: title, lead and body), after a warm-up that loads the models.
The articles are generated here from hand-written paragraphs.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

VI = ("Chiều qua, mưa lớn kéo dài kết hợp triều cường khiến nhiều tuyến đường ở quận Ninh "
      "Kiều, thành phố Cần Thơ ngập sâu. Trên đường Mậu Thân và đường 3 Tháng 2, nước ngập "
      "qua bánh xe, nhiều xe máy chết máy giữa đường. Người dân bức xúc vì tình trạng ngập "
      "lặp lại nhiều năm. UBND TP Cần Thơ cho biết đang triển khai dự án chống ngập, nạo vét "
      "kênh rạch và nâng cấp hệ thống thoát nước. Sở Giao thông vận tải phân luồng giao thông "
      "qua cầu Hưng Lợi để giảm ùn tắc. ")
EN = ("Heavy rain and a high tide flooded several streets in Ninh Kieu district of Can Tho "
      "yesterday evening. On Mau Than road, water rose above the wheels and many motorbikes "
      "stalled. Residents complained that the flooding returns every year. The Can Tho "
      "People's Committee said a flood control project is under way, with canal dredging and "
      "new drains. The Department of Transport diverted traffic over Hung Loi bridge. ")


def articles(text: str, n: int, lang: str) -> list[dict]:
    body = (text * 4)[:2000]
    return [{"id": f"{lang}{i}", "title": f"{text.split('.')[0]} ({i})", "body": body,
             "language": lang if i % 2 else None} for i in range(n)]


def rate(batch: list[dict]) -> float:
    from detection.nlp import enrich

    start = time.perf_counter()
    for art in batch:
        enrich(art)
    return len(batch) / (time.perf_counter() - start)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import spacy

    from detection.nlp import enrich

    t0 = time.perf_counter()
    enrich({"title": "Khởi động", "body": VI})
    enrich({"title": "Warm up", "body": EN})
    load_s = time.perf_counter() - t0
    n = int(os.environ.get("BENCH_NLP_ARTICLES", "200"))
    vi_rate = rate(articles(VI, n, "vi"))
    en_rate = rate(articles(EN, n, "en"))
    # the classifiers' share of the pass (the rest is language detection,
    # gazetteer and watch lists over the whole article)
    from detection.nlp.enrichment import analyzer, article_text
    from detection.nlp.pipelines import prepare

    nlp = analyzer().pipeline("vi")
    texts = [prepare("vi", article_text(a)) for a in articles(VI, n, "vi")]
    start = time.perf_counter()
    for t in texts:
        nlp(t)
    classify_rate = n / (time.perf_counter() - start)
    print(json.dumps({"bench": "nlp", "articles": n, "chars_per_article": 2000,
                      "vi_articles_per_s": round(vi_rate, 1),
                      "en_articles_per_s": round(en_rate, 1),
                      "vi_classify_only_per_s": round(classify_rate, 1),
                      "model_load_s": round(load_s, 2), "loadavg_1m": os.getloadavg()[0],
                      "cores": 1, "spacy": spacy.__version__,
                      "python": platform.python_version()}))


if __name__ == "__main__":
    main()
