"""Syslog listeners: asyncio servers on UDP and TCP (optionally TLS).

TCP framing is detected per connection (RFC 6587): a connection whose first
frame is ``<digits> <`` uses octet counting, anything else newline framing
(``\\n``, with a trailing ``\\r`` dropped).  A message longer than
``max_message_bytes`` becomes a dead letter holding its first
``max_message_bytes`` bytes, and reading goes on at the next frame; memory per
connection stays bounded.

Each message goes to a ``RecordProcessor`` (``collectors.runner``) with a
``RecordContext``: source ``syslog:udp:<port>`` or ``syslog:tcp:<port>``, the
peer address, the arrival time.  When the sink's buffer is full the server
stops reading (TCP: the peer is pushed back; UDP: ``pause_reading`` and the
kernel buffer, which drops when full, as UDP does).  ``SyslogService`` runs
the listeners on one event loop in its own thread and shuts them down
gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.health import HealthBoard
from collectors.record import RecordContext

if TYPE_CHECKING:
    from collectors.runner import RecordProcessor

log = logging.getLogger(__name__)
READ_CHUNK = 64 * 1024
MAX_PREFIX = 10  # digits of an octet count


class SyslogError(Exception):
    """A listener cannot start (port in use, bad TLS files); names which."""


@dataclass(frozen=True)
class Frame:
    """One message cut from a stream, or a rejected one (``error`` set, with
    ``data`` truncated and ``length`` the real size)."""

    data: bytes
    error: str | None = None
    length: int = 0


class SyslogFramer:
    """Cuts a TCP byte stream into syslog messages (RFC 6587), bounded in memory."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.mode: str | None = None
        self.buf = bytearray()
        self._long: bytearray | None = None  # head of an oversized message being skipped
        self._long_len = 0
        self._discard = 0  # octet mode: bytes of an oversized message still to skip

    def feed(self, data: bytes) -> list[Frame]:
        self.buf += data
        out: list[Frame] = []
        while True:
            if self.mode is None and not self._detect():
                break
            step = self._octet(out) if self.mode == "octet" else self._newline(out)
            if not step:
                break
        return out

    def close(self) -> list[Frame]:
        """The connection ended: what is left is one last message (newline mode)."""
        out: list[Frame] = []
        if self._long is not None:
            out.append(self._too_long())
        elif self.buf.strip(b"\r\n\0 "):
            out.append(Frame(bytes(self.buf).rstrip(b"\r\n\0")) if self.mode != "octet"
                       else Frame(bytes(self.buf[: self.max_bytes]),
                                  "connection closed inside an octet-counted frame",
                                  len(self.buf)))
        self.buf.clear()
        return out

    def _detect(self) -> bool:
        while self.buf[:1] in (b"\n", b"\r", b"\0"):
            del self.buf[:1]
        if not self.buf:
            return False
        if not self.buf[:1].isdigit():
            self.mode = "newline"
            return True
        sp = self.buf.find(b" ", 0, MAX_PREFIX + 1)
        if sp < 0:
            if len(self.buf) > MAX_PREFIX:
                self.mode = "newline"
                return True
            return False  # wait for more digits
        if len(self.buf) <= sp + 1:
            return False  # wait for the byte after the space
        digits_ok = self.buf[:sp].isdigit()
        self.mode = "octet" if digits_ok and self.buf[sp + 1:sp + 2] == b"<" else "newline"
        return True

    def _octet(self, out: list[Frame]) -> bool:
        if self._discard:
            take = min(self._discard, len(self.buf))
            assert self._long is not None
            room = self.max_bytes - len(self._long)
            if room > 0:
                self._long += self.buf[:min(take, room)]
            del self.buf[:take]
            self._discard -= take
            if self._discard:
                return False
            out.append(self._too_long())
            return True
        while self.buf[:1] in (b"\n", b"\r"):
            del self.buf[:1]
        sp = self.buf.find(b" ", 0, MAX_PREFIX + 1)
        if sp < 0:
            if len(self.buf) > MAX_PREFIX:
                self.mode = "newline"  # not octet counting after all: fall back
                return True
            return False
        if not self.buf[:sp].isdigit():
            self.mode = "newline"
            return True
        n = int(self.buf[:sp])
        if n > self.max_bytes:
            del self.buf[: sp + 1]
            self._long, self._long_len, self._discard = bytearray(), n, n
            return True
        if len(self.buf) < sp + 1 + n:
            return False
        out.append(Frame(bytes(self.buf[sp + 1: sp + 1 + n])))
        del self.buf[: sp + 1 + n]
        return True

    def _newline(self, out: list[Frame]) -> bool:
        nl = self.buf.find(b"\n")
        if self._long is not None:
            part = self.buf if nl < 0 else self.buf[:nl]
            room = self.max_bytes - len(self._long)
            if room > 0:
                self._long += part[:room]
            self._long_len += len(part)
            if nl < 0:
                self.buf.clear()
                return False
            del self.buf[: nl + 1]
            out.append(self._too_long())
            return True
        if nl < 0:
            if len(self.buf) > self.max_bytes:
                self._long = bytearray(self.buf[: self.max_bytes])
                self._long_len = len(self.buf)
                self.buf.clear()
            return False
        msg = bytes(self.buf[:nl]).rstrip(b"\r")
        del self.buf[: nl + 1]
        if len(msg) > self.max_bytes:
            out.append(Frame(msg[: self.max_bytes], self._reason(len(msg)), len(msg)))
        elif msg.strip(b"\0 "):
            out.append(Frame(msg))
        return True

    def _too_long(self) -> Frame:
        head, n = bytes(self._long or b""), self._long_len
        self._long, self._long_len = None, 0
        return Frame(head, self._reason(n), n)

    def _reason(self, n: int) -> str:
        return (f"syslog message of {n} bytes exceeds max_message_bytes={self.max_bytes}; "
                f"first {self.max_bytes} bytes kept")


