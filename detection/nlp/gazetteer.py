"""Gazetteer entity recognition: a spaCy EntityRuler over a folded syllable view.

The ruler's tokenizer splits text into syllables/words (Vietnamese writes one
syllable per space-separated unit) and sets each token's NORM to its folded,
lower-case form, so the ruler (``phrase_matcher_attr="NORM"``) matches with or
without diacritics, in NFC or NFD, and only on whole syllables.  An accent
check then rejects matches where both the text and every alias with the same
folded form carry diacritics that disagree ("cảm" is not "cấm").  People,
who cannot all be listed, are found by ``detection.nlp.persons`` around them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from detection.nlp.persons import find_persons
from detection.nlp.resources import GazetteerEntry, load_gazetteer
from detection.nlp.text import fold, has_diacritics, normalise, syllables


class SyllableTokenizer:
    """Syllable tokenizer whose lexemes carry a folded NORM."""

    MAX_SEEN = 500_000

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._normed: set[str] = set()  # words whose lexeme NORM is already folded

    def __call__(self, text: str) -> Doc:
        text = normalise(text)
        toks = syllables(text)
        words = [t for t, _, _ in toks]
        spaces = [end < len(text) and text[end] == " " for _, _, end in toks]
        for w in set(words).difference(self._normed):
            self.vocab[w].norm_ = fold(w)
            if len(self._normed) < self.MAX_SEEN:
                self._normed.add(w)
        return Doc(self.vocab, words=words, spaces=spaces)


def syllable_nlp() -> Language:
    """A blank multilingual pipeline with the folded syllable tokenizer."""
    nlp = spacy.blank("xx")
    nlp.tokenizer = SyllableTokenizer(nlp.vocab)
    return nlp


def _key(doc_or_span: Doc | Span) -> str:
    return " ".join(t.norm_ for t in doc_or_span)


def _accented(doc_or_span: Doc | Span) -> str:
    return " ".join(t.lower_ for t in doc_or_span)


@dataclass
class AccentCheck:
    """Accented forms known for each folded phrase, to reject accent clashes."""

    forms: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, doc: Doc) -> None:
        self.forms[_key(doc)].add(_accented(doc))

    def accepts(self, span: Span) -> bool:
        if not has_diacritics(span.text):
            return True
        known = self.forms.get(_key(span), set())
        accented = _accented(span)
        return any(form == accented or not has_diacritics(form) for form in known)


class GazetteerMatcher:
    """Finds gazetteer entities in text and links each to its canonical id."""

    def __init__(self, entries: list[GazetteerEntry] | None = None,
                 path: Path | None = None, persons: bool = True) -> None:
        """``persons``: also find people named after a title or by a full name
        (ids ``person.*``, no gazetteer entry needed)."""
        self.persons = persons
        self.entries = {e.id: e for e in (entries if entries is not None
                                          else load_gazetteer(path))}
        self.nlp = syllable_nlp()
        self.ruler = self.nlp.add_pipe(
            "entity_ruler", config={"phrase_matcher_attr": "NORM", "overwrite_ents": True})
        self.accents = AccentCheck()
        patterns = []
        for entry in self.entries.values():
            for alias in dict.fromkeys([entry.name, *entry.aliases]):
                patterns.append({"label": entry.label, "pattern": alias, "id": entry.id})
                self.accents.add(self.nlp.make_doc(alias))
        self.ruler.add_patterns(patterns)

    def doc(self, text: str) -> Doc:
        """The syllable doc with gazetteer entities set (accent clashes removed),
        then the people named in it (``detection.nlp.persons``)."""
        doc = self.nlp(text)
        doc.ents = [ent for ent in doc.ents if self.accents.accepts(ent)]
        if self.persons:
            doc.ents = sorted([*doc.ents, *find_persons(doc)], key=lambda e: e.start)
        return doc

    def entities(self, text: str | Doc) -> list[dict[str, Any]]:
        """``[{id, text, label, name, start_char, end_char}]`` in text order."""
        doc = self.doc(text) if isinstance(text, str) else text
        out = []
        for ent in doc.ents:
            entry = self.entries.get(ent.ent_id_)
            out.append({"id": ent.ent_id_, "text": ent.text, "label": ent.label_,
                        "name": entry.name if entry else ent.text,
                        "start_char": ent.start_char, "end_char": ent.end_char})
        return out
