"""Syslog listeners on 127.0.0.1 (ephemeral ports): UDP, TCP with newline and
octet-counted framing, TLS with a certificate made here, oversized messages
to dead letters; every message counted in the store exactly once."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors.record import RecordContext
from collectors.runner import RecordProcessor
from collectors.sink import StoreSink
from collectors.syslog_server import (
    SyslogError,
    SyslogFramer,
    SyslogServer,
    SyslogService,
    server_ssl_context,
)
from store.base import Store


def msg_parser(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return [{"@timestamp": "2026-11-26T04:00:00.000Z", "message": text,
             "event": {"dataset": "test.syslog", "kind": "event"},
             "labels": {"source": ctx.source, "peer": ctx.peer or "",
                        "transport": ctx.extra.get("transport", "")}}]


# -- framing (pure) ---------------------------------------------------------------------

def _frames(framer: SyslogFramer, data: bytes, step: int) -> list[tuple[bytes, str | None]]:
    out = []
    for i in range(0, len(data), step):
        out += framer.feed(data[i:i + step])
    out += framer.close()
    return [(f.data, f.error) for f in out]


@pytest.mark.parametrize("step", [1, 3, 7, 1000])
def test_newline_framing_any_chunking(step: int):
    data = b"<13>Nov 26 10:00:00 h app: m\xe1\xbb\x99t\r\n<14>second\n\n<15>third"
    got = _frames(SyslogFramer(1024), data, step)
    assert got == [(b"<13>Nov 26 10:00:00 h app: m\xe1\xbb\x99t", None), (b"<14>second", None),
                   (b"<15>third", None)]


@pytest.mark.parametrize("step", [1, 5, 1000])
def test_octet_counting_any_chunking(step: int):
    msgs = [b"<13>1 2026-11-26T10:00:00Z h app - - - with\nnewline", b"<14>two", b"<15>three"]
    data = b"".join(str(len(m)).encode() + b" " + m for m in msgs)
    assert _frames(SyslogFramer(1024), data, step) == [(m, None) for m in msgs]


def test_digits_at_line_start_do_not_mean_octet_counting():
    data = b"2026-11-26 10:00:00 host app: hello\n42 is not a length\n"
    got = _frames(SyslogFramer(1024), data, 1000)
    assert [g[0] for g in got] == [b"2026-11-26 10:00:00 host app: hello", b"42 is not a length"]


@pytest.mark.parametrize("octet", [False, True])
def test_oversized_message_is_cut_and_the_stream_goes_on(octet: bool):
    big = b"<13>" + b"A" * 5000
    if octet:
        data = b"".join(str(len(m)).encode() + b" " + m for m in (b"<13>ok", big, b"<13>after"))
    else:
        data = b"<13>ok\n" + big + b"\n<13>after\n"
    got = _frames(SyslogFramer(256), data, 97)
    assert got[0] == (b"<13>ok", None) and got[2] == (b"<13>after", None)
    assert got[1][0] == big[:256]
    assert got[1][1] is not None and "5004 bytes" in got[1][1]


# -- listeners ------------------------------------------------------------------------

class Listener:
    """A running syslog listener writing through a sink into a store."""

    def __init__(self, store: Store, protocol: str, *, ssl_context: ssl.SSLContext | None = None,
                 max_bytes: int = 2048) -> None:
        self.store = store
        self.sink = StoreSink(store, None, batch_size=100, batch_timeout=0.05).start()
        self.processor = RecordProcessor("sys", msg_parser, self.sink)
        self.server = SyslogServer("sys", protocol, "127.0.0.1", 0, self.processor,
                                   ssl_context=ssl_context, max_message_bytes=max_bytes,
                                   health=self.sink.health)
        self.service = SyslogService([self.server]).start()

    def wait_for(self, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.server.received < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.received == n
        assert self.sink.flush(30)

    def close(self) -> None:
        self.service.stop(grace=1.0)
        self.sink.stop()


def stored(store: Store) -> list[dict[str, Any]]:
    store.refresh()
    return [d.source for d in store.scan("events")]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    from store.sqlite import SQLiteStore

    st = SQLiteStore(tmp_path / "canhgac.db")
    yield st
    st.close()


def test_udp_messages_reach_the_store(store: Store):
    lis = Listener(store, "udp")
    sent = [f"<34>Nov 26 10:00:{i:02d} gw sshd[1]: đăng nhập {i}".encode() for i in range(40)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for m in sent:
            s.sendto(m, ("127.0.0.1", lis.server.port))
            time.sleep(0.001)  # loopback, but keep the socket buffer from overflowing
    lis.wait_for(40)
    lis.close()
    docs = stored(store)
    assert sorted(d["message"] for d in docs) == sorted(m.decode() for m in sent)
    assert {d["labels"]["source"] for d in docs} == {f"syslog:udp:{lis.server.port}"}
    assert all(d["labels"]["peer"].startswith("127.0.0.1:") for d in docs)
    assert len({d["event"]["id"] for d in docs}) == 40


def test_identical_udp_messages_are_all_kept(sqlite_store: Store):
    lis = Listener(sqlite_store, "udp")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(5):
            s.sendto(b"<13>same message", ("127.0.0.1", lis.server.port))
    lis.wait_for(5)
    lis.close()
    assert sqlite_store.count("events") == 5


@pytest.mark.parametrize("octet", [False, True], ids=["newline", "octet"])
def test_tcp_framings_reach_the_store(sqlite_store: Store, octet: bool):
    lis = Listener(sqlite_store, "tcp")
    sent = [f"<13>1 2026-11-26T10:00:00Z h app - - - tin nhắn {i}".encode() for i in range(100)]
    payload = b"".join((str(len(m)).encode() + b" " + m) if octet else m + b"\n" for m in sent)
    with socket.create_connection(("127.0.0.1", lis.server.port), timeout=5) as s:
        s.sendall(payload)
    lis.wait_for(100)
    lis.close()
    docs = stored(sqlite_store)
    assert sorted(d["message"] for d in docs) == sorted(m.decode() for m in sent)
    assert {d["labels"]["source"] for d in docs} == {f"syslog:tcp:{lis.server.port}"}


def test_oversized_messages_become_dead_letters(sqlite_store: Store):
    tcp = Listener(sqlite_store, "tcp", max_bytes=512)
    with socket.create_connection(("127.0.0.1", tcp.server.port), timeout=5) as s:
        s.sendall(b"<13>before\n<13>" + b"B" * 3000 + b"\n<13>after\n")
    tcp.wait_for(3)
    tcp.close()
    udp = Listener(sqlite_store, "udp", max_bytes=512)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"<13>" + b"U" * 2000, ("127.0.0.1", udp.server.port))
    udp.wait_for(1)
    udp.close()
    assert sorted(d["message"] for d in stored(sqlite_store)) == ["<13>after", "<13>before"]
    dead = sorted((d.source for d in sqlite_store.scan("dead_letters")),
                  key=lambda d: d["source"])
    assert [d["source"].split(":")[1] for d in dead] == ["tcp", "udp"]
    assert dead[0]["raw"] == ("<13>" + "B" * 3000)[:512] and "3004 bytes" in dead[0]["reason"]
    assert dead[1]["raw"] == ("<13>" + "U" * 2000)[:512] and "2004 bytes" in dead[1]["reason"]


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "server.pem", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_listener(sqlite_store: Store, tmp_path: Path):
    cert, key = _self_signed(tmp_path)
    lis = Listener(sqlite_store, "tcp", ssl_context=server_ssl_context(cert, key))
    client = ssl.create_default_context(cafile=str(cert))
    sent = [f"<13>bảo mật {i}".encode() for i in range(20)]
    with socket.create_connection(("127.0.0.1", lis.server.port), timeout=5) as raw, \
            client.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"".join(str(len(m)).encode() + b" " + m for m in sent))
    lis.wait_for(20)
    lis.close()
    docs = stored(sqlite_store)
    assert sorted(d["message"] for d in docs) == sorted(m.decode() for m in sent)
    assert {d["labels"]["transport"] for d in docs} == {"tls"}


def test_bad_tls_files_and_busy_port_are_clear_errors(sqlite_store: Store, tmp_path: Path):
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(SyslogError, match=r"junk\.pem"):
        server_ssl_context(tmp_path / "junk.pem", tmp_path / "junk.pem")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        sink = StoreSink(sqlite_store, None)
        server = SyslogServer("x", "tcp", "127.0.0.1", taken.getsockname()[1],
                              RecordProcessor("x", msg_parser, sink))
        with pytest.raises(SyslogError, match="cannot start"):
            SyslogService([server]).start()


def test_shutdown_hands_on_what_was_read(sqlite_store: Store):
    lis = Listener(sqlite_store, "tcp")
    with socket.create_connection(("127.0.0.1", lis.server.port), timeout=5) as s:
        s.sendall(b"".join(f"<13>m{i}\n".encode() for i in range(30)))
        deadline = time.monotonic() + 10
        while lis.server.received < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        lis.close()  # connection still open: the server stops anyway
    assert sqlite_store.count("events") == 30
