"""The literal prefilter (``detection.sigma.prefilter``): what it derives from
a rule, and that the SQLite executor finds exactly the same matches with it as
without it, on rules and events written to probe its edges."""

from __future__ import annotations

import base64

import pytest
from sigma.rule import SigmaRule

from detection.sigma.convert import compile_rules
from detection.sigma.loader import RuleSet
from detection.sigma.prefilter import ahocorasick, ascii_lower
from detection.sigma.sqlite_exec import SQLiteRuleExecutor
from tests.detection.fixtures.events import sysmon_proc, ts

PROC = {"product": "windows", "category": "process_creation"}


def _rule(rid: str, detection: dict, logsource: dict | None = None) -> SigmaRule:
    return SigmaRule.from_dict({"title": rid, "id": rid, "logsource": logsource or PROC,
                                "detection": detection})


RULES = [
    # positive side only: the filter's literal is no clause
    _rule("7a1e0000-0000-4000-8000-000000000001", {
        "sel": {"Image|endswith": "\\certutil.exe", "CommandLine|contains": "urlcache"},
        "filter": {"CommandLine|contains": "microsoft.com"},
        "condition": "sel and not filter"}),
    # OR of selections: one clause, the union
    _rule("7a1e0000-0000-4000-8000-000000000002", {
        "a": {"CommandLine|contains": "whoami"}, "b": {"Image|endswith": "\\klist.exe"},
        "condition": "a or b"}),
    # a wildcard inside the value: the longest piece
    _rule("7a1e0000-0000-4000-8000-000000000003", {
        "sel": {"CommandLine": "*reg* add *\\CurrentVersion\\Run*"}, "condition": "sel"}),
    # |all: every value is its own clause
    _rule("7a1e0000-0000-4000-8000-000000000004", {
        "sel": {"CommandLine|contains|all": ["-nop", "hidden", "-enc"]}, "condition": "sel"}),
    # windash: dash variants (some not ASCII)
    _rule("7a1e0000-0000-4000-8000-000000000005", {
        "sel": {"CommandLine|windash|contains": "-urlcache"}, "condition": "sel"}),
    # base64offset: the three encodings
    _rule("7a1e0000-0000-4000-8000-000000000006", {
        "sel": {"CommandLine|base64offset|contains": "Invoke-Mimikatz"}, "condition": "sel"}),
    # cased: case-sensitive in SQL, still a (case-insensitive) clause
    _rule("7a1e0000-0000-4000-8000-000000000007", {
        "sel": {"CommandLine|cased|contains": "SeDebugPrivilege"}, "condition": "sel"}),
    # a regular expression: always run
    _rule("7a1e0000-0000-4000-8000-000000000008", {
        "sel": {"CommandLine|re": "w.o?ami"}, "condition": "sel"}),
    # negation only: always run
    _rule("7a1e0000-0000-4000-8000-000000000009", {
        "filter": {"Image|startswith": "C:\\Windows\\"}, "condition": "not filter"}),
    # a single non-ASCII letter (Cyrillic a) is a literal of its own
    _rule("7a1e0000-0000-4000-8000-00000000000a", {
        "sel": {"CommandLine|contains": "\u0430"}, "condition": "sel"}),
    # a short ASCII piece is no clause; exact equality, case-insensitive
    _rule("7a1e0000-0000-4000-8000-00000000000b", {
        "sel": {"User": "CITY\\an", "CommandLine|contains": "/c"}, "condition": "sel"}),
    # a field whose Windows data name has a space in the event
    _rule("7a1e0000-0000-4000-8000-00000000000c", {
        "sel": {"ParentImage|endswith": "\\winword.exe"}, "condition": "sel"}),
    # a numeric value: no clause from it, but the string one counts
    _rule("7a1e0000-0000-4000-8000-00000000000d", {
        "sel": {"TerminalSessionId": 0, "Image|endswith": "\\cmd.exe"}, "condition": "sel"}),
    # 1 of: union over the selections
    _rule("7a1e0000-0000-4000-8000-00000000000e", {
        "sel_a": {"CommandLine|contains": "vssadmin"},
        "sel_b": {"CommandLine|contains": "shadowcopy"}, "condition": "1 of sel_*"}),
    # a float cell: SQLite writes 1e20 as "1.0e+20", Python as "1e+20"
    _rule("7a1e0000-0000-4000-8000-00000000000f", {
        "sel": {"Duration|endswith": ".0e+20"}, "condition": "sel"}),
    # a case-insensitive regex: its literal cut at i/k/s (re folds them beyond
    # ASCII: the Kelvin sign matches k), an alternation a union
    _rule("7a1e0000-0000-4000-8000-000000000010", {
        "sel": {"CommandLine|re|i": "(?:mimi|kiwi)katz.*dump"}, "condition": "sel"}),
    # a case-sensitive regex with a required group and an optional one
    _rule("7a1e0000-0000-4000-8000-000000000011", {
        "sel": {"CommandLine|re": "(?:list)+ (shadows)?"}, "condition": "sel"}),
    # a regex over a float: REGEXP too reads the TEXT column's "1.0e+20"
    _rule("7a1e0000-0000-4000-8000-000000000012", {
        "sel": {"Duration|re": "^1\\.0e\\+20$"}, "condition": "sel"}),
]


