"""Rules split across workers (``--shard i/n``) and per-share checkpoints, on
every backend: two shares over the same events raise together exactly what one
worker raises, each from its own checkpoint; a rule a checkpoint has not seen
before starts from now minus lookback; re-splitting starts from where the old
split stood."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from detection.sigma.loader import load_rules
from detection.sigma.runner import SigmaDetector, in_shard, parse_shard
from store.base import Store
from tests.conftest import drop, make_store
from tests.detection.fixtures.events import SSHD_RULE, T0, ssh

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PACK = Path(__file__).resolve().parents[2] / "rules" / "sigma"
LOOKBACK = 6 * 3600


def day() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two arrivals of sshd events: brute forces (one followed by a login as
    quantri, so the chain fires), a near miss, and late-evening root logins."""
    n = iter(range(10_000))
    first = [ssh(next(n), "failure", "203.0.113.20", "root", at=i * 3) for i in range(14)]
    first += [ssh(next(n), "failure", "203.0.113.21", "admin", at=30 + i * 30) for i in range(9)]
    first.append(ssh(next(n), "success", "203.0.113.20", "quantri", at=300))
    second = [ssh(next(n), "failure", "198.51.100.30", "root", at=3600 + i) for i in range(12)]
    second += [ssh(next(n), "success", "198.51.100.31", "root", at=2 * 3600 + 60),
               ssh(next(n), "success", "198.51.100.30", "root", at=3600 + 20 * 60)]
    return first, second


def alerts(store: Store) -> dict[str, dict[str, Any]]:
    store.refresh("alerts")
    out = {}
    for d in store.scan("alerts"):
        src = dict(d.source)
        src.pop("@timestamp")  # detection time differs between runs
        out[d.id] = src
    return out


def test_two_shards_raise_what_one_worker_raises(store, backend: str, tmp_path: Path) -> None:
    rules = load_rules([PACK])
    first, second = day()
    other = make_store(backend, tmp_path / "split")
    other.init()
    try:
        one = SigmaDetector(store, rules, lookback_seconds=LOOKBACK)
        halves = [SigmaDetector(other, rules, lookback_seconds=LOOKBACK, shard=(i, 2))
                  for i in (1, 2)]
        # The shares partition the rules: every rule runs in exactly one of them.
        shares = [h.enabled_rules() for h in halves]
        assert shares[0] and shares[1] and not shares[0] & shares[1]
        assert shares[0] | shares[1] == one.enabled_rules()
        written = [0, 0]
        for events, minutes in ((first, 30), (second, 150)):
            now = T0 + timedelta(minutes=minutes)
            store.bulk("events", events, mode="create", refresh=True)
            other.bulk("events", events, mode="create", refresh=True)
            one.run_once(now=now)
            for i in (1, 0):  # the second share first: neither waits for the other
                written[i] += halves[i].run_once(now=now).alerts_written
        single, split = alerts(store), alerts(other)
        assert single == split
        assert sum(written) == len(split)  # no alert written twice
        assert all(written)  # both shares raised something
        rule_ids = {a["rule"]["id"] for a in split.values()}
        assert {"0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a02",
                "0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a04"} <= rule_ids
        other.refresh("checkpoints")
        ids = {d.id for d in other.scan("checkpoints")}
        assert {h.checkpoint_id for h in halves} <= ids
        assert len({h.checkpoint_id for h in halves}) == 2
        # A third pass with nothing new raises nothing anywhere.
        later = T0 + timedelta(minutes=160)
        assert [h.run_once(now=later).alerts_written for h in halves] == [0, 0]
    finally:
        drop(other)




def _rules(folder: Path, *which: str) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    ids = {"ok": "9b000000-0000-4000-8000-000000000001",
           "fail": "9b000000-0000-4000-8000-000000000002"}
    for name in which:
        (folder / f"{name}.yml").write_text(SSHD_RULE.format(
            title=name, name=name, id=ids[name], outcome="success" if name == "ok" else "failure"),
            encoding="utf-8")
    return load_rules([folder]), ids


def test_new_rule_starts_from_now_minus_lookback(store, tmp_path: Path) -> None:
    old = ssh(1, "failure", "192.0.2.1", "an", at=0)
    recent = ssh(2, "failure", "192.0.2.2", "an", at=55 * 60)
    login = ssh(3, "success", "192.0.2.2", "an", at=56 * 60)
    store.bulk("events", [old, recent, login], mode="create", refresh=True)
    rs, ids = _rules(tmp_path / "r1", "ok")
    lookback = 10 * 60
    SigmaDetector(store, rs, lookback_seconds=lookback).run_once(now=T0 + timedelta(minutes=60))
    # "fail" is added after the worker has read everything: it looks back ten
    # minutes (the recent failure), not at the whole history (the old one).
    rs, ids = _rules(tmp_path / "r2", "ok", "fail")
    det = SigmaDetector(store, rs, lookback_seconds=lookback)
    res = det.run_once(now=T0 + timedelta(minutes=61))
    got = alerts(store)
    fails = sorted(a["event_ids"][0] for a in got.values() if a["rule"]["id"] == ids["fail"])
    assert fails == [recent["event"]["id"]]
    assert res.alerts_written == 1
    assert [a["event_ids"] for a in got.values() if a["rule"]["id"] == ids["ok"]] == [
        [login["event"]["id"]]]
    # Known from now on: the next pass does not look back again.
    assert det.run_once(now=T0 + timedelta(minutes=62)).alerts_written == 0


def test_resplit_starts_where_the_old_split_stood(store, tmp_path: Path) -> None:
    rs, ids = _rules(tmp_path / "r", "ok", "fail")
    a = ssh(1, "failure", "192.0.2.1", "an", at=0)
    store.bulk("events", [a], mode="create", refresh=True)
    SigmaDetector(store, rs, lookback_seconds=60).run_once(now=T0 + timedelta(minutes=5))
    store.refresh("alerts")
    assert store.count("alerts") == 1
    # Two workers from now on: they neither replay the failure nor miss the success.
    b = ssh(2, "success", "192.0.2.1", "an", at=3600)
    store.bulk("events", [b], mode="create", refresh=True)
    results = [SigmaDetector(store, rs, lookback_seconds=60, shard=(i, 2)).run_once(
        now=T0 + timedelta(minutes=61)) for i in (1, 2)]
    assert sum(r.alerts_written for r in results) == 1
    assert sum(r.alerts_existing for r in results) == 0
    assert {x["rule"]["id"] for x in alerts(store).values()} == set(ids.values())


def test_shard_spec() -> None:
    assert parse_shard("2/3") == (2, 3) and parse_shard(" 1/1 ") == (1, 1)
    for bad in ("0/2", "3/2", "2", "a/b", "1/0", ""):
        with pytest.raises(ValueError, match="i/n"):
            parse_shard(bad)
    ids = [f"rule-{i}" for i in range(200)]
    shares = [[r for r in ids if in_shard(r, i, 3)] for i in (1, 2, 3)]
    assert sorted(r for share in shares for r in share) == sorted(ids)  # each id once
    assert all(len(s) > 30 for s in shares)  # and the split is not lopsided
