"""Story clustering: near-duplicate articles (same story across outlets).

Each article becomes a set of 3-syllable shingles of its folded title and
lead (so diacritics, case and punctuation do not matter); articles whose
Jaccard similarity reaches a threshold are joined (single linkage, with
union-find).  An inverted index on shingles limits comparisons to pairs that
share at least one shingle.  Hand-written rather than datasketch MinHash:
exact Jaccard over a day's few thousand short texts is cheap and deterministic.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from detection.nlp.text import fold, syllables

LEAD_CHARS = 300
SHINGLE = 3


def shingles(article: dict[str, Any]) -> frozenset[str]:
    """Folded 3-syllable shingles of title + lead."""
    parts = [article.get(k) or "" for k in ("title", "summary", "body", "text")]
    text = fold(" ".join(p for p in parts if isinstance(p, str)))[: LEAD_CHARS * 2]
    words = [w for w, _, _ in syllables(text) if w.isalnum()][:LEAD_CHARS // 4]
    if len(words) < SHINGLE:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def story_id(article_ids: Sequence[str]) -> str:
    """Named after the story's first article (by sort order of the caller)."""
    return "story-" + hashlib.sha1(article_ids[0].encode()).hexdigest()[:16]


def cluster(articles: Sequence[dict[str, Any]], threshold: float) -> list[list[dict[str, Any]]]:
    """Groups of near-duplicate articles (each group oldest first, singletons too)."""
    order = sorted(articles, key=lambda a: (str(a.get("@timestamp", "")), str(a["id"])))
    sets = [shingles(a) for a in order]
    parent = list(range(len(order)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index: dict[str, list[int]] = defaultdict(list)
    for i, sh in enumerate(sets):
        candidates = {j for s in sh for j in index.get(s, ())}
        for j in candidates:
            if find(i) != find(j) and jaccard(sh, sets[j]) >= threshold:
                parent[find(i)] = find(j)
        for s in sh:
            index[s].append(i)
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i, art in enumerate(order):
        groups[find(i)].append(art)
    return list(groups.values())