def _b64(text: str, offset: int) -> str:
    raw = base64.b64encode(b"\0" * offset + text.encode()).decode()
    return raw[(0, 2, 3)[offset]:]


def _events() -> list[dict]:
    cmds = [
        "certutil -urlcache -f http://x/a", "CERTUTIL -URLCACHE -F http://microsoft.com/a",
        "cmd /c WHOAMI /all", "klist", "REG.exe ADD HKCU\\Software\\Microsoft\\Windows"
        "\\CurrentVersion\\Run /v x", "powershell -NOP -w HIDDEN -ENC SQBFAFgA",
        "powershell -nop -enc SQBFAFgA", "certutil \u2013urlcache -f http://x/b",
        "certutil /urlcache -f http://x/c", f"powershell -e {_b64('Invoke-Mimikatz', 1)}",
        f"powershell -e {_b64('Invoke-Mimikatz', 2)}", "whoami /priv SeDebugPrivilege",
        "whoami /priv sedebugprivilege", "echo p\u0430ypal", "wh0ami", "vssadmin list shadows",
        "mimikatz sekurlsa::logonpasswords DUMP", "KIWIKATZ \u212aerberos dump",
        "kiwi\u212aatz dump", "mimikatz exit",
        "wmic SHADOWCOPY delete", "ping 127.0.0.1",
    ]
    images = ["C:\\Windows\\System32\\certutil.exe", "C:\\Windows\\System32\\cmd.exe",
              "C:\\Windows\\System32\\klist.exe", "D:\\tools\\CMD.EXE"]
    out = []
    for i, cmd in enumerate(cmds):
        for j, image in enumerate(images):
            doc = sysmon_proc(i * 10 + j, image, cmd, user=("CITY\\AN", "CITY\\an")[j % 2],
                              at=i + j / 10)
            data = doc["winlog"]["event_data"]
            if j == 1:
                data["Parent Image"] = "C:\\Program Files\\Office\\WINWORD.EXE"
            if j == 2:
                data["TerminalSessionId"] = 0
            if j == 3:
                data["CommandLine"] = [cmd, "second value"]
            out.append(doc)
    floaty = sysmon_proc(9999, "C:\\x\\cmd.exe", "whoami", at=99)
    floaty["winlog"]["event_data"]["TerminalSessionId"] = 0.0
    floaty["winlog"]["event_data"]["Duration"] = 1e20
    out.append(floaty)
    return out


@pytest.fixture(scope="module")
def compiled() -> list:
    rs = RuleSet(rules={str(r.id): r for r in RULES})
    cov = compile_rules(rs, "sqlite")
    assert cov.counts()["converted"] == len(RULES), cov.misses()
    return list(cov.compiled.values())


