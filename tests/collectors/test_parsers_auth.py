"""Linux auth parser: sshd, sudo, su and PAM lines as authentication events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import auth
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"
CTX = RecordContext("file:/var/log/auth.log", received=datetime(2026, 11, 21, tzinfo=UTC))


def parsed() -> list[dict]:
    out = []
    for i, line in enumerate((FIXTURES / "auth.log").read_text().splitlines()):
        ev = auth.parse(line, RecordContext(CTX.source, offset=i, received=CTX.received))[0]
        validate(ev)
        out.append(ev)
    return out


def summary(ev: dict) -> tuple:
    return (get(ev, "event.action"), get(ev, "event.outcome"), get(ev, "user.name"),
            get(ev, "source.ip"), get(ev, "source.port"))


def test_fixture_lines_as_expected() -> None:
    got = [summary(ev) for ev in parsed()]
    assert got == [
        ("ssh_login", "success", "nguyen.van.an", "203.0.113.10", 51022),
        ("ssh_login", "failure", "root", "198.51.100.23", 40112),
        ("ssh_login", "failure", "admin", "198.51.100.23", 40113),
        ("ssh_invalid_user", "failure", "oracle", "198.51.100.23", 40120),
        ("ssh_max_auth_attempts", "failure", "root", "198.51.100.23", 40125),
        ("ssh_disconnect", "failure", "root", "198.51.100.23", 40125),
        ("pam_authentication", "failure", "tran.thi.binh", "2001:db8::77", None),
        ("ssh_login", "failure", "tran.thi.binh", "2001:db8::77", 50001),
        ("session_opened", "success", "nguyen.van.an", None, None),
        ("sudo", "success", "le.minh.chau", None, None),
        ("sudo", "failure", "pham.quoc.dung", None, None),
        ("su", "failure", "vo.thanh.em", None, None),
        ("su", "success", "vo.thanh.em", None, None),
        ("ssh_login", "failure", "hoang.gia.huy", None, None),
        (None, None, None, None, None),
    ]


def test_categories_methods_and_context() -> None:
    evs = parsed()
    assert get(evs[0], "event.category") == ["authentication"]
    assert get(evs[0], "auth.method") == "publickey"
    assert get(evs[1], "auth.method") == "password"
    assert get(evs[2], "auth.ssh.invalid_user") is True
    assert get(evs[1], "host.name") == "cong-dich-vu-1"
    assert get(evs[1], "process.name") == "sshd"
    assert get(evs[1], "@timestamp") == "2026-11-20T08:05:11.000Z"
    assert get(evs[9], "process.command_line") == "/usr/bin/systemctl restart nginx"
    assert get(evs[9], "user.effective.name") == "root"
    assert get(evs[10], "event.reason") == "3 incorrect password attempts"
    assert get(evs[11], "user.target.name") == "root"
    assert get(evs[13], "source.domain") == "may-tram.thanhpho.example"
    assert "source.ip" not in str(get(evs[13], "source"))
    assert get(evs[14], "event.dataset") == "system.syslog"  # kept, not dropped
    assert get(evs[1], "related.ip") == ["198.51.100.23"]


@pytest.mark.parametrize("line,user,ip", [
    ("Nov 20 08:00:00 h sshd[1]: Failed password for user from 127.0.0.1 port 2 ssh1: ruser "
     "from 1.2.3.4", "user", "127.0.0.1"),
    ("Nov 20 08:00:00 h sshd[1]: Invalid user  from 192.0.2.8", "", "192.0.2.8"),
    ("Nov 20 08:00:00 h sshd[1]: Failed password for root from ::ffff:192.0.2.9 port 22 ssh2",
     "root", "192.0.2.9"),
    ("Nov 20 08:00:00 h dropbear[9]: Bad password attempt for 'root' from 192.0.2.10:5543",
     "root", "192.0.2.10"),
    ("Nov 20 08:00:00 h sshd[1]: [ID 800047 auth.info] Failed keyboard-interactive for bob "
     "from 192.0.2.11 port 4 ssh2", "bob", "192.0.2.11"),
    ("h sshd[1]: error: PAM: Authentication failure for bob from 192.0.2.12", "bob",
     "192.0.2.12"),
    ("Nov 20 08:00:00 h vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 "
     "euid=0 tty=ftp ruser=an rhost=192.0.2.13", "an", "192.0.2.13"),
])
def test_failure_variants(line: str, user: str, ip: str) -> None:
    ev = auth.parse(line, CTX)[0]
    assert get(ev, "event.outcome") == "failure"
    assert get(ev, "source.ip") == ip
    assert (get(ev, "user.name") or "") == user


@pytest.mark.parametrize("bad", ["", "hello world", "{\"json\": true}", "Nov 20 garbage"])
def test_rejects_non_syslog(bad: str) -> None:
    with pytest.raises(ParseError):
        auth.parse(bad, CTX)


def test_bytes_in_legacy_encoding_are_decoded_and_tagged() -> None:
    # "thử" in Windows-1258: u-horn (0xFD) + combining hook above (0xD2)
    raw = b"Nov 20 08:00:00 h sshd[1]: Failed password for invalid user th\xfd\xd2 from " \
          b"192.0.2.1 port 1 ssh2"
    ev = auth.parse(raw, CTX)[0]
    assert "decoded_cp1258" in get(ev, "tags")
    assert get(ev, "event.outcome") == "failure"
    assert get(ev, "user.name") == "thử"  # composed (NFC)
