"""The demo network's day of logs (``canhgac.demo.network``): written,
deterministic, read by the collectors without a single dead letter, and its
attack story found by the rule pack (``canhgac ingest`` → ``detect once`` →
``incidents group-once`` on SQLite, through the real CLI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from canhgac.cli import app
from canhgac.demo.network import NetworkDay, write_day

ROOT = Path(__file__).resolve().parents[2]
# The end of the demo day: an hour boundary near now, so syslog lines (no year)
# are read in the right year.
END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
SMALL = 0.2  # a fifth of the background: the story is the same, the test faster

# Story incident → (rule id, the story fact its entity names).
STORY_RULES = {
    "port scan": ("7a3d2c10-8f4e-4b6a-9c1d-2e5f6a7b8c02", "attacker_ip"),
    "SSH brute force": ("0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a02", "attacker_ip"),
    "SQL injection": ("3b2a1c0d-4e5f-4a6b-8c7d-9e0f1a2b3c01", "attacker_ip"),
    "path traversal": ("3b2a1c0d-4e5f-4a6b-8c7d-9e0f1a2b3c02", "attacker_ip"),
    "DNS tunnelling (long labels)": ("9d4e5f60-1a2b-4c3d-8e9f-0a1b2c3d4e01", "workstation_ip"),
    "beaconing": ("7a3d2c10-8f4e-4b6a-9c1d-2e5f6a7b8c04", "beacon_ip"),
}
STORY_KEYS = {"attacker_ip", "portal_host", "portal_ip", "portal_public_ip", "compromised_user",
              "ssh_host", "ssh_host_ip", "workstation_host", "workstation_ip", "tunnel_domain",
              "beacon_ip", "beacon_domain", "scan_target_ip"}


def read_all(day: NetworkDay) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in day.files}


def test_files_counts_and_story(tmp_path: Path) -> None:
    day = write_day(tmp_path, end=END, seed=3, scale=SMALL)
    names = [p.name for p in day.files]
    assert all(p.parent == tmp_path and p.stat().st_size > 0 for p in day.files)
    assert all(n.startswith("demo-") for n in names)
    assert set(day.counts) == set(names)
    assert all(n > 0 for n in day.counts.values())
    assert set(day.story) >= STORY_KEYS
    assert all(isinstance(v, str) and v for v in day.story.values())
    assert day.story["end"] == END.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # line files hold exactly the counted records (plus Zeek's # header lines)
    for path in day.files:
        if path.suffix == ".pcap":
            assert path.read_bytes()[:4] == b"\xd4\xc3\xb2\xa1"
            continue
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
                 if not ln.startswith("#")]
        assert len(lines) == day.counts[path.name], path.name
    # demo data says so where the format allows it
    auth = next(p for p in day.files if p.name.startswith("demo-auth-"))
    assert "CANHGAC DEMO DATA" in auth.read_text(encoding="utf-8").splitlines()[0]
    conn = next(p for p in day.files if p.name == "demo-zeek-conn.log")
    assert "#demo\tCANHGAC DEMO DATA" in conn.read_text(encoding="utf-8")


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = write_day(tmp_path / "a", end=END, seed=11, scale=SMALL)
    b = write_day(tmp_path / "b", end=END, seed=11, scale=SMALL)
    c = write_day(tmp_path / "c", end=END, seed=12, scale=SMALL)
    assert read_all(a) == read_all(b)
    assert (a.story, a.counts) == (b.story, b.counts)
    differ = [n for n, data in read_all(c).items() if data != read_all(a)[n]]
    assert len(differ) == len(a.files)


def test_scale_changes_the_background_only(tmp_path: Path) -> None:
    small = write_day(tmp_path / "s", end=END, seed=5, scale=SMALL)
    big = write_day(tmp_path / "b", end=END, seed=5, scale=2 * SMALL)
    for name in ("demo-nginx-dichvucong-access.log", "demo-zeek-dns.log"):  # citizens, staff
        assert big.counts[name] > 1.5 * small.counts[name], name
    same = ("attacker_ip", "scan_ports", "ssh_failures", "sqli_requests", "tunnel_queries",
            "scan_start", "bruteforce_start", "web_attack_start", "tunnel_start")
    assert {k: small.story[k] for k in same} == {k: big.story[k] for k in same}


def test_refuses_a_naive_end_and_a_bad_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        write_day(tmp_path, end=datetime(2026, 11, 26, 12, 0))
    with pytest.raises(ValueError, match="scale must be positive"):
        write_day(tmp_path, end=END, scale=0)
    assert not any(tmp_path.iterdir())


# -- through the collectors and detection ---------------------------------------------


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One demo day through ``ingest``, ``detect once`` and ``incidents
    group-once`` on a fresh SQLite data dir (the CLI reads the rule pack
    from ``rules/sigma`` under the working directory: the repository)."""
    base = tmp_path_factory.mktemp("demo-network")
    day = write_day(base / "logs", end=END, seed=2026, scale=SMALL)
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("CANHGAC_CONFIG", "CANHGAC_STORE", "CANHGAC_STORE_URL",
                     "CANHGAC_SQLITE_PATH"):
            mp.delenv(name, raising=False)
        mp.setenv("CANHGAC_DATA_DIR", str(base / "data"))
        mp.chdir(ROOT)

        def run(*args: str) -> str:
            result = runner.invoke(app, list(args))
            assert result.exit_code == 0, result.output
            return result.stdout

        ingested = json.loads(run("ingest", "--json", *map(str, day.files)))
        detected = json.loads(run("detect", "once"))
        run("incidents", "group-once")
        incidents = [json.loads(line) for line in
                     run("incidents", "list", "--json", "--size", "500").splitlines()]
    yield {"day": day, "ingest": ingested, "detect": detected, "incidents": incidents}


def test_every_record_is_read_without_dead_letters(pipeline: dict[str, Any]) -> None:
    day, summary = pipeline["day"], pipeline["ingest"]
    assert summary["dead_letters"] == 0, summary
    formats = {Path(f["path"]).name: f["format"] for f in summary["files"]}
    assert formats == {**{n: "auth" for n in day.counts if n.startswith("demo-auth-")},
                       "demo-nginx-dichvucong-access.log": "web",
                       "demo-fortigate-fw-trung-tam.log": "firewall",
                       "demo-zeek-conn.log": "zeek", "demo-zeek-dns.log": "zeek",
                       "demo-suricata-eve.json": "eve", "demo-capture-so-tnmt.pcap": "pcap"}
    for f in summary["files"]:
        name = Path(f["path"]).name
        if f["format"] != "pcap":  # a capture gives flows and records, not one per packet
            assert f["records"] == f["events_written"] == day.counts[name], name
        else:
            assert f["events_written"] > 0
    assert pipeline["detect"]["broken"] == {}


def test_the_story_is_found(pipeline: dict[str, Any]) -> None:
    story = pipeline["day"].story
    found = {(i["rule"]["id"], v) for i in pipeline["incidents"] for v in i["entity_values"]}
    missing = [what for what, (rule, fact) in STORY_RULES.items()
               if (rule, story[fact]) not in found]
    assert not missing, f"story incidents not raised: {missing}"


def test_the_background_stays_quiet(pipeline: dict[str, Any]) -> None:
    story = pipeline["day"].story
    cast = {story["attacker_ip"], story["workstation_ip"], story["beacon_ip"]}
    stray = [(i["rule"]["name"], i["entity_values"]) for i in pipeline["incidents"]
             if not cast & set(i["entity_values"])]
    assert not stray, f"incidents from the normal traffic: {stray}"
