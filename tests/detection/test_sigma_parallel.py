"""Batches evaluated by a pool of processes (``detection.sigma.parallel``,
``jobs`` on SQLite): the same matches in the same order as one executor, and
a pass with a pool writes exactly the alerts and checkpoint of a pass without."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from detection.sigma.convert import compile_rules
from detection.sigma.loader import load_rules
from detection.sigma.parallel import ExecutorPool
from detection.sigma.runner import SigmaDetector
from detection.sigma.sqlite_exec import SQLiteRuleExecutor
from tests.conftest import make_store
from tests.detection.fixtures.events import RULES as FIXTURE_RULES
from tests.detection.fixtures.events import T0, ssh, sysmon_proc
from tests.detection.test_sigma_shards import LOOKBACK, PACK, alerts, day

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _batches() -> list[list[dict]]:
    docs = [ssh(i, ("failure", "success")[i % 5 == 0], f"198.51.100.{i % 4}", "root", i)
            for i in range(60)]
    docs += [sysmon_proc(100 + i, "C:\\Windows\\System32\\cmd.exe", f"cmd /c whoami {i}", at=i)
             for i in range(20)]
    return [docs[i:i + 25] for i in range(0, len(docs), 25)]


def test_pool_matches_one_executor_batch_by_batch() -> None:
    rules = list(compile_rules(load_rules([PACK, FIXTURE_RULES]), "sqlite").compiled.values())
    batches = _batches()
    one = SQLiteRuleExecutor(rules)
    want = [[(m.rule_id, m.event_id, m.timestamp) for m in one.evaluate(b)] for b in batches]
    with ExecutorPool(rules, jobs=2) as pool:
        got = [[(m.rule_id, m.event_id, m.timestamp) for m in found]
               for found in pool.evaluate_many(batches)]
        assert not pool.broken
    assert got == want
    assert sum(map(len, got)) > 10  # the batches do match rules


def test_a_small_backlog_starts_no_pool(tmp_path: Path) -> None:
    store = make_store("sqlite", tmp_path)
    store.init()
    try:
        first, _ = day()
        store.bulk("events", first, mode="create", refresh=True)
        det = SigmaDetector(store, load_rules([PACK]), batch_size=4, jobs=2)
        assert det.run_once(now=T0 + timedelta(minutes=30)).events == len(first)
        assert det._pool is None  # fewer than pool_min_events waited
    finally:
        store.close()


def test_a_pool_needs_two_jobs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        ExecutorPool([], jobs=1)
    with pytest.raises(ValueError, match="jobs 0"):
        SigmaDetector(make_store("sqlite", tmp_path), load_rules([PACK]), jobs=0)


def test_a_pass_with_a_pool_raises_what_one_process_raises(tmp_path: Path) -> None:
    rules = load_rules([PACK])
    first, second = day()
    for name in ("one", "pool"):
        (tmp_path / name).mkdir()
    stores = [make_store("sqlite", tmp_path / name) for name in ("one", "pool")]
    for st in stores:
        st.init()
    # Batches of 4 events: every pass has a backlog of several batches, and
    # any backlog is worth the pool here.
    one, pooled = (SigmaDetector(st, rules, lookback_seconds=LOOKBACK, batch_size=4, jobs=j)
                   for st, j in zip(stores, (1, 3), strict=True))
    pooled.pool_min_events = 0
    try:
        for events, minutes in ((first, 30), (second, 150)):
            now = T0 + timedelta(minutes=minutes)
            results = []
            for st, det in zip(stores, (one, pooled), strict=True):
                st.bulk("events", events, mode="create", refresh=True)
                results.append(det.run_once(now=now))
            assert results[0].events == results[1].events == len(events)
            assert results[0].alerts_written == results[1].alerts_written
            assert pooled._pool is not None  # the pool did the work
        single, parallel = alerts(stores[0]), alerts(stores[1])
        assert single == parallel and single
        assert "0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a04" in {a["rule"]["id"] for a in parallel.values()}
        positions = [st.get("checkpoints", det.checkpoint_id).source["position"]
                     for st, det in zip(stores, (one, pooled), strict=True)]
        assert positions[0] == positions[1] == len(first) + len(second)
    finally:
        pooled.close()
        for st in stores:
            st.close()
