"""The file registry: identities survive renames, not inode reuse or rewrites;
offsets persist atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from collectors.registry import FINGERPRINT_BYTES, FileRegistry, RegistryError, identify


def _write(path: Path, text: str, mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as fh:
        fh.write(text)


def test_commit_flush_reload_round_trip(tmp_path: Path):
    log = tmp_path / "a.log"
    _write(log, "một dòng nhật ký\nline two\n")
    reg = FileRegistry(tmp_path / "reg" / "in.json", flush_interval=3600)
    with open(log, "rb") as fh:
        ident, offset = reg.lookup(fh)
    assert offset is None  # never seen
    reg.commit(ident, 10, str(log))
    reg.close()
    assert not list((tmp_path / "reg").glob(".*tmp"))  # temp file renamed away
    data = json.loads((tmp_path / "reg" / "in.json").read_text())
    assert data["files"][0]["offset"] == 10
    again = FileRegistry(tmp_path / "reg" / "in.json")
    with open(log, "rb") as fh:
        ident2, offset2 = again.lookup(fh)
    assert offset2 == 10
    assert ident2.same_file(ident)


def test_offsets_never_move_backwards(tmp_path: Path):
    log = tmp_path / "a.log"
    _write(log, "x" * 50 + "\n")
    reg = FileRegistry(tmp_path / "r.json", flush_interval=0)
    with open(log, "rb") as fh:
        ident = identify(fh)
    reg.commit(ident, 40, str(log))
    reg.commit(ident, 20, str(log))
    assert reg.offset(ident) == 40


def test_rename_keeps_identity_and_offset(tmp_path: Path):
    log = tmp_path / "app.log"
    _write(log, "first line\nsecond line\n")
    reg = FileRegistry(tmp_path / "r.json", flush_interval=0)
    with open(log, "rb") as fh:
        ident = identify(fh)
    reg.commit(ident, 11, str(log))
    os.rename(log, tmp_path / "app.log.1")
    with open(tmp_path / "app.log.1", "rb") as fh:
        _, offset = FileRegistry(tmp_path / "r.json").lookup(fh)
    assert offset == 11


def test_reused_inode_with_other_content_is_a_new_file(tmp_path: Path):
    log = tmp_path / "app.log"
    _write(log, "old content line\n")
    reg = FileRegistry(tmp_path / "r.json", flush_interval=0)
    with open(log, "rb") as fh:
        ident = identify(fh)
    reg.commit(ident, 17, str(log))
    # Same inode, rewritten in place with different first bytes (what inode
    # reuse looks like to us).
    with open(log, "r+b") as fh:
        fh.truncate(0)
        fh.write(b"brand new content, longer than before\n")
    with open(log, "rb") as fh:
        ident2, offset = reg.lookup(fh)
    assert offset is None
    assert not ident2.same_file(ident)


def test_short_file_keeps_identity_while_it_grows(tmp_path: Path):
    log = tmp_path / "grow.log"
    _write(log, "a\n")
    reg = FileRegistry(tmp_path / "r.json", flush_interval=0)
    with open(log, "rb") as fh:
        ident = identify(fh)
    assert ident.fingerprint_len == 2
    reg.commit(ident, 2, str(log))
    _write(log, "b" * (FINGERPRINT_BYTES * 2) + "\n", "a")
    with open(log, "rb") as fh:
        found, offset = reg.lookup(fh)
        grown = ident.grown(fh)
    assert offset == 2
    assert grown is not None and grown.fingerprint_len == FINGERPRINT_BYTES
    assert grown.same_file(ident)  # event ids stay stable across the upgrade
    reg.replace(ident, grown)
    reg.commit(ident, 5, str(log))  # a late ack with the old identity
    reloaded = FileRegistry(tmp_path / "r.json")
    with open(log, "rb") as fh:
        found, offset = reloaded.lookup(fh)
    assert offset == 5 and found.fingerprint_len == FINGERPRINT_BYTES


def test_forget_drops_files_no_longer_seen(tmp_path: Path):
    log = tmp_path / "a.log"
    _write(log, "line\n")
    reg = FileRegistry(tmp_path / "r.json", flush_interval=0)
    with open(log, "rb") as fh:
        ident = identify(fh)
    reg.commit(ident, 5, str(log))
    assert reg.forget(set()) == 1
    reg.flush()
    assert FileRegistry(tmp_path / "r.json").entries() == []


def test_unreadable_registry_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "r.json"
    path.write_text("{not json")
    with pytest.raises(RegistryError, match=r"r\.json"):
        FileRegistry(path)


def test_idle_commits_are_flushed_when_due(tmp_path: Path):
    import time

    log = tmp_path / "a.log"
    _write(log, "line\n")
    reg = FileRegistry(tmp_path / "r.json", flush_interval=0.05)
    with open(log, "rb") as fh:
        ident = identify(fh)
    time.sleep(0.1)  # the interval counts from the registry's start
    reg.commit(ident, 1, str(log))  # flushed: the interval has passed
    reg.commit(ident, 5, str(log))  # within the interval: held in memory
    assert json.loads((tmp_path / "r.json").read_text())["files"][0]["offset"] == 1
    time.sleep(0.1)
    reg.flush_if_due()
    assert json.loads((tmp_path / "r.json").read_text())["files"][0]["offset"] == 5
