"""Retraining from shipped data + staff corrections; the not-worse rule."""

from __future__ import annotations

import shutil
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from spacy.language import Language

from detection.nlp.corrections import load_corrections, save_correction
from detection.nlp.data import Labelled, load_lexicon, load_shipped, split_of
from detection.nlp.errors import InputError
from detection.nlp.evaluation import evaluate
from detection.nlp.pipelines import blank_pipeline, load_pipeline, model_path
from detection.nlp.training import retrain, train_pipeline
from store.base import Store


def test_split_is_fixed_and_held_out() -> None:
    items = load_shipped()
    test = [i for i in items if i.split == "test"]
    assert 0.1 < len(test) / len(items) < 0.3
    assert split_of(test[0].text) == "test"
    assert {i.lang for i in items} == {"vi", "en"}


def _en() -> list[Labelled]:
    return [i for i in load_shipped() if i.lang == "en"]


def test_model_replaced_only_when_not_worse(tmp_path: Path) -> None:
    shutil.copytree(model_path("en"), model_path("en", tmp_path))
    before = (model_path("en", tmp_path) / "sentiment" / "model").read_bytes()
    # labels scrambled on the training split: the candidate must score lower
    broken = [replace(i, sentiment="positive", topics=("health",)) if i.split == "train"
              else i for i in _en()]
    out = retrain(broken, models_dir=tmp_path, langs=("en",), epochs=5)[0]
    assert not out.replaced and out.after < out.before
    assert (model_path("en", tmp_path) / "sentiment" / "model").read_bytes() == before
    forced = retrain(broken, models_dir=tmp_path, langs=("en",), epochs=5, force=True)[0]
    assert forced.replaced
    assert (model_path("en", tmp_path) / "sentiment" / "model").read_bytes() != before


def test_first_training_writes_a_loadable_model(tmp_path: Path) -> None:
    lex = [x for x in load_lexicon() if x.lang == "en"]
    out = retrain(_en(), lexicon=lex, models_dir=tmp_path, langs=("en",), epochs=5)[0]
    assert out.replaced and out.before is None and out.n_test > 5
    nlp = load_pipeline("en", tmp_path)
    assert set(nlp("Flooding on the road").cats) >= {"negative", "traffic"}


def test_corrections_are_stored_and_used(store: Store, tmp_path: Path) -> None:
    doc = save_correction(store, "Dịch vụ xe buýt mới rất tệ", "negative", ["traffic"],
                          user="lan")
    save_correction(store, "Dịch vụ xe buýt mới rất tệ", "negative", ["traffic"], user="lan")
    save_correction(store, "Bus service praised", "positive", ["traffic"], user="lan",
                    lang="en")
    store.refresh("rule_state")
    fixes = load_corrections(store)
    assert sorted(f.text for f in fixes) == ["Bus service praised", doc["text"]]
    assert all(f.source == "correction" for f in fixes)
    out = retrain(_en(), fixes, models_dir=tmp_path, langs=("en",), epochs=3)[0]
    assert out.n_corrections == 1
    with pytest.raises(InputError):
        save_correction(store, "x", "angry", [], user="lan")
    with pytest.raises(InputError):
        save_correction(store, "x", "negative", ["weather"], user="lan")


def test_vietnamese_is_read_as_written_and_folded() -> None:
    tok = blank_pipeline("vi").tokenizer
    accented = [t.text for t in tok("Thầy dạy rất hay!")]
    assert accented == ["thầy", "dạy", "rất", "hay", "!", "thay", "day", "rat", "hay", "!"]
    nfd = unicodedata.normalize("NFD", "Thầy dạy rất hay!")
    assert [t.text for t in tok(nfd)] == accented  # combining marks do not split syllables
    typed_plain = [t.text for t in tok("thay day rat hay!")]
    assert typed_plain == ["thay", "day", "rat", "hay", "!"] * 2
    assert len(tok("")) == 0
    # the shipped model was trained with it and reloads it from its config
    assert [t.text for t in load_pipeline("vi").make_doc("Cần Thơ")] == [
        "cần", "thơ", "can", "tho"]


def test_negated_syllables_get_a_mark_of_their_own() -> None:
    tok = blank_pipeline("vi").tokenizer
    words = [t.text for t in tok("Phòng chưa sạch, nhân viên không nhiệt tình, chẳng.")]
    # after both readings: one mark per negated written syllable, none
    # across punctuation, the same mark whichever negator
    assert words[-2:] == ["NEG_sạch", "NEG_nhiệt"]
    assert [t.text for t in tok("chẳng sạch")][-1] == "NEG_sạch"
    # text typed without diacritics is read without marks (folded "chua" is
    # also "sour"); the shipped model is the one trained with marks
    assert not any(w.startswith("NEG_") for w in (t.text for t in tok("phong chua sach")))
    assert [t.text for t in load_pipeline("vi").make_doc("không ổn")][-1] == "NEG_ổn"


def test_early_stopping_keeps_the_best_dev_epoch() -> None:
    items = _en()
    train = [i for i in items if i.split == "train"]
    dev = [i for i in items if i.split == "dev"]

    def dev_accuracy(nlp: Language) -> float:
        return evaluate(nlp, dev, with_topics=False)["sentiment"].accuracy

    # same seed, same trajectory: the kept epoch scores at least the last one
    last = train_pipeline("en", train, epochs=4, with_topics=False, long_texts=False)
    best = train_pipeline("en", train, epochs=4, with_topics=False, long_texts=False, dev=dev)
    assert dev_accuracy(best) >= dev_accuracy(last)
    first = train_pipeline("en", train, epochs=1, with_topics=False, long_texts=False)
    assert dev_accuracy(best) >= dev_accuracy(first)
