"""Hypothesis fuzzing: every text parser raises nothing but ParseError, and
whatever it returns is a valid ECS event."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canhgac.ecs import validate
from collectors.parsers import PARSERS
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = [line for name in ("auth.log", "syslog.log", "fortigate.log", "filterlog.log",
                           "iptables.log", "access.log", "access-vhost.log", "eve.json",
                           "winlogbeat.ndjson", "nxlog.ndjson", "evtx-rendering.json",
                           "zeek-json/conn.log")
         for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()]
CTX = RecordContext("fuzz", offset=0, extra={"timezone": "Asia/Ho_Chi_Minh"})
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def check(raw: bytes | str) -> None:
    for name, parse in PARSERS.items():
        try:
            events = parse(raw, CTX)
        except ParseError:
            continue
        for ev in events:
            validate(ev)
            assert ev["event"]["id"], name


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real line with a slice replaced, cut, or duplicated."""
    line = draw(st.sampled_from(SEEDS))
    i = draw(st.integers(0, len(line)))
    j = draw(st.integers(i, len(line)))
    how = draw(st.sampled_from(["replace", "cut", "insert"]))
    junk = draw(st.text(max_size=20))
    if how == "cut":
        return line[:i]
    if how == "insert":
        return line[:i] + junk + line[i:]
    return line[:i] + junk + line[j:]


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    check(text)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    check(raw)


@FUZZ
@given(mutated())
def test_mutated_real_lines(line: str) -> None:
    check(line)


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(0, 255))
def test_single_byte_corruption(line: str, byte: int) -> None:
    raw = bytearray(line.encode())
    raw[len(raw) // 2] = byte
    check(bytes(raw))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids,
                                                               max_size=3),
    max_leaves=8)


@FUZZ
@given(st.dictionaries(st.sampled_from(["timestamp", "event_type", "src_ip", "src_port", "alert",
                                        "flow", "dns", "http", "tls", "ts", "uid", "id.orig_h",
                                        "_path", "winlog", "EventID", "Event", "Channel",
                                        "@timestamp", "event", "host", "answers"]),
                       JSON_VALUES, max_size=8))
def test_json_shaped_garbage(obj: dict) -> None:
    import orjson

    try:
        text = orjson.dumps(obj).decode()
    except (TypeError, orjson.JSONEncodeError):
        return
    check(text)


@pytest.mark.parametrize("obj", [
    {"winlog": {"event_id": 1, "user": 5, "event_data": {"a": {"b": [1]}}}, "event": "x",
     "host": 3},
    {"winlog": {"channel": "Security"}, "event": {"code": "4624"}, "host": {"name": "h"}},
    {"Event": {"System": {"EventID": 1, "Provider": "p", "TimeCreated": 5},
               "EventData": {"Data": ["a", {"#attributes": {"Name": "N"}, "#text": 1}]}}},
    {"timestamp": "2026-01-01T00:00:00Z", "event_type": "dns", "dns": {"answers": 5,
                                                                     "grouped": [1]}},
    {"timestamp": "2026-01-01T00:00:00Z", "event_type": "alert", "alert": [], "http": "x"},
    {"ts": 1.0, "_path": "files", "tx_hosts": "x", "uid": 5, "id.orig_h": 7},
])
def test_wrong_json_shapes(obj: dict) -> None:
    import orjson

    check(orjson.dumps(obj).decode())


def test_huge_line_is_bounded() -> None:
    line = SEEDS[1] + " " + "A" * 200_000
    for parse in PARSERS.values():
        try:
            events = parse(line, CTX)
        except ParseError:
            continue
        for ev in events:
            assert len(ev["event"]["original"]) <= 16 * 1024
            assert "original_truncated" in ev["tags"]