def _clauses(compiled: list, n: int) -> tuple:
    return next(c for c in compiled if c.rule_id.endswith(f"{n:012x}")).clauses


def test_clauses_follow_the_condition(compiled) -> None:
    assert _clauses(compiled, 1) in ((("urlcache",), ("\\certutil.exe",)),
                                     (("\\certutil.exe",), ("urlcache",)))
    assert _clauses(compiled, 2) == (("\\klist.exe", "whoami"),)
    assert _clauses(compiled, 3) == (("\\currentversion\\run",),)
    assert sorted(_clauses(compiled, 4)) == [("-enc",), ("-nop",), ("hidden",)]
    dashes = _clauses(compiled, 5)[0]
    assert "-urlcache" in dashes and "/urlcache" in dashes and "\u2013urlcache" in dashes
    assert len(_clauses(compiled, 6)[0]) == 3  # one literal per base64 offset
    assert _clauses(compiled, 7) == (("sedebugprivilege",),)
    assert _clauses(compiled, 8) == (("ami",),)
    assert _clauses(compiled, 16) == (("atz",), ("dump",)) or \
        _clauses(compiled, 16) == (("dump",), ("atz",))
    assert _clauses(compiled, 17) == (("list",),)
    assert _clauses(compiled, 9) == ()
    assert _clauses(compiled, 10) == (("\u0430",),)
    assert _clauses(compiled, 11) == (("city\\an",),)
    assert _clauses(compiled, 13) == (("\\cmd.exe",),)
    assert _clauses(compiled, 14) == (("shadowcopy", "vssadmin"),)


def test_ascii_lower_folds_ascii_only() -> None:
    assert ascii_lower("CMD.EXE") == "cmd.exe"
    assert ascii_lower("\u0406\u03a3X") == "\u0406\u03a3x"  # as SQLite's NOCASE


@pytest.mark.skipif(ahocorasick is None, reason="pyahocorasick not installed: no prefilter")
def test_same_matches_with_and_without_prefilter(compiled) -> None:
    docs = _events()
    fast = SQLiteRuleExecutor(compiled)
    slow = SQLiteRuleExecutor(compiled, prefilter=False)
    assert fast.prefiltered == len(RULES) - 1 and slow.prefiltered == 0
    results = []
    for batch in (docs, docs[:7], docs[30:], docs):  # again: the re-anchored index runs too
        got = [(m.rule_id, m.event_id) for m in fast.evaluate(batch)]
        want = [(m.rule_id, m.event_id) for m in slow.evaluate(batch)]
        assert got == want
        results.append(got)
    assert results[0] == results[-1]
    assert not fast.broken and not slow.broken
    matched = {rid for rid, _ in got}
    assert len(matched) >= 10  # the events do reach most rules
    got_ids = {(rid[-2:], eid) for rid, eid in got}
    assert ("05", "win-71") in got_ids  # en dash
    assert ("07", "win-111") in got_ids and ("07", "win-121") not in got_ids  # cased
    assert ("0a", "win-131") in got_ids  # Cyrillic letter
    assert ("0c", "win-1") in got_ids  # spaced Windows data name
    assert ("0f", "win-9999") in got_ids  # a float as SQLite writes it
    assert ("12", "win-9999") in got_ids  # ... for REGEXP too
    katz = {eid for rid, eid in got_ids if rid == "10"}
    assert {"win-160", "win-170", "win-180"} <= katz and "win-190" not in katz
    assert ("11", "win-150") in got_ids


