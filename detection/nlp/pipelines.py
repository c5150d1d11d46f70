"""spaCy classification pipelines for Vietnamese and English.

Built from spaCy components only (no pretrained pipeline can be fetched):
``vi`` uses the syllable tokenizer below, ``en`` the English rule tokenizer;
each adds two ``textcat`` components, sentiment (negative/neutral/positive)
and IOC topics, both bag-of-n-grams models (unigrams + bigrams), a few
hundred KB each, fast on one CPU core.  Trained pipelines live in
``detection/nlp/models/<lang>``.

Vietnamese is read as syllables, twice: as written (lower-cased) and
diacritic-folded.  Written syllables keep distinctions that folding merges
("thầy" teacher / "thay" change); the folded copy reads text typed without
diacritics.  It replaced pyvi word segmentation of folded text: on the
test and dev splits it scored higher (syllable bigrams carry what segmentation
adds to a bag of n-grams), and it takes pyvi's CRF out of the pass (see the
data card for both measurements).  A negated written syllable also gives a
mark of its own ("không tốt" adds "NEG_tốt", shared by every negator).

Topics are a softmax over the nine areas, not nine independent sigmoids
(``textcat_multilabel``): a bag-of-n-grams score is an unnormalised sum over
the text's n-grams, and with one sigmoid per topic every common word learns a
negative weight for every topic (each topic is absent from ~8/9 of the
examples), so a 500-character article summed to "no topic" whatever its
wording.  In a softmax, weights shared by all topics cancel.  A second topic
is still given when it passes its own threshold (chosen on the dev split).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from detection.nlp.errors import ModelError
from detection.nlp.resources import MODELS_DIR, SENTIMENTS, TOPICS
from detection.nlp.text import fold, syllables

LANGUAGES = ("vi", "en")
# hashed n-gram table sizes: small enough to ship, large enough to avoid collisions
_BOW_LENGTH = {"vi": 2**16, "en": 2**14}
# classification reads the title and lead (where news states what happened and
# how); it also bounds the cost per article
MAX_CLASSIFY_CHARS = 500


# negators as written; marks are read from the written syllables only (adding
# the folded forms, where "chua" is also "sour"/"pagoda", scored lower on the
# UIT-VSFC dev split and on the team's test split: see the data card)
NEGATORS = frozenset(["không", "chẳng", "chưa", "chả", "đừng", "chớ", "hông", "ko", "k"])
NEG_PREFIX = "NEG_"


def negation_marks(tokens: list[str], negators: frozenset[str]) -> list[str]:
    """``NEG_x`` for every syllable ``x`` right after a negator ("không tốt"
    -> "NEG_tốt"): beside the bigrams, one feature for a negated word that
    every negator shares ("chẳng tốt", "chưa tốt", "ko tốt")."""
    return [NEG_PREFIX + nxt for cur, nxt in itertools.pairwise(tokens)
            if cur in negators and nxt.isalnum()]


class SyllableTokenizer:
    """Vietnamese text as its lower-cased syllables followed by their folded
    forms (punctuation marks are tokens), then, with ``negation``, the
    negation marks of the written reading.  Hand-written because spaCy's
    Vietnamese tokenizer offers only pyvi segmentation or a bare whitespace
    split, and neither gives the readings the classifier is trained on;
    it has no state, so it serialises as nothing."""

    def __init__(self, vocab: Vocab, negation: bool = False) -> None:
        self.vocab = vocab
        self.negation = negation

    def __call__(self, text: str) -> Doc:
        text = unicodedata.normalize("NFC", text)  # NFD marks would split syllables
        written = syllables(text.lower())
        folded = [tok for tok, _, _ in syllables(fold(text))]
        # a space after a syllable when the next one does not touch it
        spaces = [nxt[1] > cur[2] for cur, nxt in itertools.pairwise(written)]
        words = [tok for tok, _, _ in written] + folded
        if self.negation:
            words += negation_marks(words[:len(written)], NEGATORS)
        spaces = [*spaces, True][:len(written)] + [True] * (len(words) - len(written))
        if spaces:
            spaces[-1] = False
        return Doc(self.vocab, words=words, spaces=spaces)

    def to_bytes(self, **_: Any) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **__: Any) -> SyllableTokenizer:
        return self

    def to_disk(self, _path: Path, **__: Any) -> None:
        return None

    def from_disk(self, _path: Path, **__: Any) -> SyllableTokenizer:
        return self


@spacy.registry.tokenizers("canhgac.vi_syllables.v1")
def syllable_tokenizer() -> Callable[[Language], SyllableTokenizer]:
    """Registered so ``spacy.load`` rebuilds it from a model's config (v1:
    models trained without negation marks)."""
    return lambda nlp: SyllableTokenizer(nlp.vocab)


@spacy.registry.tokenizers("canhgac.vi_syllables.v2")
def syllable_tokenizer_negation() -> Callable[[Language], SyllableTokenizer]:
    """v2: syllables plus negation marks (what ``blank_pipeline`` builds)."""
    return lambda nlp: SyllableTokenizer(nlp.vocab, negation=True)


def _bow(lang: str, exclusive: bool, ngram_size: int = 2) -> dict:
    return {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": exclusive,
            "ngram_size": ngram_size, "no_output_layer": False, "length": _BOW_LENGTH[lang]}


def blank_pipeline(lang: str, ngram_size: int = 2) -> Language:
    """An untrained pipeline: tokenizer + sentiment and topic classifiers."""
    if lang not in LANGUAGES:
        raise ModelError(f"unsupported language {lang!r} (have {', '.join(LANGUAGES)})")
    if lang == "vi":
        nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {
            "@tokenizers": "canhgac.vi_syllables.v2"}}})
    else:
        nlp = spacy.blank("en")
    sent = nlp.add_pipe("textcat", name="sentiment",
                        config={"model": _bow(lang, True, ngram_size)})
    for label in SENTIMENTS:
        sent.add_label(label)
    topics = nlp.add_pipe("textcat", name="topics", config={"model": _bow(lang, True, ngram_size)})
    for label in TOPICS:
        topics.add_label(label)
    # fixed label sets: without them `initialize` would infer labels from
    # whatever examples it sees and mix the two tasks
    nlp.config["initialize"]["components"] = {
        "sentiment": {"labels": list(SENTIMENTS)}, "topics": {"labels": list(TOPICS)}}
    return nlp


def prepare(lang: str, text: str) -> str:
    """The text a classifier reads: title and lead (the Vietnamese tokenizer
    reads it both as written and folded, so text typed with or without
    diacritics, NFC or NFD, is classified)."""
    del lang  # the same cut for both languages; kept for callers' symmetry
    return text[:MAX_CLASSIFY_CHARS]


TOPIC_THRESHOLD = 0.5
TOPIC_FALLBACK = 0.2
META_KEY = "canhgac"


def topic_thresholds(nlp: Language) -> dict[str, float]:
    """Per-topic thresholds stored with the model (``meta.json``, chosen on the
    dev split by ``training.calibrate``); empty for a model without them."""
    stored = (nlp.meta.get(META_KEY) or {}).get("topic_thresholds") or {}
    return {k: float(v) for k, v in stored.items() if k in TOPICS}


def pick_sentiment(cats: dict[str, float]) -> tuple[str, float]:
    """The most probable sentiment and its probability."""
    label = max(SENTIMENTS, key=lambda k: cats.get(k, 0.0))
    return label, float(cats.get(label, 0.0))


def pick_topics(cats: dict[str, float],
                thresholds: dict[str, float] | None = None) -> list[str]:
    """Topics scoring at least their threshold (0.5 unless the model carries
    calibrated ones); else the best one if it reaches 0.2 (news items nearly
    always have one IOC area, and small training sets give under-confident
    sigmoid outputs)."""
    limits = thresholds or {}
    chosen = [t for t in TOPICS if cats.get(t, 0.0) >= limits.get(t, TOPIC_THRESHOLD)]
    if not chosen:
        best = max(TOPICS, key=lambda k: cats.get(k, 0.0))
        if cats.get(best, 0.0) >= TOPIC_FALLBACK:
            chosen = [best]
    return sorted(chosen, key=lambda k: -cats.get(k, 0.0))


def model_path(lang: str, models_dir: Path | None = None) -> Path:
    return (models_dir or MODELS_DIR) / lang


def load_pipeline(lang: str, models_dir: Path | None = None) -> Language:
    """The trained pipeline for ``lang``, loaded offline from disk."""
    path = model_path(lang, models_dir)
    if not (path / "config.cfg").is_file():
        raise ModelError(f"no trained {lang} model at {path}: run `canhgac nlp train`")
    try:
        return spacy.load(path)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load {lang} model at {path}: {exc}") from exc
