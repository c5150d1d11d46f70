"""The shared parser helpers' fast paths give what ``canhgac.ecs`` gives:
the same event ids, the same timestamp text (or the same error)."""

from __future__ import annotations

import itertools

import pytest

from canhgac import ecs
from collectors.parsers import _common


@pytest.mark.parametrize("source", ["file:/var/log/auth.log", "syslog:udp:514",
                                    "file:/tmp/\udcff-undecodable"])
def test_event_ids_are_those_of_canhgac_ecs(source: str) -> None:
    assert _common.event_id(source, 42) == ecs.event_id(source, 42)
    assert _common.event_id(source, "7#1") == ecs.event_id(source, "7#1")
    assert _common.event_id(source, content="một dòng\udcff") == ecs.event_id(
        source, content="một dòng\udcff")


def _outcome(fn: object, text: str) -> str:
    try:
        return fn(text)  # type: ignore[operator, no-any-return]
    except (ValueError, OverflowError) as exc:
        return f"{type(exc).__name__}: {exc}"


def test_iso_timestamp_text_is_canhgac_ecs_timestamp() -> None:
    """Every spelling of the cached ISO fast path (fractions of any length,
    each offset form, impossible dates, out-of-range years) gives the text or
    the error of ``canhgac.ecs.timestamp``."""
    dates = ["2026-11-20", "2024-02-29", "2025-02-29", "0001-01-01", "9999-12-31", "2026-13-01"]
    times = ["12:00:01", "00:00:00", "23:59:59", "24:00:00", "12:60:00"]
    fractions = ["", ".", ".1", ".12", ".123", ".1234", ".123456", ".1234567", ".000100",
                 ".\u0663"]
    offsets = ["", "Z", "z", "+0700", "+07:00", "-07:00", "+00:00", "+14:00", "+24:00",
               "+0730", "+07", "+07:00:30", " ", "-1200"]
    for d, t, frac, off in itertools.product(dates, times, fractions, offsets):
        text = f"{d}T{t}{frac}{off}"
        assert _outcome(_common.timestamp_text, text) == _outcome(ecs.timestamp, text), text


def test_now_is_the_canonical_form_of_the_current_instant() -> None:
    before = ecs.now()
    got = _common.now()
    after = ecs.now()
    assert before <= got <= after
    assert ecs.timestamp(got) == got


PORT_VALUES = [0, 1, 80, 65535, 65536, -1, True, False, 1.0, 80.5, None, "", "0", "443", "0443",
               "65535", "65536", "-1", " 80", "80 ", "0x50", "0X1bb", "٣", "²", "8\u0660", "1e3",
               "+80", "x", [80], 2**70, "9" * 30]


def test_port_or_none_is_bounded_int_or_none() -> None:
    for value in PORT_VALUES:
        assert _common.port_or_none(value) == _common.int_or_none(value, 0, 65535), value


def test_built_event_id_is_that_of_canhgac_ecs() -> None:
    from collectors.record import RecordContext

    for offset in (0, 7, 10**12):
        ctx = RecordContext("file:/var/log/x.log", offset=offset)
        ev = _common.build(_common.Partial("test.x"), ctx, "a line")
        assert ev["event"]["id"] == ecs.event_id("file:/var/log/x.log", offset)
    ev = _common.build(_common.Partial("test.x"), RecordContext("syslog:udp:514"), "a line")
    assert ev["event"]["id"] == ecs.event_id("syslog:udp:514", content="a line")


def _fromtimestamp_text(t: float) -> str:
    from datetime import UTC, datetime

    try:
        return _common.timestamp_text(datetime.fromtimestamp(t, UTC))
    except (ValueError, OverflowError, OSError) as exc:
        return type(exc).__name__


def _epoch_text(t: float) -> str:
    try:
        return _common.epoch_text(t)
    except (ValueError, OverflowError, OSError) as exc:
        return type(exc).__name__