def server_ssl_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2+) from PEM files; client certificates
    are required when ``client_ca`` is given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert), str(key))
        if client_ca is not None:
            ctx.load_verify_locations(str(client_ca))
            ctx.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise SyslogError(f"cannot load TLS files {cert} / {key}: {exc}") from exc
    return ctx


class SyslogServer:
    """One listener.  ``port`` 0 picks a free port (read ``.port`` after start)."""

    def __init__(self, input_id: str, protocol: str, host: str, port: int,
                 processor: RecordProcessor, *, ssl_context: ssl.SSLContext | None = None,
                 max_message_bytes: int = 64 * 1024, idle_timeout: float = 600.0,
                 max_connections: int = 1024, options: dict[str, Any] | None = None,
                 receive_buffer_bytes: int | None = None,
                 health: HealthBoard | None = None) -> None:
        if protocol not in ("udp", "tcp"):
            raise ValueError(f"protocol must be udp or tcp, got {protocol!r}")
        self.input_id = input_id
        self.protocol = protocol
        self.host = host
        self.port = port
        self.processor = processor
        self.ssl_context = ssl_context
        self.max_message_bytes = max_message_bytes
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.options = dict(options or {})
        self.receive_buffer_bytes = receive_buffer_bytes
        self.health = health or HealthBoard()
        self.received = 0
        self._server: asyncio.base_events.Server | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._blocked: asyncio.Task[None] | None = None

    @property
    def source(self) -> str:
        return f"syslog:{self.protocol}:{self.port}"

    def _ctx(self, peer: Any) -> RecordContext:
        addr = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else str(peer)
        transport = "tls" if self.ssl_context is not None else self.protocol
        return RecordContext(source=self.source, peer=addr, received=datetime.now(UTC),
                             extra={**self.options, "input_id": self.input_id,
                                    "transport": transport})

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.protocol == "udp":
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _UdpProtocol(self), local_addr=(self.host, self.port))
                self._transport = transport
                self.port = transport.get_extra_info("sockname")[1]
                sock = transport.get_extra_info("socket")
                if self.receive_buffer_bytes and sock is not None:
                    # The kernel caps this at net.core.rmem_max; a bigger buffer
                    # absorbs bursts while the sink pushes back.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                    self.receive_buffer_bytes)
            else:
                self._server = await asyncio.start_server(
                    self._client, self.host, self.port, ssl=self.ssl_context,
                    limit=READ_CHUNK * 2)
                self.port = self._server.sockets[0].getsockname()[1]
        except OSError as exc:
            raise SyslogError(f"syslog {self.protocol} listener on {self.host}:{self.port} "
                              f"cannot start: {exc}") from exc
        self.health.set(self.input_id, state="running",
                        description=f"{self.protocol} {self.host}:{self.port}")
        log.info("syslog %s listening on %s:%d", self.protocol, self.host, self.port)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, let open connections finish for ``grace`` seconds,
        then cancel them; messages already read are handed on first."""
        if self._transport is not None:
            self._transport.close()
        if self._blocked is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._blocked, grace)
        if self._server is not None:
            self._server.close()
            if self._connections:
                _, pending = await asyncio.wait(self._connections, timeout=grace)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            await self._server.wait_closed()
        self.health.set(self.input_id, state="stopped")

    # -- TCP -------------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.max_connections:
            log.warning("syslog %s: too many connections, refusing one", self.source)
            writer.close()
            return
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        framer = SyslogFramer(self.max_message_bytes)
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(READ_CHUNK), self.idle_timeout)
                except (TimeoutError, ConnectionError, ssl.SSLError) as exc:
                    log.info("syslog %s: closing %s: %s", self.source, peer,
                             type(exc).__name__)
                    data = b""
                frames = framer.feed(data) if data else framer.close()
                for frame in frames:
                    await self._deliver(frame, peer)
                if not data:
                    break
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _deliver(self, frame: Frame, peer: Any) -> None:
        self.received += 1
        ctx = self._ctx(peer)
        if frame.error is not None:
            out = self.processor.rejection(frame.data, ctx, frame.error)
        else:
            out = self.processor.parse(frame.data, ctx)
        if not self.processor.send(out, timeout=0):
            await asyncio.to_thread(self.processor.send, out)

    # -- UDP -------------------------------------------------------------------------
    def _datagram(self, data: bytes, peer: Any) -> None:
        self.received += 1
        ctx = self._ctx(peer)
        msg = data.rstrip(b"\r\n\0")
        if len(msg) > self.max_message_bytes:
            out = self.processor.rejection(
                msg[: self.max_message_bytes], ctx,
                f"syslog message of {len(msg)} bytes exceeds max_message_bytes="
                f"{self.max_message_bytes}; first {self.max_message_bytes} bytes kept")
        elif not msg.strip(b"\0 "):
            return
        else:
            out = self.processor.parse(msg, ctx)
        if self.processor.send(out, timeout=0):
            return
        assert self._transport is not None
        self._transport.pause_reading()  # the sink is full: let the kernel buffer
        self._blocked = asyncio.get_running_loop().create_task(self._wait_and_resume(out))

    async def _wait_and_resume(self, out: Any) -> None:
        try:
            await asyncio.to_thread(self.processor.send, out)
        finally:
            if self._transport is not None and not self._transport.is_closing():
                self._transport.resume_reading()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: SyslogServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            self.server._datagram(data, addr)
        except Exception as exc:  # one bad datagram never stops the listener
            log.exception("syslog %s: datagram failed", self.server.source)
            self.server.health.error(self.server.input_id, f"datagram: {exc}")

    def error_received(self, exc: Exception) -> None:
        log.warning("syslog %s: %s", self.server.source, exc)


class SyslogService:
    """Runs listeners on one asyncio loop in a background thread."""

    def __init__(self, servers: list[SyslogServer]) -> None:
        self.servers = servers
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> SyslogService:
        """Bind every listener; raises SyslogError when one cannot start."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                try:
                    for s in self.servers:
                        await s.start()
                except BaseException as exc:
                    failure.append(exc)
                finally:
                    ready.set()

            loop.run_until_complete(boot())
            if not failure:
                loop.run_forever()
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

        self._thread = threading.Thread(target=run, name="syslog-servers", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise SyslogError("syslog listeners did not start in time")
        if failure:
            self._thread.join(timeout)
            exc = failure[0]
            raise exc if isinstance(exc, SyslogError) else SyslogError(str(exc))
        return self

    def stop(self, grace: float = 5.0) -> None:
        loop = self._loop
        if loop is None or self._thread is None or not self._thread.is_alive():
            return

        async def down() -> None:
            await asyncio.gather(*(s.stop(grace) for s in self.servers),
                                 return_exceptions=True)

        fut = asyncio.run_coroutine_threadsafe(down(), loop)
        try:
            fut.result(grace * 2 + 5)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(grace * 2 + 5)
