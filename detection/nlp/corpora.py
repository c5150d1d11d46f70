"""Readers for the public research corpora used only as a yardstick.

UIT-VSFC and VLSP 2016 are for research use only: nothing from them is
shipped or trained into the shipped model.  These readers serve the extended
check (``tests/nlp/test_public_corpora.py``), which skips when the data is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

from detection.nlp.data import Labelled
from detection.nlp.errors import ResourceError
from detection.nlp.text import normalise

_UIT = {"0": "negative", "1": "neutral", "2": "positive"}
_VLSP = {"-1": "negative", "0": "neutral", "1": "positive"}


def read_uit_vsfc(root: Path, split: str) -> list[Labelled]:
    """UIT-VSFC ``split`` (train/dev/test): sents.txt + sentiments.txt."""
    folder = root / split
    try:
        sents = (folder / "sents.txt").read_text(encoding="utf-8").splitlines()
        labels = (folder / "sentiments.txt").read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ResourceError(f"{folder}: {exc}") from exc
    if len(sents) != len(labels):
        raise ResourceError(f"{folder}: {len(sents)} sentences but {len(labels)} labels")
    return [Labelled(normalise(s), "vi", _UIT[y.strip()], (), "uit-vsfc")
            for s, y in zip(sents, labels, strict=True) if s.strip() and y.strip() in _UIT]


def read_vlsp2016(path: Path) -> list[Labelled]:
    """VLSP 2016 sentiment CSV (``Class`` -1/0/1, ``Data`` original text)."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ResourceError(f"{path}: {exc}") from exc
    return [Labelled(normalise(r["Data"]), "vi", _VLSP[r["Class"].strip()], (), "vlsp2016")
            for r in rows if r.get("Class", "").strip() in _VLSP and (r.get("Data") or "").strip()]
