"""Load Sigma rules (spec v2: rules, filters, correlations) from files and
folders in the SigmaHQ layout.

A broken rule is reported as a ``RuleProblem`` (file, line, reason) and never
stops the others; pySigma's validators add warnings of the same shape.

Files are parsed with libyaml and their parsed YAML kept on disk
(``detection.sigma.load_cache``); pySigma builds the rules from those documents
as ``SigmaCollection.from_yaml`` would.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule
from sigma.validation import SigmaValidator
from sigma.validators.core import validators as core_validators

from detection.sigma.load_cache import LoadCache

RULE_SUFFIXES = (".yml", ".yaml")
# Validators whose findings are advice, not breakage, on third-party rule sets.
QUIET_VALIDATORS = {"identifier_existence", "identifier_uniqueness", "filename_naming",
                    # these two fetch MITRE data from the internet: never at run time
                    "attacktag", "d3_fendtag"}


@dataclass(frozen=True)
class RuleProblem:
    """Why a rule file (or one rule in it) was refused or flagged."""

    path: str
    line: int | None
    reason: str
    severity: str = "error"  # error: not loaded; warning/low/...: loaded, flagged

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.reason}"


@dataclass
class RuleSet:
    """Rules ready to convert, keyed by id, plus every problem seen."""

    rules: dict[str, SigmaRule] = field(default_factory=dict)
    correlations: dict[str, SigmaCorrelationRule] = field(default_factory=dict)
    filters: list[SigmaFilter] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)  # rule id -> file
    cached_files: int = 0  # files whose YAML came from the on-disk load cache

    @property
    def errors(self) -> list[RuleProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def all_rules(self) -> list[SigmaRule | SigmaCorrelationRule]:
        return [*self.rules.values(), *self.correlations.values()]

    def find(self, key: str) -> SigmaRule | SigmaCorrelationRule | None:
        """A rule by id, or by name for correlations' references."""
        rule = self.rules.get(key) or self.correlations.get(key)
        if rule is not None:
            return rule
        for r in self.all_rules():
            if r.name == key:
                return r
        return None


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every rule file under the given files/folders, sorted, deduplicated."""
    out: set[Path] = set()
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.update(f for f in path.rglob("*") if f.suffix in RULE_SUFFIXES and f.is_file())
        elif path.is_file():
            out.add(path)
    return sorted(out)


def rule_id(rule: SigmaRule | SigmaCorrelationRule) -> str:
    """The stable id of a rule: its ``id``, else its ``name``, else its title."""
    if rule.id is not None:
        return str(rule.id)
    return rule.name or re.sub(r"\W+", "-", rule.title or "untitled").strip("-").lower()


def _line_of(exc: BaseException, text: str, doc_start: int) -> int | None:
    loc = getattr(exc, "source", None)
    if loc is not None and getattr(loc, "line", None):
        return int(loc.line)
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    # Point at the key the message names, when it names one we can find.
    for key in re.findall(r"'([A-Za-z_|]+)'", str(exc)):
        for n, line in enumerate(text.splitlines()[doc_start:], start=doc_start + 1):
            if line.lstrip().startswith(key.split("|")[0] + ":"):
                return n
    return doc_start + 1


def _doc_starts(text: str) -> list[int]:
    """0-based line numbers where each YAML document of a file starts."""
    starts = [0]
    for n, line in enumerate(text.splitlines()):
        if line.startswith("---") and n > 0:
            starts.append(n + 1)
    return starts


def load_rules(paths: Iterable[str | Path], *, validate: bool = False,
               cache: bool = True) -> RuleSet:
    """Load every rule under ``paths``; one bad file or rule never stops the rest.

    Parsed YAML comes from the on-disk load cache (``detection.sigma.load_cache``)
    unless ``cache`` is off; the result is the same either way."""
    rs = RuleSet()
    validator = SigmaValidator(
        [v for k, v in core_validators.items() if k not in QUIET_VALIDATORS]) if validate else None
    store = LoadCache(enabled=cache)
    paths = list(paths)
    for missing in (p for p in paths if not Path(p).exists()):
        # A rule folder that is not there must not pass for one without rules.
        rs.problems.append(RuleProblem(str(missing), None, "no such file or folder",
                                       "error"))
    for path in rule_files(paths):
        _load_file(path, rs, validator, store)
    store.save()
    rs.cached_files = store.hits
    _resolve_correlations(rs)
    if rs.filters:
        _apply_filters(rs)
    return rs


def _load_file(path: Path, rs: RuleSet, validator: SigmaValidator | None,
               store: LoadCache) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        rs.problems.append(RuleProblem(str(path), None, f"unreadable: {exc}"))
        return
    starts = _doc_starts(text)
    try:
        # References are resolved over the whole rule set (``_resolve_correlations``):
        # pySigma would look only inside this file, and a correlation may name a
        # rule (or another correlation) of another file.  ``from_dicts`` over the
        # documents is what ``from_yaml`` does after its (slower) YAML parse.
        # Filters are collected, not applied: a filter names rules of any file
        # (``_apply_filters`` applies them over the whole rule set).
        collection = SigmaCollection.from_dicts(store.documents(text), collect_errors=True,
                                                resolve_references=False, collect_filters=True)
    except (SigmaError, yaml.YAMLError) as exc:
        rs.problems.append(RuleProblem(str(path), _line_of(exc, text, 0), str(exc)))
        return
    except Exception as exc:
        rs.problems.append(RuleProblem(str(path), None, f"{type(exc).__name__}: {exc}"))
        return
    for flt in collection.filters:
        errors = list(getattr(flt, "errors", []) or [])
        for exc in errors:
            rs.problems.append(RuleProblem(str(path), _line_of(exc, text, 0), f"filter: {exc}"))
        if not errors:
            rs.filters.append(flt)
    for i, rule in enumerate(collection.rules):
        start = starts[i] if i < len(starts) else 0
        errors = list(getattr(rule, "errors", []) or [])
        if errors:
            for exc in errors:
                rs.problems.append(RuleProblem(str(path), _line_of(exc, text, start), str(exc)))
            continue
        if isinstance(rule, SigmaFilter):
            rs.filters.append(rule)
            continue
        if isinstance(rule, SigmaRule):
            try:  # pySigma parses conditions lazily: parse now, so a bad one is reported here
                for cond in rule.detection.parsed_condition:
                    _ = cond.parsed
            except SigmaError as exc:
                rs.problems.append(RuleProblem(str(path), _line_of(exc, text, start),
                                               f"condition: {exc}"))
                continue
        rid = rule_id(rule)
        if rid in rs.paths:
            rs.problems.append(RuleProblem(
                str(path), start + 1, f"duplicate rule id {rid} (first in {rs.paths[rid]})"))
            continue
        if validator is not None and isinstance(rule, SigmaRule):
            try:
                issues = validator.validate_rule(rule)
            except Exception as exc:
                issues = []
                rs.problems.append(RuleProblem(str(path), start + 1,
                                               f"validator failed: {exc}", "warning"))
            for issue in issues:
                rs.problems.append(RuleProblem(
                    str(path), start + 1, f"{type(issue).__name__}: {issue.description}",
                    issue.severity.name.lower()))
        rs.paths[rid] = str(path)
        if isinstance(rule, SigmaCorrelationRule):
            rs.correlations[rid] = rule
        elif isinstance(rule, SigmaRule):
            rs.rules[rid] = rule


def _resolve_correlations(rs: RuleSet) -> None:
    """Resolve every correlation's references (by id or name, across files) to
    the rules we loaded; drop a correlation naming unknown rules, or taking part
    in a reference cycle (a correlation over itself, directly or through others).
    A correlation that names a dropped one is dropped in turn."""
    cycles = {rid: c for rid in rs.correlations if (c := _cycle(rs, rid, ())) and c[-1] == rid}
    for rid, cycle in cycles.items():
        rs.problems.append(RuleProblem(rs.paths.get(rid, "?"), None,
                                       f"correlation {rid}: reference cycle {' -> '.join(cycle)}"))
        del rs.correlations[rid]
    changed = True
    while changed:  # until no correlation names a missing (or dropped) rule
        changed = False
        for rid, corr in list(rs.correlations.items()):
            refs = list(corr.rules or [])
            missing = [str(ref.reference) for ref in refs if rs.find(str(ref.reference)) is None]
            if missing:
                rs.problems.append(RuleProblem(rs.paths.get(rid, "?"), None,
                                               f"correlation {rid}: unknown rules {missing}"))
                del rs.correlations[rid]
                changed = True
    for corr in rs.correlations.values():
        for ref in corr.rules or []:
            ref.rule = rs.find(str(ref.reference))  # type: ignore[assignment]
        corr.referenced_rules = list(corr.rules or [])


def _cycle(rs: RuleSet, rid: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The reference path that leads from ``rid`` back into ``path``, if any."""
    if rid in path:
        return (*path, rid)
    corr = rs.correlations.get(rid)
    if corr is None:
        return None
    for ref in corr.rules or []:
        target = rs.find(str(ref.reference))
        if isinstance(target, SigmaCorrelationRule):
            found = _cycle(rs, rule_id(target), (*path, rid))
            if found:
                return found
    return None


def _apply_filters(rs: RuleSet) -> None:
    """Apply Sigma filters (spec v2) to the rules they name (by id or name, in
    any file) and whose log source they share: each filtered rule replaces the
    rule in the set, its condition ``(rule) and (filter)``.  A filter that
    cannot be applied to a rule is reported and leaves that rule as it was."""
    for rid, rule in list(rs.rules.items()):
        try:
            rs.rules[rid] = reduce(lambda r, f: _apply_filter(f, r), rs.filters, rule)
        except SigmaError as exc:
            rs.problems.append(RuleProblem(rs.paths.get(rid, "filters"), None,
                                           f"filter not applied to {rid}: {exc}"))


def _apply_filter(flt: SigmaFilter, rule: SigmaRule) -> SigmaRule:
    """``flt.apply_on_rule(rule)`` with the same result on every load.

    pySigma names the filter's detections with a random prefix; a different
    rule on each load would miss the conversion cache (keyed by the parsed
    rule) every time.  So the prefix is drawn from a generator seeded by the
    filter and the rule, and the process's own random state is put back."""
    state = random.getstate()
    random.seed(f"{flt.id or flt.title}/{rule_id(rule)}")
    try:
        return flt.apply_on_rule(rule)
    finally:
        random.setstate(state)
