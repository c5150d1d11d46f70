"""The on-disk load cache (parsed YAML of rule files): a warm load gives the
same rules, problems and conversions as a cold one; an edited file is read
again; a broken cache is ignored; libyaml parses as PyYAML's pure loader."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sigma.collection import SigmaCollection

from detection.sigma.convert import compile_rules
from detection.sigma.load_cache import LoadCache, parse_yaml
from detection.sigma.loader import RuleSet, load_rules, rule_files
from tests.detection.fixtures.events import RULES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ROOT = Path(__file__).resolve().parents[2]
PROC = "11111111-1111-4111-8111-111111111111"
# Our own text: a rule whose YAML does not parse (unclosed flow sequence at line 6).
BAD_YAML = """title: Unclosed list
id: c0ffee00-0000-4000-8000-00000000000a
logsource:
    product: windows
detection:
    selection: [a, b
    condition: selection
"""
# Two documents in one file: the second one's condition names no selection.
TWO_DOCS = """title: First of two
id: c0ffee00-0000-4000-8000-00000000000b
logsource:
    product: linux
detection:
    selection:
        process.name: nc
    condition: selection
---
title: Second of two
id: c0ffee00-0000-4000-8000-00000000000c
date: 2026-11-02
logsource:
    product: linux
detection:
    selection:
        process.name: socat
    condition: selection and absent
"""


def snapshot(rs: RuleSet) -> dict[str, Any]:
    """Everything a consumer sees of a loaded rule set, as plain data."""
    return {
        "rules": {k: (r.title, r.to_dict()) for k, r in rs.rules.items()},
        "correlations": {k: (c.title, c.to_dict(),
                             [type(ref.rule).__name__ for ref in c.rules or []])
                         for k, c in rs.correlations.items()},
        "filters": [f.to_dict() for f in rs.filters],
        "problems": [(p.path, p.line, p.reason, p.severity) for p in rs.problems],
        "paths": dict(rs.paths),
    }


def converted(rs: RuleSet) -> dict[str, Any]:
    cov = compile_rules(rs, "sqlite", cache=False)
    return {rid: (c.status, c.query, c.clauses) for rid, c in cov.compiled.items()}


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rule folder of ours (fixtures, our pack, broken and multi-document
    files) and a cache folder of this test's own."""
    monkeypatch.setenv("CANHGAC_SIGMA_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    shutil.copytree(ROOT / "rules" / "sigma", folder / "pack")
    (folder / "bad_yaml.yml").write_text(BAD_YAML, encoding="utf-8")
    (folder / "two_docs.yml").write_text(TWO_DOCS, encoding="utf-8")
    return folder


def test_warm_load_equals_cold(rules: Path) -> None:
    cold = load_rules([rules], validate=True)
    assert cold.cached_files == 0
    assert LoadCache().path is not None and LoadCache().path.is_file()  # type: ignore[union-attr]
    warm = load_rules([rules], validate=True)
    parsed = len(rule_files([rules])) - 1  # every file but the one that does not parse
    assert warm.cached_files == parsed
    assert snapshot(warm) == snapshot(cold)
    assert snapshot(load_rules([rules], validate=True, cache=False)) == snapshot(cold)
    assert converted(warm) == converted(cold)
    assert converted(cold)[PROC][0] == "converted"
    # The broken files are reported the same way, with their lines.
    problems = {(Path(p.path).name, p.line) for p in warm.errors}
    assert ("bad_yaml.yml", 7) in problems  # the pure loader's mark: where it gave up
    # A condition naming a missing selection: the line where its document starts.
    assert ("broken.yml", 1) in problems
    assert ("two_docs.yml", 10) in problems
    assert "c0ffee00-0000-4000-8000-00000000000b" in warm.rules
    assert "c0ffee00-0000-4000-8000-00000000000c" not in warm.rules
    assert warm.correlations and len(warm.correlations) == len(cold.correlations)


def test_edited_file_is_read_again(rules: Path) -> None:
    path = rules / "proc_cmd.yml"
    cold = load_rules([rules])
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    assert " -enc " in text
    # Same size, same mtime: only the content says the file changed.
    path.write_text(text.replace(" -enc ", " -exe "), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    edited = load_rules([rules])
    assert edited.cached_files == cold.cached_files + len(rule_files([rules])) - 2
    assert " -exe " in str(edited.rules[PROC].to_dict()["detection"])
    assert " -enc " in str(cold.rules[PROC].to_dict()["detection"])
    assert " -exe " in str(converted(edited)[PROC][1])
    assert snapshot(load_rules([rules], cache=False)) == snapshot(edited)


def test_broken_cache_file_is_ignored(rules: Path) -> None:
    cold = load_rules([rules])
    path = LoadCache().path
    assert path is not None
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated
    again = load_rules([rules])
    assert again.cached_files == 0
    assert snapshot(again) == snapshot(cold)
    assert load_rules([rules]).cached_files == len(rule_files([rules])) - 1  # rewritten


def test_broken_or_foreign_entries_are_ignored(rules: Path) -> None:
    cold = load_rules([rules])
    cache = LoadCache()
    assert cache.path is not None
    keys = sorted(cache.entries)
    assert len(keys) >= 3
    day = cache.entries[keys[0]][0]
    # Garbage, a pickle naming a class outside the allowed dates and times
    # (never imported nor called), and a value of the wrong shape.
    bad = {keys[0]: (day, b"\x80\x05garbage"),
           keys[1]: (day, pickle.dumps([Path("/etc/passwd")])),
           keys[2]: (day, pickle.dumps({"not": "a list"}))}
    with cache.path.open("wb") as fh:
        pickle.dump({**cache.entries, **bad}, fh)
    again = load_rules([rules])
    assert again.cached_files == len(keys) - 3
    assert snapshot(again) == snapshot(cold)
    healed = LoadCache()
    assert all(isinstance(pickle.loads(healed.entries[k][1]), list) for k in bad)


def test_cache_off(rules: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CANHGAC_SIGMA_CACHE", "off")
    assert LoadCache().path is None
    rs = load_rules([rules])
    assert rs.cached_files == 0 and load_rules([rules]).cached_files == 0
    assert PROC in rs.rules
    assert not (tmp_path / "cache").exists()


def test_rule_repo_loads_same_with_and_without_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANHGAC_SIGMA_CACHE", str(tmp_path / "cache"))
    repo = ROOT / "rules"
    plain = load_rules([repo], validate=True, cache=False)
    load_rules([repo], validate=True)
    warm = load_rules([repo], validate=True)
    assert warm.cached_files == len(rule_files([repo]))
    assert plain.rules and plain.correlations and plain.problems  # rules/nlp is no Sigma
    assert snapshot(warm) == snapshot(plain)
    assert converted(warm) == converted(plain)


def test_libyaml_parses_as_pysigma() -> None:
    """The documents we hand to ``from_dicts`` are those ``from_yaml`` parses,
    and a file PyYAML refuses raises the pure loader's own error."""
    files = rule_files([ROOT / "rules", RULES])
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert parse_yaml(text) == list(yaml.safe_load_all(text)), path
    for path in rule_files([ROOT / "rules" / "sigma"]):
        text = path.read_text(encoding="utf-8")
        ours = SigmaCollection.from_dicts(parse_yaml(text), resolve_references=False)
        theirs = SigmaCollection.from_yaml(text, resolve_references=False)
        assert [r.to_dict() for r in ours.rules] == [r.to_dict() for r in theirs.rules]
    with pytest.raises(yaml.YAMLError) as ours_exc:
        parse_yaml(BAD_YAML)
    with pytest.raises(yaml.YAMLError) as pure_exc:
        list(yaml.safe_load_all(BAD_YAML))
    assert str(ours_exc.value) == str(pure_exc.value)
