"""Training the classifiers from the shipped data plus staff corrections.

A candidate is trained per language on the ``train`` split (plus lexicon,
corrections and article-length composites), its per-topic thresholds are
chosen on the ``dev`` split, it is scored on the fixed ``test`` split and
written over the shipped model only when its macro-F1 (sentiment + topics,
averaged) is not lower than the current model's.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.pipeline.textcat_multilabel import MultiLabel_TextCategorizer
from spacy.training import Example
from spacy.util import minibatch

from detection.nlp.data import Labelled, augment_folded, compose_long
from detection.nlp.errors import ModelError
from detection.nlp.evaluation import evaluate
from detection.nlp.pipelines import (
    LANGUAGES,
    META_KEY,
    TOPIC_THRESHOLD,
    blank_pipeline,
    load_pipeline,
    model_path,
    prepare,
)
from detection.nlp.resources import TOPICS

EPOCHS = 25
SEED = 13


def _examples(nlp: Language, items: Sequence[Labelled],
              task: str) -> list[Example]:
    """Examples carrying only ``task``'s labels (each component is updated
    from its own examples).  An exclusive classifier rejects a document with
    several positive labels, so a text with two topics gives one example per
    topic."""
    exclusive = not isinstance(nlp.get_pipe(task), MultiLabel_TextCategorizer)
    out = []
    for item in items:
        sent, topics = item.cats()
        cats = sent if task == "sentiment" else topics
        if not cats:
            continue
        doc = nlp.make_doc(item.text)
        positive = [k for k, v in cats.items() if v]
        if exclusive and len(positive) > 1:
            # an exclusive classifier takes one label per example: one copy each
            out.extend(Example.from_dict(doc, {"cats": {k: float(k == p) for k in cats}})
                       for p in positive)
        else:
            out.append(Example.from_dict(doc, {"cats": cats}))
    return out


def train_pipeline(lang: str, items: Sequence[Labelled], *, epochs: int = EPOCHS,
                   seed: int = SEED, with_topics: bool = True,
                   ngram_size: int = 2, long_texts: bool = True,
                   dev: Sequence[Labelled] = ()) -> Language:
    """A fresh pipeline trained on ``items`` plus, unless ``long_texts`` is
    off, article-length composites of them (Vietnamese gets folded copies).

    With ``dev``, training stops early: after each epoch the pipeline is
    scored on ``dev`` (mean accuracy of its tasks) and the best epoch's
    weights are kept, ties going to the earlier epoch.  A bag of n-grams
    fits a large training set within a few passes and then overfits it
    (UIT-VSFC dev accuracy peaks at epoch 1-3 of 10)."""
    spacy.util.fix_random_seed(seed)
    nlp = blank_pipeline(lang, ngram_size)
    if not with_topics:
        nlp.remove_pipe("topics")
    data = augment_folded([*items, *(compose_long(items, seed=seed) if long_texts else [])])
    if not data:
        raise ModelError(f"no training data for {lang}")
    tasks = {name: _examples(nlp, data, name) for name in nlp.pipe_names}
    optimizer = nlp.initialize(lambda: tasks["sentiment"])
    rng = random.Random(seed)
    best: tuple[float, bytes] | None = None
    for _ in range(epochs):
        for name, examples in tasks.items():
            rng.shuffle(examples)
            others = [other for other in tasks if other != name]
            for batch in minibatch(examples, size=16):
                nlp.update(batch, sgd=optimizer, drop=0.2, exclude=others)
        if dev:
            reports = evaluate(nlp, dev, with_topics="topics" in nlp.pipe_names)
            score = sum(r.accuracy for r in reports.values()) / len(reports)
            if best is None or score > best[0]:
                best = (score, nlp.to_bytes())
    if best is not None:
        nlp.from_bytes(best[1])
    return nlp


def calibrate(nlp: Language, dev: Sequence[Labelled]) -> dict[str, float]:
    """Per-topic thresholds that maximise each topic's F1 on ``dev`` (and its
    composites, so article-length texts count too); stored in the model's
    meta.  Thresholds are searched in 0.2-0.8 (topics are a softmax over nine
    areas: below 0.2 a topic is barely above the uniform 0.11, and a dev set
    of a few dozen texts would otherwise pick noise); a topic without dev
    examples keeps 0.5; ties go to the threshold nearest 0.5."""
    dev = [*dev, *compose_long(dev)]
    thresholds = {t: TOPIC_THRESHOLD for t in TOPICS}
    if dev and "topics" in nlp.pipe_names:
        docs = list(nlp.pipe(prepare(i.lang, i.text) for i in dev))
        grid = [round(0.05 * k, 2) for k in range(4, 17)]
        for topic in TOPICS:
            gold = [topic in i.topics for i in dev]
            if not any(gold):
                continue
            scores = [d.cats[topic] for d in docs]

            def f1(limit: float, gold: list[bool] = gold, scores: list[float] = scores) -> float:
                tp = sum(g and s >= limit for g, s in zip(gold, scores, strict=True))
                fp = sum(not g and s >= limit for g, s in zip(gold, scores, strict=True))
                return 2 * tp / (2 * tp + fp + gold.count(True) - tp)

            thresholds[topic] = max(grid, key=lambda t: (f1(t), -abs(t - TOPIC_THRESHOLD)))
    nlp.meta[META_KEY] = {**(nlp.meta.get(META_KEY) or {}), "topic_thresholds": thresholds}
    return thresholds


def combined_score(nlp: Language, test: Sequence[Labelled]) -> float:
    """Mean of sentiment and topic macro-F1 on ``test``: the replacement criterion."""
    reports = evaluate(nlp, test)
    return sum(r.macro_f1 for r in reports.values()) / len(reports)


@dataclass
class TrainOutcome:
    lang: str
    before: float | None
    after: float
    replaced: bool
    n_train: int
    n_test: int
    n_corrections: int

    def as_dict(self) -> dict:
        return {"lang": self.lang, "before": None if self.before is None else
                round(self.before, 4), "after": round(self.after, 4),
                "replaced": self.replaced, "n_train": self.n_train, "n_test": self.n_test,
                "n_corrections": self.n_corrections}


def retrain(items: Sequence[Labelled], corrections: Sequence[Labelled] = (), *,
            lexicon: Sequence[Labelled] = (), models_dir: Path | None = None,
            force: bool = False, langs: Sequence[str] = LANGUAGES,
            epochs: int = EPOCHS) -> list[TrainOutcome]:
    """Train each language on the train split + lexicon + corrections, pick its
    topic thresholds on the dev split; replace its model only if the held-out
    score does not get worse.  Corrections of a held-out sentence are ignored,
    so the yardstick never moves; a corrected dev sentence moves to training."""
    outcomes = []
    test_texts = {i.text for i in items if i.split == "test"}
    for lang in langs:
        test = [i for i in items if i.lang == lang and i.split == "test"]
        fixes = [c for c in corrections if c.lang == lang and c.text not in test_texts]
        fixed = {c.text for c in fixes}
        train = [i for i in items if i.lang == lang and i.split == "train"
                 and i.text not in fixed] + fixes
        dev = [i for i in items if i.lang == lang and i.split == "dev" and i.text not in fixed]
        candidate = train_pipeline(lang, train + [x for x in lexicon if x.lang == lang],
                                   epochs=epochs)
        calibrate(candidate, dev)
        after = combined_score(candidate, test)
        try:
            before: float | None = combined_score(load_pipeline(lang, models_dir), test)
        except ModelError:
            before = None
        replace = force or before is None or after >= before
        if replace:
            _write(candidate, model_path(lang, models_dir))
        outcomes.append(TrainOutcome(lang, before, after, replace, len(train), len(test),
                                     len(fixes)))
    return outcomes


def _write(nlp: Language, target: Path) -> None:
    """Write beside the target, then swap, so a reader never sees half a model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    nlp.to_disk(tmp)
    tmp.chmod(0o755)  # mkdtemp makes it private; a model is readable by every service
    old = target.with_name(f".{target.name}-old")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
