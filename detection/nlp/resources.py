"""Loading and validating the NLP resources under ``rules/nlp/``.

Gazetteer entries and watch lists are YAML that administrators edit, so each
is validated with pydantic and every problem is reported with file and entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detection.nlp.errors import ResourceError

RULES_DIR = Path(__file__).resolve().parents[2] / "rules" / "nlp"
MODELS_DIR = Path(__file__).resolve().parent / "models"
TOPICS = ("traffic", "environment", "public_order", "public_services", "tourism",
          "health", "education", "economy", "cyber")
SENTIMENTS = ("negative", "neutral", "positive")
Severity = Literal["low", "medium", "high", "critical"]


class GazetteerEntry(BaseModel):
    """One canonical entity and the ways the press writes it."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    label: Literal["ORG", "LOC", "FAC", "PERSON", "ROLE"]
    name: str
    kind: str = ""
    parent: str | None = None
    aliases: list[str] = Field(min_length=1)


class WatchList(BaseModel):
    """One watch-list entry: entities and/or keyword expressions, owner, severity."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    name: str
    owner: str
    severity: Severity
    entities: list[str] = []
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []
    sentiment: Literal["negative", "neutral", "positive"] | None = None


def _read_yaml(path: Path, key: str) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ResourceError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ResourceError(f"{path}: expected a mapping with a list under {key!r}")
    return data[key]


def _parse(path: Path, items: list[Any], model: type[BaseModel]) -> list[Any]:
    out, errors, seen = [], [], set()
    for n, item in enumerate(items):
        try:
            entry = model.model_validate(item)
        except ValidationError as exc:
            errors.append(f"entry {n}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
            continue
        if entry.id in seen:
            errors.append(f"entry {n}: duplicate id {entry.id!r}")
        seen.add(entry.id)
        out.append(entry)
    if errors:
        raise ResourceError(f"{path}: " + "; ".join(errors))
    return out


def load_gazetteer(path: Path | None = None) -> list[GazetteerEntry]:
    """Every gazetteer entry (``rules/nlp/gazetteer.yaml`` by default)."""
    path = path or RULES_DIR / "gazetteer.yaml"
    return _parse(path, _read_yaml(path, "entities"), GazetteerEntry)


def load_watchlists(path: Path | None = None,
                    known_ids: set[str] | None = None) -> list[WatchList]:
    """Every watch list; entity ids are checked against the gazetteer when given
    (``person.*`` ids, made from a name by ``detection.nlp.persons``, need no
    gazetteer entry)."""
    path = path or RULES_DIR / "watchlists.yaml"
    lists = _parse(path, _read_yaml(path, "watchlists"), WatchList)
    if known_ids is not None:
        bad = [f"{w.id}: unknown entity {e!r}" for w in lists for e in w.entities
               if e not in known_ids and not e.startswith("person.")]
        if bad:
            raise ResourceError(f"{path}: " + "; ".join(bad))
    for w in lists:
        if not w.entities and not w.any:
            raise ResourceError(f"{path}: {w.id}: needs entities or any")
    return lists
