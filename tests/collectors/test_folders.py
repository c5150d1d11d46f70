"""The folder input (whole files read once): packet captures, EVTX and JSON
arrays into the store, each file once across restarts, resumed after its last
acknowledged record, files still growing waited for, bad input dead-lettered."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from collectors.folders import COMPLETE, FolderInput
from collectors.registry import FileRegistry
from collectors.sink import StoreSink
from store.base import Store
from tests.collectors.stored import dead, stored

HAS_TSHARK = shutil.which("tshark") is not None


def eve_array(path: Path, n: int, first: int = 0) -> None:
    items = [{"timestamp": f"2026-11-26T08:00:{i % 60:02d}.000000+0700", "event_type": "dns",
              "src_ip": "10.40.0.7", "src_port": 41000 + i, "dest_ip": "10.40.0.53",
              "dest_port": 53, "proto": "UDP", "flow_id": 5_000_000 + i,
              "dns": {"type": "query", "id": i, "rrname": f"q{i}.cantho.example",
                      "rrtype": "A"}} for i in range(first, first + n)]
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")


class Folder:
    """A folder input on a real store, driven pass by pass."""

    def __init__(self, store: Store, tmp: Path, pattern: str, *, fmt: str = "auto",
                 settle: float = 0.0) -> None:
        self.sink = StoreSink(store, None, batch_size=50, batch_timeout=0.02).start()
        self.registry = FileRegistry(tmp / "registry" / "folder.json", flush_interval=0)
        self.input = FolderInput("dir", [pattern], self.registry, self.sink, fmt=fmt,
                                 settle_seconds=settle, scan_interval=0.1)
        self.sink.health.register("dir", "folder")

    def poll(self) -> int:
        done = self.input.poll()
        assert self.sink.flush(60)
        return done

    @property
    def records_in(self) -> int:
        h = self.sink.health.get("dir")
        return h.records_in if h else 0

    def close(self) -> None:
        self.input.stop()
        self.sink.stop()
        self.registry.close()


def test_json_array_once_across_restarts(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    eve_array(inbox / "a.json", 12)
    first = Folder(store, tmp_path, str(inbox / "*.json"))
    assert first.poll() == 1
    assert first.poll() == 0  # done: not read again while it stays the same
    assert first.records_in == 12
    first.close()
    eve_array(inbox / "b.json", 5, first=12)
    (inbox / "a.json").rename(inbox / "a-renamed.json")  # same identity: not read again
    second = Folder(store, tmp_path, str(inbox / "*.json"))
    second.poll()
    second.close()
    assert second.records_in == 5
    assert stored(store, "dns.question.name") == sorted(f"q{i}.cantho.example"
                                                        for i in range(17))
    assert dead(store) == []


def test_resume_after_the_last_acknowledged_record(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    eve_array(path, 20)
    registry = FileRegistry(tmp_path / "registry" / "folder.json", flush_interval=0)
    with open(path, "rb") as fh:  # as if a run stopped after acknowledging 7 records
        identity, offset = registry.lookup(fh)
    assert offset is None
    registry.commit(identity, 7, str(path))
    registry.close()
    folder = Folder(store, tmp_path, str(path))
    folder.poll()
    folder.close()
    assert folder.records_in == 13
    assert stored(store, "dns.id") == sorted(str(i) for i in range(7, 20))
    again = FileRegistry(tmp_path / "registry" / "folder.json")
    assert again.entries()[0].offset == COMPLETE


def test_a_file_still_being_written_is_waited_for(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "growing.json"
    eve_array(path, 3)
    folder = Folder(store, tmp_path, str(path), settle=0.5)
    assert folder.poll() == 0  # just seen: it may still grow
    eve_array(path, 6)  # the writer goes on
    time.sleep(0.6)
    assert folder.poll() == 0  # changed since the last scan: wait again
    time.sleep(0.6)
    assert folder.poll() == 1
    folder.close()
    assert folder.records_in == 6
    assert len(stored(store, "dns.id")) == 6


def test_bad_files_are_dead_lettered_once(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "notes.txt").write_text("không phải nhật ký, chỉ là ghi chú\n", encoding="utf-8")
    (inbox / "broken.evtx").write_bytes(b"ElfFile\x00" + bytes(range(256)) * 20)
    cut = inbox / "cut.json"
    eve_array(cut, 3)
    cut.write_bytes(cut.read_bytes()[:-60])  # the export was cut inside its last element
    folder = Folder(store, tmp_path, str(inbox / "*"))
    assert folder.poll() == 3
    folder.poll()
    folder.close()
    letters = dead(store)
    reasons = sorted(d["reason"] for d in letters)
    assert len(letters) == 3, reasons
    assert any(r.startswith("format not detected") for r in reasons)
    assert any("EVTX" in r for r in reasons)
    assert any("broken JSON" in r for r in reasons)
    assert all(d["context"]["input_id"] == "dir" for d in letters)
    assert len(stored(store, "dns.id")) == 2


def test_data_after_the_array_is_dead_lettered_once(store: Store, tmp_path: Path) -> None:
    """A second export appended after the closing ``]``: the first array's
    records are stored, the rest is one dead letter, and nothing is read
    again on the next pass."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "export.json"
    eve_array(path, 4)
    appended = json.dumps([{"timestamp": "2026-11-26T08:01:00.000000+0700",
                            "event_type": "dns", "dns": {"rrname": "late.cantho.example"}}])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + appended + "\n")
    folder = Folder(store, tmp_path, str(inbox / "*.json"))
    assert folder.poll() == 1
    assert folder.poll() == 0
    folder.close()
    assert folder.records_in == 5  # four elements and the unread tail
    assert stored(store, "dns.question.name") == sorted(f"q{i}.cantho.example"
                                                        for i in range(4))
    (letter,) = dead(store)
    assert letter["reason"].startswith("trailing data after the JSON array's closing ']'")
    assert letter["raw"] == appended + "\n"
    assert letter["context"] == {"input_id": "dir", "format": "eve", "offset": "[4]"}


