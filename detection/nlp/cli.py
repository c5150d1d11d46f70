"""``canhgac nlp``: classify stdin, train, evaluate, run reputation rules."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

app = typer.Typer(help="NLP classification, training and evaluation.", no_args_is_help=True)


def _line_text(line: str) -> tuple[str, dict[str, Any]]:
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped, {}
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            return obj["text"], obj
    return stripped, {}


@app.command()
def classify(entities: bool = typer.Option(True, help="include entities")) -> None:
    """Read lines of text (or JSON lines with ``text``) on stdin; print one JSON
    object per line: language, sentiment {label, score}, topics, entities."""
    from detection.nlp.enrichment import analyzer

    an = analyzer()
    for line in sys.stdin:
        text, obj = _line_text(line)
        if not text:
            continue
        lang = obj.get("lang") or obj.get("language")
        result = an.analyze(text, lang if lang in ("vi", "en") else None)
        out: dict[str, Any] = {k: obj[k] for k in ("id",) if k in obj}
        out.update({"text": text, "language": result["language"],
                    "sentiment": result["sentiment"], "topics": result["topics"]})
        if entities:
            out["entities"] = [{"id": e["id"], "text": e["text"], "label": e["label"]}
                               for e in result["entities"]]
        out["watch_hits"] = [h["id"] for h in result["watch_hits"]]
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


@app.command()
def evaluate(as_json: bool = typer.Option(False, "--json", help="one JSON object"),
             folded: bool = typer.Option(True, help="also score diacritic-free copies")) -> None:
    """Per-class precision/recall/F1 of the shipped models on the held-out split
    (``test``), its diacritic-free copy and its article-length part
    (``test_long``: hand-written articles plus composites of test sentences)."""
    from detection.nlp.data import Labelled, compose_long, load_shipped
    from detection.nlp.evaluation import evaluate as run
    from detection.nlp.evaluation import format_report
    from detection.nlp.pipelines import LANGUAGES, load_pipeline
    from detection.nlp.text import fold

    items = load_shipped()
    results: dict[str, Any] = {}
    for lang in LANGUAGES:
        nlp = load_pipeline(lang)
        test = [i for i in items if i.lang == lang and i.split == "test"]
        sets = {"test": test, "test_long": [i for i in test if len(i.text) >= 400] +
                compose_long([i for i in test if len(i.text) < 400])}
        if folded and lang == "vi":
            sets["test_folded"] = [Labelled(fold(i.text), i.lang, i.sentiment, i.topics)
                                   for i in test]
        for name, subset in sets.items():
            for task, report in run(nlp, subset).items():
                results[f"{lang}.{name}.{task}"] = report.as_dict()
                if not as_json:
                    typer.echo(format_report(report, f"{lang} {name}") + "\n")
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False))


@app.command()
def train(force: bool = typer.Option(False, help="replace even if the score drops"),
          corrections: bool = typer.Option(True, help="include staff corrections from the store"),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Retrain from shipped data (+ lexicon + staff corrections); replace a model
    only when its held-out score does not get worse."""
    from detection.nlp.data import load_lexicon, load_shipped
    from detection.nlp.training import retrain

    fixes = []
    if corrections:
        from canhgac.config import load
        from detection.nlp.corrections import load_corrections
        from store import open_store

        with open_store(load()) as st:
            fixes = load_corrections(st)
    outcomes = retrain(load_shipped(), fixes, lexicon=load_lexicon(), force=force)
    for o in outcomes:
        d = o.as_dict()
        if as_json:
            typer.echo(json.dumps(d))
        else:
            verdict = "replaced" if o.replaced else "kept the current model (new one scored lower)"
            typer.echo(f"{o.lang}: before={d['before']} after={d['after']} "
                       f"({o.n_train} train incl. {o.n_corrections} corrections, "
                       f"{o.n_test} held out): {verdict}")


@app.command()
def reputation(as_json: bool = typer.Option(False, "--json")) -> None:
    """Run the reputation rules once over stored articles and write alerts."""
    from canhgac.config import load
    from detection.nlp.reputation import ReputationEngine
    from store import open_store

    cfg = load()
    with open_store(cfg) as st:
        report = ReputationEngine(st, cfg.nlp).run()
    typer.echo(json.dumps(report) if as_json else
               ", ".join(f"{k}={v}" for k, v in report.items()))
