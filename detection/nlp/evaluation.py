"""Per-class precision, recall and F1 for the sentiment and topic classifiers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.language import Language

from detection.nlp.data import Labelled
from detection.nlp.pipelines import pick_sentiment, pick_topics, prepare, topic_thresholds
from detection.nlp.resources import SENTIMENTS, TOPICS


@dataclass
class ClassScores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    """Scores of one task (sentiment or topics) on one set of examples."""

    task: str
    classes: dict[str, ClassScores] = field(default_factory=dict)
    correct: int = 0
    total: int = 0

    @property
    def macro_f1(self) -> float:
        scored = [c for c in self.classes.values() if c.support or c.fp]
        return sum(c.f1 for c in scored) / len(scored) if scored else 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_dict(self) -> dict:
        return {"task": self.task, "n": self.total, "accuracy": round(self.accuracy, 4),
                "macro_f1": round(self.macro_f1, 4),
                "per_class": {k: {"precision": round(c.precision, 4),
                                  "recall": round(c.recall, 4), "f1": round(c.f1, 4),
                                  "support": c.support} for k, c in self.classes.items()}}


def score_sets(task: str, labels: Sequence[str], gold: Sequence[set[str]],
               pred: Sequence[set[str]]) -> Report:
    """Per-class counts from gold/predicted label sets (exact-set accuracy)."""
    report = Report(task, {label: ClassScores() for label in labels})
    for g, p in zip(gold, pred, strict=True):
        report.total += 1
        report.correct += int(g == p)
        for label in labels:
            c = report.classes[label]
            c.tp += int(label in g and label in p)
            c.fp += int(label not in g and label in p)
            c.fn += int(label in g and label not in p)
    return report


def evaluate(nlp: Language, items: Sequence[Labelled], *,
             with_topics: bool = True) -> dict[str, Report]:
    """Score ``nlp`` on ``items``: ``{"sentiment": Report, "topics": Report}``."""
    docs = list(nlp.pipe(prepare(i.lang, i.text) for i in items))
    sent_pred = [{pick_sentiment(d.cats)[0]} for d in docs]
    out = {"sentiment": score_sets("sentiment", SENTIMENTS,
                                   [{i.sentiment} for i in items], sent_pred)}
    if with_topics:
        limits = topic_thresholds(nlp)
        topic_pred = [set(pick_topics(d.cats, limits)) for d in docs]
        out["topics"] = score_sets("topics", TOPICS, [set(i.topics) for i in items],
                                   topic_pred)
    return out


def format_report(report: Report, title: str) -> str:
    """A plain-text table like scikit-learn's classification report."""
    lines = [f"{title}  ({report.task}, n={report.total})",
             f"{'class':<18}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for label, c in report.classes.items():
        lines.append(f"{label:<18}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>10.3f}"
                     f"{c.support:>9}")
    lines.append(f"{'macro F1':<18}{report.macro_f1:>30.3f}")
    lines.append(f"{'accuracy':<18}{report.accuracy:>30.3f}")
    return "\n".join(lines)
