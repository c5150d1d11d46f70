"""Suricata EVE parser: alerts as external alerts, protocol records, arrays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import suricata, syslog
from collectors.parsers._common import timestamp_text
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"


def events() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i, line in enumerate((FIXTURES / "eve.json").read_text().splitlines()):
        ev = suricata.parse(line, RecordContext("file:/var/log/suricata/eve.json", offset=i))[0]
        validate(ev)
        out.setdefault(get(ev, "suricata.eve.event_type") + ("" if i != 3 else "-answer"), ev)
    return out


def test_alert_is_an_external_alert_with_rule() -> None:
    ev = events()["alert"]
    assert get(ev, "event.kind") == "alert"
    assert get(ev, "event.category") == ["network", "intrusion_detection"]
    assert get(ev, "event.type") == ["allowed"]
    assert get(ev, "rule.id") == "2024897"
    assert get(ev, "rule.name") == "ET WEB_SERVER Possible SQL Injection Attempt"
    assert get(ev, "rule.category") == "Web Application Attack"
    assert get(ev, "event.severity") == 1
    assert get(ev, "network.community_id") == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    assert get(ev, "source.ip") == "198.51.100.7"
    assert get(ev, "destination.port") == 80
    assert get(ev, "network.transport") == "tcp"
    assert get(ev, "network.protocol") == "http"
    assert get(ev, "url.domain") == "dichvucong.thanhpho.example"
    assert get(ev, "suricata.eve.flow_id") == "1111111111111111"
    assert get(ev, "@timestamp") == "2026-11-20T05:00:00.000Z"


def test_protocol_records() -> None:
    evs = events()
    flow = evs["flow"]
    assert (get(flow, "source.bytes"), get(flow, "destination.bytes"),
            get(flow, "network.bytes"), get(flow, "network.packets")) == (74, 90, 164, 2)
    assert get(flow, "event.start") == "2026-11-20T05:00:00.900Z"
    assert get(evs["dns"], "dns.question.name") == "cantho.thanhpho.example"
    assert get(evs["dns"], "dns.type") == "query"
    assert get(evs["dns-answer"], "dns.resolved_ip") == ["203.0.113.5"]
    assert get(evs["dns-answer"], "dns.response_code") == "NOERROR"
    http = evs["http"]
    assert (get(http, "http.request.method"), get(http, "http.response.status_code"),
            get(http, "url.path"), get(http, "url.query")) == ("GET", 200, "/bai-viet/ngap-lut",
                                                                "trang=2")
    assert get(evs["tls"], "tls.client.server_name") == "dichvucong.thanhpho.example"
    assert get(evs["tls"], "tls.client.ja3") == "e7d705a3286e19ea42f587b344ee6865"
    assert get(evs["tls"], "tls.version") == "1.2"
    assert get(evs["fileinfo"], "file.size") == 48213
    assert get(evs["fileinfo"], "file.mime_type") == "application/pdf"
    assert get(evs["anomaly"], "event.action") == "decoder.ipv4.trunc_pkt"
    assert get(evs["ssh"], "event.kind") == "event"  # generic
    assert get(evs["stats"], "event.kind") == "metric"


def test_array_of_objects() -> None:
    text = (FIXTURES / "eve-array.json").read_text()
    evs = suricata.parse(text, RecordContext("file:/x/alerts.json", offset=0))
    assert [get(e, "rule.id") for e in evs] == ["2001219", "2002911"]
    assert get(evs[0], "event.type") == ["denied"]
    assert len({get(e, "event.id") for e in evs}) == 2
    for e in evs:
        validate(e)


@pytest.mark.parametrize("bad", [
    '{"timestamp": "2026-11-20T12:00:00", "event_type": "alert"',  # truncated
    '{"event_type": "alert"}', '{"timestamp": "x", "event_type": 5}', "[1, 2]", "42", "not json",
    '{"timestamp": "not a date", "event_type": "flow"}',
])
def test_rejects(bad: str) -> None:
    with pytest.raises(ParseError):
        suricata.parse(bad, RecordContext("t"))


def test_wrong_types_are_dropped_not_stored() -> None:
    ev = suricata.parse('{"timestamp":"2026-11-20T00:00:00Z","event_type":"alert",'
                        '"src_ip":"nope","src_port":"70000","dest_port":true,'
                        '"alert":{"signature_id":"x","severity":"high","rev":"1"}}',
                        RecordContext("t"))[0]
    validate(ev)
    assert get(ev, "source.ip") is None and get(ev, "source.port") is None
    assert get(ev, "destination.port") is None and get(ev, "rule.id") is None


def test_protocol_from_the_event_type_when_app_proto_is_absent() -> None:
    """Suricata writes ``app_proto`` on flows and alerts, not on a dns or tls
    record: the event type names the protocol there, so ``category: dns``
    rules (``network.protocol: dns``) see Suricata's DNS."""
    evs = events()
    assert {et: get(evs[et], "network.protocol") for et in
            ("dns", "dns-answer", "http", "tls", "ssh", "flow", "fileinfo", "anomaly")} == {
        "dns": "dns", "dns-answer": "dns", "http": "http", "tls": "tls", "ssh": "ssh",
        "flow": "dns", "fileinfo": "http",  # their app_proto
        "anomaly": None}
    smtp = suricata.parse('{"timestamp":"2026-11-20T00:00:00Z","event_type":"smtp",'
                          '"smtp":{"helo":"mail.thanhpho.example"}}', RecordContext("t"))[0]
    assert get(smtp, "network.protocol") == "smtp"
    failed = suricata.parse('{"timestamp":"2026-11-20T00:00:00Z","event_type":"dns",'
                            '"app_proto":"failed","dns":{"type":"query","rrname":"a.b.vn"}}',
                            RecordContext("t"))[0]
    assert get(failed, "network.protocol") == "dns"
    own = suricata.parse('{"timestamp":"2026-11-20T00:00:00Z","event_type":"http",'
                         '"app_proto":"http2","http":{"hostname":"x.vn"}}', RecordContext("t"))[0]
    assert get(own, "network.protocol") == "http2"  # app_proto, when given, wins


