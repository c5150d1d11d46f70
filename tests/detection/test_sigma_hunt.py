"""``hunt`` over files: without a store the events are evaluated as they are
parsed and never written; the alerts, the counts and the dead letters are
those of a hunt that ingests into a store first.  Two files holding the same
records are two files' events (ids come from path and offset), both ways;
a bad line is a dead letter, correlations fire."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detection.sigma.hunt import hunt
from detection.sigma.loader import load_rules
from detection.sigma.runner import SigmaDetector
from store.sqlite import SQLiteStore
from tests.detection.fixtures.events import RULES, sysmon_proc

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PROC = "11111111-1111-4111-8111-111111111111"
BRUTE = "44444444-4444-4444-8444-444444444444"


def write_inputs(folder: Path) -> list[Path]:
    folder.mkdir()
    ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    events = [sysmon_proc(1, ps, "powershell -nop -enc SQBFAFgA", at=1),
              sysmon_proc(2, "C:\\Windows\\notepad.exe", "notepad x.txt", at=2),
              sysmon_proc(3, ps, "powershell -enc AAAA", at=3)]
    for e in events:
        del e["event"]  # the collector gives ids itself, from the file and offset
    lines = [json.dumps(e) for e in events]
    sysmon = folder / "sysmon.ndjson"
    sysmon.write_text("\n".join([lines[0], lines[1], "{not json", lines[2]]) + "\n")
    auth = folder / "auth.log"
    auth.write_text("".join(
        f"Nov 26 09:59:{50 + i:02d} gw-01 sshd[{900 + i}]: Failed password for root from "
        f"198.51.100.7 port {40000 + i} ssh2\n" for i in range(6)))
    copy = folder / "auth-copy.log"  # the same records, another file: other event ids
    copy.write_text(auth.read_text())
    return [sysmon, auth, copy]


def keys(alerts: list[dict]) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((a["id"], tuple(a["event_ids"])) for a in alerts)


def test_hunt_in_memory_matches_hunt_through_a_store(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    rs = load_rules([RULES])
    memory = hunt([tmp_path / "in"], rs, workdir=tmp_path)
    stored_in = SQLiteStore(tmp_path / "stored.db")
    stored_in.init()
    try:
        stored = hunt([tmp_path / "in"], rs, store=stored_in)
    finally:
        stored_in.close()
    assert keys(memory.alerts) == keys(stored.alerts)
    assert memory.ingest == stored.ingest
    assert memory.events == stored.events == 3 + 6 + 6
    assert sum(f["dead_letters"] for f in memory.ingest.values()) == 1
    per_rule = {rid: n for (rid, _), n in memory.per_rule().items()}
    assert per_rule[PROC] == 2
    assert per_rule[BRUTE] == 1  # twelve failures from one address in a minute: one window


def test_given_events_are_evaluated_in_batches_and_leave_the_checkpoint(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "h.db")
    store.init()
    try:
        ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
        docs = [sysmon_proc(i, ps if i % 7 == 0 else "C:\\Windows\\notepad.exe",
                            "powershell -enc AAAA" if i % 7 == 0 else "notepad", at=i)
                for i in range(1, 51)]
        det = SigmaDetector(store, load_rules([RULES]), batch_size=8)
        res = det.run_once(events=iter(docs))
        det.close()
        assert res.events == 50
        assert res.per_rule[PROC] == 7  # i = 7, 14, ..., 49 across seven batches
        assert store.count("events") == 0  # nothing written
        cp = store.get("checkpoints", det.checkpoint_id).source
        assert not cp.get("position")  # the stored events' position has not moved
    finally:
        store.close()


def test_given_events_through_the_pool_match_one_process(tmp_path: Path) -> None:
    ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    docs = [sysmon_proc(i, ps if i % 5 == 0 else "C:\\Windows\\notepad.exe",
                        "powershell -enc AAAA" if i % 5 == 0 else "notepad", at=i)
            for i in range(1, 61)]
    found = {}
    for jobs in (1, 2):
        store = SQLiteStore(tmp_path / f"p{jobs}.db")
        store.init()
        try:
            det = SigmaDetector(store, load_rules([RULES]), batch_size=8, jobs=jobs)
            det.pool_min_events = 20  # a "backlog" this small starts the pool
            res = det.run_once(events=iter(docs))
            assert (det._pool is not None) == (jobs == 2)
            det.close()
            assert res.events == 60
            found[jobs] = sorted(d.source["event_ids"][0] for d in store.scan("alerts"))
        finally:
            store.close()
    assert found[2] == found[1] == sorted(f"win-{i}" for i in range(5, 61, 5))


def test_files_read_and_evaluated_in_workers_match_one_process(tmp_path: Path,
                                                              monkeypatch) -> None:
    import detection.sigma.hunt as hunt_mod

    write_inputs(tmp_path / "in")
    rs = load_rules([RULES])
    one = hunt([tmp_path / "in"], rs, workdir=tmp_path)
    monkeypatch.setattr(hunt_mod, "SPREAD_MIN_BYTES", 0)  # these files are tiny
    spread = hunt([tmp_path / "in"], rs, workdir=tmp_path, jobs=2)
    assert spread.workers == 2 and one.workers == 0
    assert keys(spread.alerts) == keys(one.alerts)
    assert spread.ingest == one.ingest  # the bad line is a dead letter there too
    assert spread.events == one.events == 15
    per_rule = {rid: n for (rid, _), n in spread.per_rule().items()}
    assert per_rule[BRUTE] == 1  # the correlation sees both files' failures
