"""Web access-log parser: combined, common and vhost_combined."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import web
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"


def events(name: str, source: str = "file:/var/log/nginx/access.log") -> list[dict]:
    out = []
    for i, line in enumerate((FIXTURES / name).read_text().splitlines()):
        ev = web.parse(line, RecordContext(source, offset=i))[0]
        validate(ev)
        out.append(ev)
    return out


def test_combined_fields() -> None:
    ev = events("access.log")[0]
    assert get(ev, "source.ip") == "203.0.113.10"
    assert get(ev, "http.request.method") == "GET"
    assert get(ev, "url.original") == "/dich-vu-cong/ho-so?id=42&lang=vi"
    assert get(ev, "url.path") == "/dich-vu-cong/ho-so"
    assert get(ev, "url.query") == "id=42&lang=vi"
    assert get(ev, "http.version") == "1.1"
    assert get(ev, "http.response.status_code") == 200
    assert get(ev, "http.response.body.bytes") == 5123
    assert get(ev, "http.request.referrer") == "https://thanhpho.example/"
    assert get(ev, "user_agent.original") == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert get(ev, "@timestamp") == "2026-11-20T04:00:00.000Z"
    assert get(ev, "event.dataset") == "nginx.access"
    assert get(ev, "event.outcome") == "success"


def test_statuses_users_junk_request_and_common_format() -> None:
    evs = events("access.log", "file:/srv/httpd/access_log")
    assert get(evs[0], "event.dataset") == "apache.access"
    assert get(evs[1], "http.response.status_code") == 404
    assert get(evs[1], "event.outcome") == "failure"
    assert get(evs[2], "user.name") == "admin"
    assert get(evs[3], "http.response.body.bytes") == 0
    assert get(evs[4], "http.request.method") is None
    assert "invalid_request_line" in get(evs[4], "tags")
    assert get(evs[5], "user_agent.original") is None  # common log format
    assert get(evs[5], "url.extension") == "html"


def test_vhost_combined() -> None:
    evs = events("access-vhost.log")
    assert get(evs[0], "url.domain") == "dichvucong.thanhpho.example"
    assert get(evs[0], "url.port") == 443
    assert get(evs[0], "source.ip") == "203.0.113.10"
    assert get(evs[1], "url.original") == "/../../etc/passwd"


@pytest.mark.parametrize("bad", [
    '203.0.113.10 - - [20/Nov/2026:11:00:00 +0700] "GET / HTTP/1.1" 200',  # truncated
    '203.0.113.10 - - [20/Foo/2026:11:00:00 +0700] "GET / HTTP/1.1" 200 1',
    '203.0.113.10 - - [32/Nov/2026:11:00:00 +0700] "GET / HTTP/1.1" 200 1',
    "not a log line",
])
def test_rejects(bad: str) -> None:
    with pytest.raises(ParseError):
        web.parse(bad, RecordContext("t"))
