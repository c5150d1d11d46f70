"""The whole NLP pass over one text: language, entities, sentiment, topics,
watch-list hits.  Models load lazily, once per process, on first use."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from spacy.language import Language

from detection.nlp.gazetteer import GazetteerMatcher
from detection.nlp.pipelines import (
    LANGUAGES,
    load_pipeline,
    pick_sentiment,
    pick_topics,
    prepare,
    topic_thresholds,
)
from detection.nlp.resources import load_gazetteer, load_watchlists
from detection.nlp.text import detect_language, normalise
from detection.nlp.watchlist import WatchListMatcher

MODEL_VERSION = "canhgac-nlp-4"  # 3: Vietnamese read as syllables, written and folded, negations marked; 4: people


class NlpAnalyzer:
    """Holds the gazetteer, watch lists and per-language classifiers."""

    def __init__(self, models_dir: Path | None = None, rules_dir: Path | None = None) -> None:
        self.models_dir = models_dir
        gaz_path = rules_dir / "gazetteer.yaml" if rules_dir else None
        wl_path = rules_dir / "watchlists.yaml" if rules_dir else None
        entries = load_gazetteer(gaz_path)
        self.gazetteer = GazetteerMatcher(entries)
        self.watchlists = WatchListMatcher(
            load_watchlists(wl_path, {e.id for e in entries}), self.gazetteer.nlp)
        self._pipelines: dict[str, Language] = {}
        self._lock = threading.Lock()

    def pipeline(self, lang: str) -> Language:
        """The classifier for ``lang`` (English for anything not Vietnamese)."""
        lang = lang if lang in LANGUAGES else "en"
        nlp = self._pipelines.get(lang)
        if nlp is None:
            with self._lock:
                nlp = self._pipelines.get(lang)
                if nlp is None:
                    nlp = self._pipelines[lang] = load_pipeline(lang, self.models_dir)
        return nlp

    def analyze(self, text: str, lang: str | None = None) -> dict[str, Any]:
        """``{language, entities, entity_ids, sentiment, topics, watch_hits}``."""
        text = normalise(text)
        language = lang if lang in LANGUAGES else detect_language(text)
        doc = self.gazetteer.doc(text)
        entities = self.gazetteer.entities(doc)
        if language in LANGUAGES:
            nlp = self.pipeline(language)
            cats = nlp(prepare(language, text)).cats
            label, score = pick_sentiment(cats)
            topics = pick_topics(cats, topic_thresholds(nlp))
        else:
            cats, label, score, topics = {}, "neutral", 0.0, []
        ids = sorted({e["id"] for e in entities})
        hits = self.watchlists.match(doc, set(ids), label)
        return {"language": language, "entities": entities, "entity_ids": ids,
                "sentiment": {"label": label, "score": round(score, 4)},
                "topics": topics,
                "topic_scores": {k: round(v, 4) for k, v in cats.items()
                                 if k not in ("negative", "neutral", "positive")},
                "watch_hits": [h.as_dict() for h in hits]}