def test_epoch_text_is_fromtimestamp_to_the_millisecond() -> None:
    """Zeek's epoch seconds: the cached path rounds microseconds as
    ``datetime.fromtimestamp`` does (half-even, carrying into the second),
    before and after 1970, at the ends of ``datetime``'s range, and fails on
    the same out-of-range values."""
    import random
    from datetime import UTC, datetime

    rng = random.Random(11)
    values = [0.0, -0.0, 0.0005, 0.0015, 0.9999995, 1.0005, -0.0005, -1.9999995,
              1795154400.123456, 1795154400.9999996, 1e20, -1e20, float("nan"), float("inf")]
    first = datetime(1, 1, 1, tzinfo=UTC).timestamp()
    last = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC).timestamp()
    values += [first, first - 1e-6, first - 30, last, last + 4e-7, last + 6e-7, last + 30]
    values += [rng.uniform(edge - 100, edge + 100) for edge in (first, last) for _ in range(2_000)]
    values += [rng.uniform(-3e9, 4e9) for _ in range(20_000)]
    values += [1795154400 + k / 1e6 for k in range(0, 2_000_000, 997)]
    for t in values:
        assert _epoch_text(t) == _fromtimestamp_text(t), t


def test_nested_objects_merge_after_dotted_fields() -> None:
    """A parser's ``nested`` objects join the dotted fields (and the event's
    own ``event`` object) key by key, their leaves winning a clash."""
    from collectors.record import RecordContext

    p = _common.Partial("test.x", {"source.ip": "192.0.2.1", "source.port": 1, "message": "a"},
                        nested={"source": {"port": 2, "geo": {"city_name": "Cần Thơ"}},
                                "event": {"action": "x"}, "message": "b"},
                        when="2026-11-20T01:02:03.004Z")
    ev = _common.build(p, RecordContext("file:/x.log", offset=3), "raw")
    assert ev["source"] == {"ip": "192.0.2.1", "port": 2, "geo": {"city_name": "Cần Thơ"}}
    assert ev["event"]["action"] == "x" and ev["event"]["dataset"] == "test.x"
    assert ev["message"] == "b"
    assert ev["@timestamp"] == "2026-11-20T01:02:03.004Z"
    assert ev["log"] == {"file": {"path": "/x.log"}, "offset": 3}


def test_cached_ip_answers_are_those_of_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remembered addresses give the uncached answer, for hashable and
    unhashable values alike, and the cache stays within its bound."""
    values = ["192.0.2.1", "::ffff:192.0.2.1", "fe80::1%eth0", "[2001:db8::1]", "host.example",
              "", "-", "1.2.3.256", "01.2.3.4", " 1.2.3.4", 7, 1.5, None, True, ["1.2.3.4"],
              ("1.2.3.4",), "2001:DB8::1", "x" * 80]
    monkeypatch.setattr(_common, "MAX_CACHED_IPS", 5)
    monkeypatch.setattr(_common, "_IPS", {})
    for _ in range(3):
        for value in values:
            assert _common.ip_or_none(value) == _common._ip_or_none(value), value
            assert len(_common._IPS) <= 5


def test_remembered_datetime_texts_are_canhgac_ecs_timestamps() -> None:
    """One instant in several zones, naive datetimes (UTC) beside aware ones,
    and a DST fold: each gives ``canhgac.ecs.timestamp``'s text, first and
    again from the cache."""
    from datetime import UTC, datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    instant = datetime(2026, 11, 20, 1, 2, 3, 456789, tzinfo=UTC)
    values = [instant, instant.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")),
              instant.astimezone(timezone(timedelta(hours=-7))), instant.replace(tzinfo=None),
              datetime(2026, 11, 20, 1, 2, 3, 456789), datetime(2026, 11, 20, 8, 2, 3),
              datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York")),
              datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))]
    for _ in range(2):
        for value in values:
            assert _common.timestamp_text(value) == ecs.timestamp(value), value
