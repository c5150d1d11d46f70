"""The on-disk conversion cache: a warm start reuses conversions, and an
edited rule file is converted again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from detection.sigma.cache import ConversionCache
from detection.sigma.convert import compile_rules
from detection.sigma.loader import load_rules
from tests.detection.fixtures.events import RULES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PROC = "11111111-1111-4111-8111-111111111111"


@pytest.mark.parametrize("backend", ["sqlite", "opensearch"])
def test_warm_start_reuses_and_edit_reconverts(tmp_path: Path, monkeypatch, backend: str) -> None:
    monkeypatch.setenv("CANHGAC_SIGMA_CACHE", str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    cold = compile_rules(load_rules([rules]), backend)
    assert cold.compiled[PROC].status == "converted"
    cache = ConversionCache(backend, "winlog")
    assert cache.path is not None and cache.path.is_file()
    assert len(cache.entries) == len(cold.compiled)
    assert cold.cached == 0
    warm = compile_rules(load_rules([rules]), backend)
    assert warm.compiled == cold.compiled
    assert warm.cached == len(warm.compiled)
    # Edit the process rule: its conversion must follow the edit, not the cache.
    path = rules / "proc_cmd.yml"
    text = path.read_text(encoding="utf-8")
    assert "-enc" in text
    path.write_text(text.replace("-enc", "-encodedcommand"), encoding="utf-8")
    edited = compile_rules(load_rules([rules]), backend)
    assert "encodedcommand" in str(edited.compiled[PROC].query)
    assert "encodedcommand" not in str(cold.compiled[PROC].query)
    assert edited.cached == len(edited.compiled) - 1


def test_cache_off(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CANHGAC_SIGMA_CACHE", "off")
    assert ConversionCache("sqlite", "winlog").path is None
    cov = compile_rules(load_rules([RULES]), "sqlite")
    assert cov.compiled[PROC].status == "converted"
