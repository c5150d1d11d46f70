"""Suricata EVE parser: alerts as external alerts, protocol records, arrays."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import suricata
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
