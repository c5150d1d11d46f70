"""Extended check: SigmaHQ's regression cases (rule id + EVTX + match_count in
info.yml) through hunt on every backend of the run (SQLite; OpenSearch with
CANHGAC_TEST_OPENSEARCH_URL).  All EVTX files go into one store, the case rules
run once, and each case counts its rule's alerts on events of its own file.
Prints the pass rate and every failure.  Skips without ../shared/data, and
unless CANHGAC_TEST_CONFORMANCE=1 (minutes per backend)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from detection.sigma.hunt import hunt
from detection.sigma.loader import RuleSet, load_rules
from store.schema import get_path

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def cases(root: Path) -> list[tuple[str, Path, int | None]]:
    out = []
    for info in sorted((root / "regression_data").rglob("info.yml")):
        meta = yaml.safe_load(info.read_text())
        rid = meta["rule_metadata"][0]["id"]
        for t in meta.get("regression_tests_info") or []:
            if t.get("type", "evtx") == "evtx":
                out.append((rid, root / t["path"], t.get("match_count")))
    return out


@pytest.mark.parametrize("evaluation", ["stream", "queries"])
def test_regression_cases(store, shared_data: Path, evaluation: str) -> None:
    if not os.environ.get("CANHGAC_TEST_CONFORMANCE"):
        pytest.skip("CANHGAC_TEST_CONFORMANCE not set: the conformance run takes minutes "
                    "per backend (make conformance)")
    if store.backend == "sqlite" and evaluation == "queries":
        pytest.skip("SQLite evaluates as SQL only: 'queries' is for the engines")
    root = shared_data / "detection" / "sigmahq"
    all_cases = cases(root)
    wanted = {rid for rid, _, _ in all_cases}
    full = load_rules([root / "rules", root / "rules-emerging-threats",
                       root / "rules-threat-hunting"])
    rs = RuleSet(rules={k: v for k, v in full.rules.items() if k in wanted},
                 paths={k: v for k, v in full.paths.items() if k in wanted})
    res = hunt(sorted({p for _, p, _ in all_cases}), rs, store=store,
               engine_evaluation=evaluation)
    store.refresh("events")
    file_of = {d.id: get_path(d.source, "log.file.path") for d in store.scan("events")}
    got: dict[tuple[str, str], int] = {}
    for a in res.alerts:
        for eid in a["event_ids"]:
            key = (a["rule"]["id"], str(file_of.get(eid)))
            got[key] = got.get(key, 0) + 1
    passed, failures = 0, []
    for rid, evtx, expected in all_cases:
        n = got.get((rid, str(evtx.resolve())), 0)
        if rid not in rs.rules:
            failures.append(f"{rid}: rule not loaded")
        elif (n == expected) if expected is not None else n > 0:
            passed += 1
        else:
            failures.append(f"{rid} {evtx.name}: expected {expected}, got {n}")
    print(f"\n{store.backend} ({evaluation}) conformance: {passed}/{len(all_cases)} "
          f"({100 * passed / len(all_cases):.1f} %)")
    for f in failures:
        print("FAIL", f)
    assert passed >= 0.9 * len(all_cases)
