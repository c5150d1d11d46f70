"""Watch-list matching: canonical entities plus keyword expressions.

Keyword expressions go through spaCy's PhraseMatcher on the folded NORM of
the syllable doc the gazetteer already built, so matching is diacritic- and
NFC/NFD-insensitive and respects word boundaries ("cháy" never matches inside
another syllable, "fire" never inside "firefly").  The accent check of the
gazetteer applies: accented text must agree with an accented expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from detection.nlp.gazetteer import AccentCheck
from detection.nlp.resources import WatchList


@dataclass(frozen=True)
class WatchHit:
    """One watch list that matched an article, and why."""

    id: str
    name: str
    owner: str
    severity: str
    matched: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "owner": self.owner,
                "severity": self.severity, "matched": list(self.matched)}


class WatchListMatcher:
    """Evaluates every watch list against a syllable doc and its entities."""

    def __init__(self, lists: list[WatchList], nlp: Language) -> None:
        self.lists = lists
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.accents = AccentCheck()
        self._keys: dict[str, str] = {}
        for w in lists:
            for slot in ("any", "all", "none"):
                for n, expr in enumerate(getattr(w, slot)):
                    key = f"{w.id}\x1f{slot}\x1f{n}"
                    pattern = nlp.make_doc(expr)
                    self.accents.add(pattern)
                    self.matcher.add(key, [pattern])
                    self._keys[key] = expr

    def _found(self, doc: Doc) -> set[str]:
        found = set()
        for match_id, start, end in self.matcher(doc):
            if self.accents.accepts(doc[start:end]):
                found.add(doc.vocab.strings[match_id])
        return found

    def match(self, doc: Doc, entity_ids: set[str],
              sentiment: str | None = None) -> list[WatchHit]:
        """Watch lists matching ``doc`` (already entity-tagged) and its sentiment."""
        found = self._found(doc)
        hits = []
        for w in self.lists:
            def exprs(slot: str, w: WatchList = w) -> list[str]:
                return [k for k in found if k.startswith(f"{w.id}\x1f{slot}\x1f")]

            ents = sorted(entity_ids.intersection(w.entities))
            anys = exprs("any")
            if not ents and not anys:
                continue
            if len({k for k in exprs("all")}) < len(w.all) or exprs("none"):
                continue
            if w.sentiment and sentiment != w.sentiment:
                continue
            matched = tuple(ents + sorted({self._keys[k] for k in anys + exprs("all")}))
            hits.append(WatchHit(w.id, w.name, w.owner, w.severity, matched))
        return hits