def test_same_matches_with_the_bundled_rules() -> None:
    """Our own rule pack over the detection fixtures' events."""
    from pathlib import Path

    from detection.sigma.loader import load_rules
    from tests.detection.fixtures.events import RULES as FIXTURE_RULES
    from tests.detection.fixtures.events import ssh

    root = Path(__file__).resolve().parents[2]
    rs = load_rules([root / "rules" / "sigma", FIXTURE_RULES])
    rules = [c for c in compile_rules(rs, "sqlite").compiled.values()
             if c.status == "converted"]
    docs = [ssh(i, ("failure", "success")[i % 7 == 0], f"198.51.100.{i % 3}", "root", i)
            for i in range(40)]
    docs += [sysmon_proc(100 + i, "C:\\Windows\\System32\\cmd.exe", f"cmd /c whoami {i}",
                         at=i) for i in range(10)]
    docs.append({"@timestamp": ts(1), "event": {"id": "m-1"}, "message": "nothing here"})
    fast = SQLiteRuleExecutor(rules)
    slow = SQLiteRuleExecutor(rules, prefilter=False)
    got = [(m.rule_id, m.event_id) for m in fast.evaluate(docs)]
    assert got == [(m.rule_id, m.event_id) for m in slow.evaluate(docs)]
    assert got


def test_same_matches_when_rows_are_too_varied_for_narrow_inserts(compiled, monkeypatch) -> None:
    """Past ``MAX_INSERT_SHAPES`` sets of filled columns, rows go in full width."""
    import detection.sigma.sqlite_exec as sqlite_exec

    docs = _events()
    want = [(m.rule_id, m.event_id) for m in SQLiteRuleExecutor(compiled).evaluate(docs)]
    monkeypatch.setattr(sqlite_exec, "MAX_INSERT_SHAPES", 1)
    got = [(m.rule_id, m.event_id) for m in SQLiteRuleExecutor(compiled).evaluate(docs)]
    assert got == want and want


def test_log_source_conditions_hold_per_distinct_key_in_any_case() -> None:
    """The log-source condition is evaluated once per distinct (channel, event
    id) of a batch, with the column's NOCASE equality: a channel written in
    another case is the same log source, another channel or event id is not."""
    rules = [c for c in compile_rules(RuleSet(rules={str(RULES[1].id): RULES[1]}),
                                      "sqlite").compiled.values()]
    docs = [sysmon_proc(i, "C:\\Windows\\System32\\cmd.exe", "cmd /c whoami", at=i)
            for i in range(4)]
    docs[1]["winlog"]["channel"] = docs[1]["winlog"]["channel"].upper()
    docs[2]["winlog"]["channel"] = "Security"
    docs[3]["winlog"]["event_id"] = 3
    got = {m.event_id for m in SQLiteRuleExecutor(rules).evaluate(docs)}
    assert got == {docs[0]["event"]["id"], docs[1]["event"]["id"]}


def test_fields_inside_arrays_of_objects_are_looked_through() -> None:
    """``dns.answers.data`` over a list of answers: any answer's value matches,
    as on the engines; the list's own objects are not searched as text."""
    rule = SigmaRule.from_dict({
        "title": "answers", "id": "7a1e0000-0000-4000-8000-0000000000a1",
        "logsource": {"category": "dns"},
        "detection": {"sel": {"dns.answers.data|endswith": ".evil.example"},
                      "condition": "sel"}})
    rules = list(compile_rules(RuleSet(rules={str(rule.id): rule}), "sqlite").compiled.values())
    assert rules[0].status == "converted", rules[0]

    def dns(n: int, answers: list) -> dict:
        return {"@timestamp": ts(n), "event": {"id": f"dns-{n}", "category": ["network"]},
                "network": {"protocol": "dns"}, "dns": {"answers": answers}}

    docs = [dns(0, [{"data": "10.0.0.1"}, {"data": "cdn.evil.example"}]),
            dns(1, [{"data": "portal.thanhpho.example"}]),
            dns(2, [{"name": "cdn.evil.example", "data": "10.0.0.2"}]),
            dns(3, [])]
    for prefilter in (True, False):
        got = [m.event_id for m in SQLiteRuleExecutor(rules, prefilter=prefilter).evaluate(docs)]
        assert got == ["dns-0"]
