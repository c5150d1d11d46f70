"""Syslog parser: RFC 3164/5424 headers, year and time-zone inference,
structured data, and hand-off to the format parsers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import syslog
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ctx(offset: int | None = None, **extra: object) -> RecordContext:
    return RecordContext("syslog:udp:514", offset=offset, peer="192.0.2.1:514",
                         received=RECEIVED, extra=dict(extra))


def lines() -> list[str]:
    return (FIXTURES / "syslog.log").read_text(encoding="utf-8").splitlines()


def test_every_fixture_line_gives_one_valid_event() -> None:
    for i, line in enumerate(lines()):
        events = syslog.parse(line, ctx(i))
        assert len(events) == 1
        validate(events[0])
        assert get(events[0], "event.original") == line


def test_rfc3164_header_pri_facility_severity() -> None:
    ev = syslog.parse(lines()[0], ctx())[0]
    assert get(ev, "log.syslog.priority") == 38
    assert get(ev, "log.syslog.facility.name") == "auth"
    assert get(ev, "log.syslog.facility.code") == 4
    assert get(ev, "log.syslog.severity.name") == "informational"
    assert get(ev, "log.syslog.severity.code") == 6
    assert get(ev, "host.name") == "dns-noi-bo"
    assert get(ev, "process.name") == "named"
    assert get(ev, "process.pid") == 812
    assert get(ev, "event.dataset") == "system.syslog"
    assert get(ev, "@timestamp") == "2026-11-20T09:00:00.000Z"


def test_rfc3164_device_time_zone_and_year_inference() -> None:
    line = "<38>Dec 31 23:30:00 host app: x"
    # received in early January: a December message belongs to last year
    jan = RecordContext("s", received=datetime(2027, 1, 2, tzinfo=UTC),
                        extra={"timezone": "Asia/Ho_Chi_Minh"})
    ev = syslog.parse(line, jan)[0]
    assert get(ev, "@timestamp") == "2026-12-31T16:30:00.000Z"
    same_year = RecordContext("s", received=datetime(2026, 12, 31, 20, tzinfo=UTC))
    assert get(syslog.parse(line, same_year)[0], "@timestamp") == "2026-12-31T23:30:00.000Z"


def test_rfc5424_with_structured_data_and_vietnamese_message() -> None:
    ev = syslog.parse(lines()[1], ctx())[0]
    assert get(ev, "log.syslog.version") == "1"
    assert get(ev, "log.syslog.msgid") == "SMTPIN"
    assert get(ev, "log.syslog.appname") == "postfix"
    assert get(ev, "host.hostname") == "mail-ubnd.thanhpho.example"
    assert get(ev, "log.syslog.structured_data") == {
        "origin": {"ip": "192.0.2.9", "software": "postfix"}, "meta": {"sequenceId": "17"}}
    assert get(ev, "message") == "Thư mới từ Sở Tài nguyên và Môi trường"
    assert get(ev, "@timestamp") == "2026-11-20T02:01:02.345Z"


def test_rfc5424_escaped_structured_data_value() -> None:
    ev = syslog.parse('<13>1 2026-11-20T00:00:00Z h a - - [x@1 k="a\\"b\\]c"] m', ctx())[0]
    assert get(ev, "log.syslog.structured_data") == {"x@1": {"k": 'a"b]c'}}
    assert get(ev, "message") == "m"


@pytest.mark.parametrize("index,dataset", [(2, "system.auth"), (3, "pfsense.log"),
                                           (4, "iptables.log"), (5, "fortinet.firewall"),
                                           (6, "suricata.eve")])
def test_message_handed_to_format_parser(index: int, dataset: str) -> None:
    ev = syslog.parse(lines()[index], ctx())[0]
    assert get(ev, "event.dataset") == dataset
    assert get(ev, "log.syslog.priority") is not None  # header kept too


def test_auth_over_rfc5424() -> None:
    ev = syslog.parse(lines()[2], ctx())[0]
    assert get(ev, "event.outcome") == "failure"
    assert get(ev, "user.name") == "guest"
    assert get(ev, "source.ip") == "198.51.100.80"


def test_ids_follow_offset_or_content() -> None:
    a = syslog.parse(lines()[0], ctx(100))[0]
    b = syslog.parse(lines()[0], ctx(100))[0]
    c = syslog.parse(lines()[0], ctx(101))[0]
    assert get(a, "event.id") == get(b, "event.id") != get(c, "event.id")
    d = syslog.parse(lines()[0], ctx())[0]
    e = syslog.parse(lines()[7], ctx())[0]
    assert get(d, "event.id") == get(syslog.parse(lines()[0], ctx())[0], "event.id")
    assert get(d, "event.id") != get(e, "event.id")


@pytest.mark.parametrize("bad", ["", "   ", "just some words", "<999>Nov 20 09:00:00 h a: x",
                                 '<13>1 2026-11-20T00:00:00Z h a - - [x@1 k="open'])
def test_rejects_what_it_does_not_understand(bad: str) -> None:
    with pytest.raises(ParseError):
        syslog.parse(bad, ctx())


def test_pri_then_free_text_is_still_syslog() -> None:
    ev = syslog.parse("<14>bản tin không có tiêu đề", ctx())[0]
    assert get(ev, "message") == "bản tin không có tiêu đề"
    assert get(ev, "@timestamp") == "2026-11-20T12:00:00.000Z"  # the received time