def test_dns_question_domains() -> None:
    evs = events()
    for key in ("dns", "dns-answer"):
        assert get(evs[key], "dns.question") == {
            "name": "cantho.thanhpho.example", "type": "A",
            "registered_domain": "thanhpho.example", "top_level_domain": "example",
            "subdomain": "cantho"}
    bare = suricata.parse('{"timestamp":"2026-11-20T00:00:00Z","event_type":"dns",'
                          '"dns":{"type":"query","rrname":"10.0.0.1"}}', RecordContext("t"))[0]
    assert get(bare, "dns.question") == {"name": "10.0.0.1"}


def test_flow_times_out_of_range_are_dropped() -> None:
    line = ('{"timestamp":"2026-11-20T12:00:00.000000+0700","event_type":"flow",'
            '"flow":{"start":"0001-01-01T00:00:00+01:00","end":"2026-11-20T12:00:01+0700"}}')
    ev = suricata.parse(line, RecordContext("file:/var/log/suricata/eve.json", offset=0))[0]
    validate(ev)
    assert get(ev, "event.start") is None
    assert get(ev, "event.end") == "2026-11-20T05:00:01.000Z"


def _eve(body: str, ts: str = "2026-11-20T12:00:00.000100+0700") -> str:
    return '{"timestamp":"' + ts + '",' + body + "}"


