"""Conversion details: Lucene regular expressions, keyword rules, coverage
reasons, ATT&CK ids from tags."""

from __future__ import annotations

import pytest

from detection.alerts import attack_from_tags, build_alert
from detection.sigma.convert import compile_rules
from detection.sigma.loader import load_rules
from detection.sigma.pipelines import lucene_regex
from detection.sigma.runner import SigmaDetector
from store.query import MatchAll
from tests.detection.fixtures.events import FIXTURES, ssh

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_lucene_regex_is_unanchored_and_spelt_out() -> None:
    assert lucene_regex(r"a\.b") == r".*a\.b.*"
    assert lucene_regex(r"^\d+$") == "[0-9]+"
    assert lucene_regex(r"[A-Za-z_-]{40,}") == r".*[A-Za-z_\-]{40,}.*"
    assert lucene_regex(r"(?i)ab[c-d]") == ".*[aA][bB][c-dC-D].*"


def test_attack_tags_to_ids() -> None:
    got = attack_from_tags(["attack.t1059.001", "attack.execution", "attack.t1110",
                            "attack.credential-access", "cve.2021-44228"])
    assert got["technique"]["id"] == ["T1059.001", "T1110"]
    assert got["tactic"]["id"] == ["TA0002", "TA0006"]
    assert attack_from_tags(["car.2016-04-005"]) == {}


def test_alert_shape_and_deterministic_id() -> None:
    meta = {"id": "r1", "name": "R", "level": "critical", "tags": []}
    ev = ssh(1, "failure", "192.0.2.1", "an", at=0)
    a, b = build_alert(meta, "ssh-1", [ev]), build_alert(meta, "ssh-1", [ev])
    assert a["id"] == b["id"] and a["risk_score"] == 95 and a["severity"] == "critical"
    assert a["source"]["ip"] == "192.0.2.1" and a["group_key"] == "r1|gw-01"
    assert a["first_seen"] == a["last_seen"] == ev["@timestamp"]


def test_unknown_logsource_is_listed_with_reason() -> None:
    rs = load_rules([FIXTURES / "rules"])
    from sigma.rule import SigmaLogSource

    rule = next(iter(rs.rules.values()))
    rule.logsource = SigmaLogSource(product="aws", category="cloudtrail")
    cov = compile_rules(rs, "sqlite")
    miss = [r for r in cov.misses() if "aws" in r.reason]
    assert miss and miss[0].status == "unsupported"


def test_keyword_rule_runs(store) -> None:
    hit = ssh(1, "failure", "192.0.2.1", "x", at=0)
    hit["message"] = "Invalid user admin from 192.0.2.1 port 4242"
    vn = ssh(2, "failure", "192.0.2.2", "y", at=1)
    vn["message"] = "Đăng nhập sai mật khẩu"
    miss = ssh(3, "failure", "192.0.2.3", "z", at=2)
    miss["message"] = "Accepted password for an"
    store.bulk("events", [hit, vn, miss], mode="create", refresh=True)
    SigmaDetector(store, load_rules([FIXTURES / "keyword_rules"])).run_once()
    store.refresh("alerts")
    got = sorted(d.source["event_ids"][0] for d in store.scan("alerts", MatchAll()))
    assert got == ["ssh-1", "ssh-2"]
