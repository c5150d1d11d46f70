"""Labelled data: the team's hand-written sentences plus staff corrections.

Training files are ``rules/nlp/training/city_<lang>*.tsv`` with three tab-
separated columns: sentiment (neg/neu/pos), topics (comma-separated), text.
The splits are fixed by content: a text is in ``test`` when the first byte of
SHA-1 of its NFC text is below 52 (about 20 %), in ``dev`` (the validation
split that picks per-topic thresholds) when it is below 90 (about 15 %), else
in ``train``; so a split never depends on file order and never changes when
files are appended.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from detection.nlp.errors import ResourceError
from detection.nlp.resources import RULES_DIR, SENTIMENTS, TOPICS
from detection.nlp.text import fold, normalise

TRAINING_DIR = RULES_DIR / "training"
_SENT = {"neg": "negative", "neu": "neutral", "pos": "positive"}


@dataclass(frozen=True)
class Labelled:
    """One labelled text."""

    text: str
    lang: str
    sentiment: str
    topics: tuple[str, ...]
    source: str = "shipped"

    @property
    def split(self) -> str:
        return split_of(self.text)

    def cats(self) -> tuple[dict[str, float], dict[str, float]]:
        """spaCy ``cats`` for the sentiment and topic components; empty when
        this item has no label for that task (lexicon phrases)."""
        sent = {s: float(s == self.sentiment) for s in SENTIMENTS} if self.sentiment else {}
        tops = {t: float(t in self.topics) for t in TOPICS} if self.topics or \
            self.source != "lexicon" else {}
        return sent, tops


def split_of(text: str) -> str:
    """``test``, ``dev`` or ``train``: fixed by the text's content."""
    first = hashlib.sha1(normalise(text).encode()).digest()[0]
    return "test" if first < 52 else "dev" if first < 90 else "train"


def parse_tsv(path: Path, lang: str) -> list[Labelled]:
    out, errors = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in _SENT:
            errors.append(f"line {n}: expected sentiment<TAB>topics<TAB>text")
            continue
        topics = tuple(t.strip() for t in parts[1].split(",") if t.strip())
        unknown = [t for t in topics if t not in TOPICS]
        if unknown:
            errors.append(f"line {n}: unknown topics {unknown}")
            continue
        out.append(Labelled(normalise(parts[2]), lang, _SENT[parts[0]], topics))
    if errors:
        raise ResourceError(f"{path}: " + "; ".join(errors))
    return out


def load_shipped(training_dir: Path | None = None) -> list[Labelled]:
    """Every hand-labelled sentence shipped in the repository."""
    directory = training_dir or TRAINING_DIR
    out: list[Labelled] = []
    for path in sorted(directory.glob("city_*.tsv")):
        lang = path.stem.split("_")[1]
        out.extend(parse_tsv(path, lang))
    return out


def load_lexicon(path: Path | None = None) -> list[Labelled]:
    """Lexicon phrases as one-phrase training examples (``rules/nlp/lexicon.yaml``).

    Topic phrases carry only their topic and sentiment phrases only their
    polarity; the other task's label is marked missing (``None``)."""
    path = path or RULES_DIR / "lexicon.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ResourceError(f"{path}: cannot read: {exc}") from exc
    out = []
    for topic, langs in (data.get("topics") or {}).items():
        if topic not in TOPICS:
            raise ResourceError(f"{path}: unknown topic {topic!r}")
        for lang, phrases in langs.items():
            out.extend(Labelled(normalise(p), lang, "", (topic,), "lexicon") for p in phrases)
    for sentiment, langs in (data.get("sentiment") or {}).items():
        if sentiment not in SENTIMENTS:
            raise ResourceError(f"{path}: unknown sentiment {sentiment!r}")
        for lang, phrases in langs.items():
            out.extend(Labelled(normalise(p), lang, sentiment, (), "lexicon") for p in phrases)
    return out


def augment_folded(items: Iterable[Labelled]) -> list[Labelled]:
    """Vietnamese items plus a diacritic-free copy (readers often type without)."""
    out = []
    for item in items:
        out.append(item)
        if item.lang == "vi" and fold(item.text) != item.text.lower():
            out.append(Labelled(fold(item.text), item.lang, item.sentiment, item.topics,
                                item.source))
    return out


def compose_long(items: Sequence[Labelled], *, seed: int = 7, per_item: float = 0.5,
                 sizes: tuple[int, int] = (3, 6)) -> list[Labelled]:
    """Article-length texts made by joining 3-6 sentences that share one topic
    and one sentiment (as ``article_text`` joins title, lead and body).

    The bag-of-n-grams classifiers sum one weight per n-gram, unnormalised by
    length; trained on headlines only, the many common words of a long text
    add up to "no topic" (see the data card).  Composites teach them that
    long texts carry topics too.  Build them within one split only, so no
    sentence leaks across splits."""
    groups: dict[tuple[str, str, tuple[str, ...]], list[Labelled]] = defaultdict(list)
    for item in items:
        if item.source != "lexicon" and item.sentiment and len(item.topics) == 1:
            groups[(item.lang, item.sentiment, item.topics)].append(item)
    rng = random.Random(seed)
    out = []
    for (lang, sentiment, topics), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        for _ in range(max(1, round(len(members) * per_item))):
            k = min(len(members), rng.randint(*sizes))
            parts = [m.text.rstrip(" .") for m in rng.sample(members, k)]
            out.append(Labelled(". ".join(parts) + ".", lang, sentiment, topics, "composite"))
    return out