@pytest.mark.parametrize("ts", [
    "2026-11-20T12:00:01.000100+0700", "2026-11-20T23:59:59.999999-1030",
    "2026-12-31T23:30:00.500000-0100",  # the UTC day, month and year change
    "2026-11-20T12:00:01.00010\u0663+0700",  # an Arabic-Indic digit in the fraction
    "2026-13-20T12:00:01.000100+0700", "0001-01-01T00:00:00.000000+0100",
    "2026-11-20 12:00:01.000100+0700", "2026-11-20T12:00:01.000100+07:00",
    "2026-11-20T12:00:01.000100Z", "2026-11-20T12:00:01.000100+07x0", "2026-11-20T12:00:01",
])
def test_eve_times_read_as_timestamp_text_reads_them(ts: str) -> None:
    """Suricata's own spelling takes a shortcut (``_eve_time``): every
    spelling, near it or not, must give what ``timestamp_text`` gives, for
    the record's time (an unusable one rejects the record) and a flow's."""
    try:
        expected: str | None = timestamp_text(ts)
    except (ValueError, OverflowError):
        expected = None
    flow = _eve('"event_type":"flow","flow":{"start":"' + ts + '"}')
    ev = suricata.parse(flow, RecordContext("t"))[0]
    assert get(ev, "event.start") == expected
    if expected is None:
        with pytest.raises(ParseError, match="unusable timestamp"):
            suricata.parse(_eve('"event_type":"flow"', ts), RecordContext("t"))
    else:
        assert suricata.parse(_eve('"event_type":"flow"', ts), RecordContext("t"))[0][
            "@timestamp"] == expected


def test_eve_time_shortcut_value() -> None:
    ev = suricata.parse(_eve('"event_type":"stats"', "2026-12-31T23:30:00.987654-0100"),
                        RecordContext("t"))[0]
    assert ev["@timestamp"] == "2027-01-01T00:30:00.987Z"


def test_drop_with_empty_metadata() -> None:
    ev = suricata.parse(_eve('"event_type":"drop","alert":{"metadata":{},"gid":"x"}'),
                        RecordContext("t"))[0]
    validate(ev)
    assert get(ev, "event.action") == "blocked"
    assert get(ev, "event.type") == ["denied"]
    assert get(ev, "suricata.eve.alert") == {"metadata": {}}  # stored as it always was
    assert "message" not in ev and get(ev, "rule") == {"ruleset": "suricata"}


def test_alert_message_inside_syslog() -> None:
    """An alert wrapped in syslog keeps its signature as message, and one
    without a signature gets none (not the syslog text)."""
    head = "<38>Nov 20 08:00:00 ids suricata[7]: "
    named = syslog.parse(head + _eve('"event_type":"alert","alert":{"signature":"S1"}'),
                         RecordContext("syslog:udp:514"))[0]
    assert get(named, "message") == "S1" and get(named, "rule.name") == "S1"
    assert get(named, "process.name") == "suricata"  # the header's fields too
    bare = syslog.parse(head + _eve('"event_type":"alert","alert":{}'),
                        RecordContext("syslog:udp:514"))[0]
    assert "message" not in bare and get(bare, "event.kind") == "alert"
    flow = syslog.parse(head + _eve('"event_type":"flow"'), RecordContext("syslog:udp:514"))[0]
    assert get(flow, "message").startswith('{"timestamp"')  # no message of its own


def test_events_share_no_objects() -> None:
    """Later stages change events in place: two events from the same line
    must not share any object or list, nor change what the next one gets."""
    line = (FIXTURES / "eve.json").read_text().splitlines()[0]

    def parse() -> dict[str, Any]:
        ev = suricata.parse(line, RecordContext("t"))[0]
        ev["event"]["ingested"] = "now"  # the clock may tick between two parses
        return ev

    first, second = parse(), parse()
    assert first == second

    def containers(doc: Any, path: str = "") -> dict[str, Any]:
        out = {path: doc} if isinstance(doc, dict | list) else {}
        for key, value in doc.items() if isinstance(doc, dict) else ():
            out.update(containers(value, f"{path}.{key}"))
        return out

    a, b = containers(first), containers(second)
    assert len(a) > 15 and a.keys() == b.keys()
    assert [p for p in a if a[p] is b[p]] == []
    first["event"]["category"].append("changed")
    first["event"]["type"].clear()
    first["observer"]["vendor"] = "changed"
    assert parse() == second