@pytest.mark.skipif(not HAS_TSHARK, reason="tshark is not installed (Debian package tshark)")
def test_pcap_folder_matches_the_one_shot_reader(store: Store, tmp_path: Path) -> None:
    pytest.importorskip("scapy", reason="scapy writes the test captures")
    from collectors.pcap import read_pcap
    from tests.collectors.pcap.captures import mixed_capture

    inbox = tmp_path / "captures"
    inbox.mkdir()
    cap = inbox / "mixed.pcap"
    mixed_capture(cap)
    truncated = inbox / "cut.pcap"
    truncated.write_bytes(cap.read_bytes()[:-30])
    folder = Folder(store, tmp_path, str(inbox / "*.pcap"))
    assert folder.poll() == 2
    folder.close()
    want = {e["event"]["id"] for e in read_pcap(cap.resolve(), f"file:{cap.resolve()}")}
    ids = set(stored(store, "event.id"))
    assert want <= ids
    assert len(ids) > len(want)  # the truncated copy gave its own events before the cut
    letters = dead(store)
    assert len(letters) == 1 and "truncated" in letters[0]["reason"]
    second = Folder(store, tmp_path, str(inbox / "*.pcap"))
    second.poll()
    second.close()
    assert second.records_in == 0 and set(stored(store, "event.id")) == ids


def test_sigma_regression_evtx_folder(shared_data: Path, store: Store, tmp_path: Path) -> None:
    from collectors.parsers import windows

    found = sorted((shared_data / "detection/sigmahq/regression_data").rglob("*.evtx"))[:5]
    if not found:
        pytest.skip("no .evtx files under ../shared/data/detection/sigmahq/regression_data")
    inbox = tmp_path / "evtx"
    inbox.mkdir()
    want = 0
    for i, f in enumerate(found):  # copied into the test's own folder, not the project
        shutil.copy(f, inbox / f"{i}.evtx")
        want += sum(1 for got in windows.read_evtx(f, "x")
                    if not isinstance(got, windows.EvtxProblem))
    folder = Folder(store, tmp_path, str(inbox / "*.evtx"), fmt="evtx")
    assert folder.poll() == len(found)
    folder.close()
    assert len(stored(store, "winlog.event_id")) == want
    assert dead(store) == []


def test_runtime_reads_folders_and_says_evtx_is_not_tailed(store: Store, tmp_path: Path) -> None:
    from pydantic import ValidationError

    from canhgac.settings.collectors import CollectorsSettings
    from collectors.runner import CollectorRuntime

    with pytest.raises(ValidationError, match=r"collectors\.folders"):
        CollectorsSettings.model_validate(
            {"files": [{"id": "w", "paths": ["/x/*.evtx"], "format": "evtx"}]})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    eve_array(inbox / "export.json", 9)
    cfg = CollectorsSettings.model_validate({
        "folders": [{"id": "dir", "paths": [str(inbox / "*.json")], "settle_seconds": 0,
                     "scan_interval": 0.1}],
        "sink": {"batch_timeout": 0.05}, "health_interval": 60})
    runtime = CollectorRuntime(cfg, store, tmp_path / "data").start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (runtime.health.get("dir").events_out or 0) < 9:
            time.sleep(0.05)
    finally:
        assert runtime.stop()
    assert runtime.health.get("dir").events_out == 9
    assert len(stored(store, "dns.id")) == 9
