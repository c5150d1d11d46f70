"""Extended checks on the shared real data (skipped without ../shared/data).

Run with ``-s`` to see the figures.  Nothing from the data is copied into
the repository; it is only read here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.ingest import ingest, iter_files
from collectors.parsers import auth
from collectors.record import ParseError, RecordContext
from store.base import Store
from store.sqlite import SQLiteStore

pytestmark = pytest.mark.shared_data
F2B_FILES = ("sshd", "sshd-journal", "pam-generic", "dropbear")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    st = SQLiteStore(tmp_path / "shared.db")
    st.init()
    yield st
    st.close()


def annotated(path: Path) -> Iterator[tuple[dict, str]]:
    """(annotation, line) for every line preceded by a ``# failJSON:`` comment."""
    note = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"#\s*failJSON:\s*(\{.*\})\s*$", line)
        if m:
            try:
                note = json.loads(m.group(1))
            except json.JSONDecodeError:
                note = None
            continue
        if line.startswith("#") or not line.strip() or note is None:
            continue
        yield note, line
        note = None


def test_fail2ban_precision_recall(shared_data: Path) -> None:
    base = shared_data / "logs/fail2ban-samples/fail2ban/tests/files/logs"
    tp = fp = fn = tn = host_ok = 0
    per_file = {}
    for name in F2B_FILES:
        f_tp = f_fp = f_fn = 0
        for note, line in annotated(base / name):
            try:
                ev = auth.parse(line, RecordContext("f2b"))[0]
            except ParseError:
                ev = {}
            failure = ev.get("event", {}).get("outcome") == "failure"
            if note.get("match"):
                if failure:
                    tp += 1
                    f_tp += 1
                    src = ev.get("source", {})
                    if note.get("host") in (src.get("ip"), src.get("address")):
                        host_ok += 1
                else:
                    fn += 1
                    f_fn += 1
            elif failure:
                fp += 1
                f_fp += 1
            else:
                tn += 1
        per_file[name] = {"tp": f_tp, "fp": f_fp, "fn": f_fn}
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    host_accuracy = host_ok / tp
    print(f"\nfail2ban auth lines ({', '.join(F2B_FILES)}): tp={tp} fp={fp} fn={fn} tn={tn} "
          f"precision={precision:.3f} recall={recall:.3f} "
          f"source.ip/address on true positives={host_accuracy:.3f}\n  per file: {per_file}")
    assert precision >= 0.8
    assert recall >= 0.6
    assert host_accuracy >= 0.9


def _ingest(store: Store, files: list[Path], label: str) -> dict:
    summary = ingest(store, files)
    figures = {"files": len(summary.files), "events": summary.events_written,
               "dead_letters": summary.dead_letters,
               "formats": sorted({f.format for f in summary.files})}
    print(f"\n{label}: {figures}")
    if summary.dead_letters:
        store.refresh("dead_letters")
        for d in list(store.scan("dead_letters"))[:10]:
            print("  dead letter:", d.source["reason"][:160], d.source["source"][-80:])
    return figures


def test_suricata_eve_samples(shared_data: Path, sqlite_store: Store) -> None:
    files = sorted((shared_data / "network/suricata-eve-samples/samples").glob("*/*.json"))
    got = _ingest(sqlite_store, files, "suricata-eve-samples")
    assert got["formats"] == ["eve"]
    assert got["dead_letters"] == 0
    assert got["events"] > 500


def test_zeek_logs_ics(shared_data: Path, sqlite_store: Store) -> None:
    files = [p for p in iter_files([shared_data / "network/zeek-logs-ics"]) if p.suffix == ".log"]
    got = _ingest(sqlite_store, files, "zeek-logs-ics")
    assert got["formats"] == ["zeek"]
    assert got["dead_letters"] == 0
    assert got["events"] > 10_000


def test_apache_access_elastic(shared_data: Path, sqlite_store: Store) -> None:
    got = _ingest(sqlite_store, [shared_data / "logs/apache-access-elastic/apache_logs"],
                  "apache-access-elastic")
    assert got == {"files": 1, "events": 10_000, "dead_letters": 0, "formats": ["web"]}


def test_sigma_regression_evtx(shared_data: Path, sqlite_store: Store) -> None:
    files = sorted((shared_data / "detection/sigmahq/regression_data").rglob("*.evtx"))
    got = _ingest(sqlite_store, files, "sigmahq regression EVTX")
    assert got["formats"] == ["evtx"]
    assert got["dead_letters"] == 0
    assert got["events"] >= len(files)
    sqlite_store.refresh("events")
    missing_code = [d.id for d in sqlite_store.scan("events")
                    if not d.source.get("event", {}).get("code")
                    or not d.source.get("winlog", {}).get("channel")]
    assert missing_code == []
