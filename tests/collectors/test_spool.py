"""The disk spool: ordered across segments and restarts, capped, and a
corrupt record is skipped (and, through the sink, dead-lettered) while the
rest replays."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.sink import Batch, Entry, StoreSink
from collectors.spool import HEADER, CorruptRecord, DiskSpool, SpoolFull, SpoolRecord
from store.base import Store


def _drain(spool: DiskSpool) -> list[SpoolRecord | CorruptRecord]:
    out = []
    for _ in range(10_000):
        rec = spool.peek()
        if rec is None:
            return out
        out.append(rec)
        spool.consume(rec)
    raise AssertionError("spool never ran dry")


def test_order_kept_across_segments_and_reopen(tmp_path: Path):
    spool = DiskSpool(tmp_path / "s", segment_bytes=1024)
    payloads = [f"batch {i} ".encode() * 20 for i in range(40)]
    for p in payloads[:25]:
        spool.append(p)
    spool.close()
    assert len(list((tmp_path / "s").glob("*.seg"))) > 3
    again = DiskSpool(tmp_path / "s", segment_bytes=1024)
    first = again.peek()
    assert isinstance(first, SpoolRecord) and first.payload == payloads[0]
    again.consume(first)
    for p in payloads[25:]:
        again.append(p)
    rest = _drain(again)
    assert [r.payload for r in rest] == payloads[1:]
    assert again.pending_bytes == 0
    # consumed segments are deleted; only the writer's own segment may remain
    assert len(list((tmp_path / "s").glob("*.seg"))) <= 1


def test_consumed_head_survives_restart(tmp_path: Path):
    spool = DiskSpool(tmp_path / "s")
    for i in range(5):
        spool.append(f"r{i}".encode())
    for _ in range(2):
        rec = spool.peek()
        assert rec is not None
        spool.consume(rec)
    spool.close()
    rest = _drain(DiskSpool(tmp_path / "s"))
    assert [r.payload for r in rest] == [b"r2", b"r3", b"r4"]


def test_size_cap_raises_a_clear_error(tmp_path: Path):
    spool = DiskSpool(tmp_path / "s", max_bytes=2048)
    spool.append(b"x" * 1000)
    with pytest.raises(SpoolFull, match="max_bytes"):
        spool.append(b"y" * 1500)
    # what fitted is still there, intact
    assert [r.payload for r in _drain(spool)] == [b"x" * 1000]


def test_corrupt_record_is_skipped_and_the_rest_read(tmp_path: Path):
    spool = DiskSpool(tmp_path / "s", fsync="never")
    for i in range(3):
        spool.append(f"record number {i}".encode() * 5)
    spool.close()
    seg = next((tmp_path / "s").glob("*.seg"))
    data = bytearray(seg.read_bytes())
    rec_len = HEADER.size + len(b"record number 0" * 5)
    data[rec_len + HEADER.size + 3] ^= 0xFF  # flip a payload byte of record 1
    seg.write_bytes(bytes(data))
    out = _drain(DiskSpool(tmp_path / "s"))
    assert len(out) == 3
    assert isinstance(out[1], CorruptRecord) and "CRC" in out[1].reason
    assert out[0].payload == b"record number 0" * 5
    assert out[2].payload == b"record number 2" * 5


def test_torn_tail_is_reported_not_lost_silently(tmp_path: Path):
    spool = DiskSpool(tmp_path / "s")
    spool.append(b"complete record")
    spool.append(b"this one will be torn")
    spool.close()
    seg = next((tmp_path / "s").glob("*.seg"))
    seg.write_bytes(seg.read_bytes()[:-5])
    out = _drain(DiskSpool(tmp_path / "s"))
    assert out[0].payload == b"complete record"
    assert isinstance(out[1], CorruptRecord) and "truncated" in out[1].reason
    assert len(out) == 2


def _event(i: int) -> dict:
    return {"@timestamp": "2026-11-26T01:00:00.000Z", "message": f"spooled {i}",
            "event": {"id": f"spool-{i:04d}", "dataset": "test.spool", "kind": "event"}}


def test_sink_replays_spool_and_dead_letters_the_corrupt_batch(tmp_path: Path):
    from store.sqlite import SQLiteStore

    store: Store = SQLiteStore(tmp_path / "canhgac.db")
    spool = DiskSpool(tmp_path / "spool", fsync="never")
    for b in range(3):
        batch = Batch()
        batch.add(Entry([_event(b * 10 + i) for i in range(10)], [], None, "in", 0.0))
        spool.append(batch.encode())
    spool.close()
    seg = next((tmp_path / "spool").glob("*.seg"))
    data = bytearray(seg.read_bytes())
    first_len = HEADER.size + int.from_bytes(data[4:8], "big")
    data[first_len + HEADER.size + 10] ^= 0x55  # damage batch 1
    seg.write_bytes(bytes(data))

    sink = StoreSink(store, DiskSpool(tmp_path / "spool"), batch_timeout=0.05,
                     retry_interval=0.05).start()
    try:
        assert sink.wait_idle(30)
    finally:
        sink.stop()
    store.refresh()
    ids = sorted(d.id for d in store.scan("events"))
    assert ids == [f"spool-{i:04d}" for i in [*range(10), *range(20, 30)]]
    dead = [d.source for d in store.scan("dead_letters")]
    assert len(dead) == 1
    assert dead[0]["reason"].startswith("corrupt spool record skipped")
    store.close()
