"""The collection runtime: wires the configured inputs (sources) to the parse
step and the store sink, and runs them until told to stop.

Pipeline (Vector's vocabulary, STYLE.md section 5)::

    FileTailer ──┐                      ┌─► store.bulk("events", create)
                 ├─► RecordProcessor ─► StoreSink ─┤
    SyslogServer ┘   (parse, ids,       (bounded,  └─► DiskSpool (store down) ─► replay
                      dead letters)      batches, acks → FileRegistry.commit)
    FolderInput ─────(collectors.readers)──►┤  whole files once: pcap, EVTX, JSON arrays
    CaptureInput ────(collectors.pcap.live)─┘  live capture: flows, DNS, HTTP, TLS

``RecordProcessor`` calls the input's parser (``collectors.parsers.get_parser``
by name, or a ``package.module:callable`` path), gives every event its
``event.id`` (``event_id`` of the file's identity and the byte offset, so a
re-read — even under a rotated name — is a harmless duplicate the store drops;
for network records the arrival instant and a sequence number, so two identical
syslog messages stay two events), and turns a ``ParseError`` (or a parser bug)
into a dead letter.  The runner's id wins over a parser's: parsers only know
the path (not stable across rotation) or the content (identical lines would
merge).

``CollectorRuntime`` owns the lifecycle: start sink, sources and the health
reporter; on ``stop`` stop the sources, drain the sink (store or spool), commit
and flush the registries, write a last health report.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from canhgac.ecs import event_id, put
from canhgac.settings.collectors import (
    CaptureInputSettings,
    CollectorPaths,
    CollectorsSettings,
    FileInputSettings,
    FolderInputSettings,
    SyslogInputSettings,
)
from collectors.folders import FolderInput
from collectors.health import HealthBoard, HealthReporter
from collectors.record import ParseError, Parser, RecordContext
from collectors.registry import FileRegistry
from collectors.sink import Ack, DeadLetter, StoreSink
from collectors.spool import DiskSpool
from collectors.stateful import ZeekFileParser
from collectors.syslog_server import SyslogServer, SyslogService, server_ssl_context
from collectors.tail import FileTailer
from store.base import Store
from store.schema import get_path

log = logging.getLogger(__name__)
Output = tuple[list[dict[str, Any]], list[DeadLetter]]


class CollectorConfigError(Exception):
    """An input cannot be set up (unknown format, bad parser path), or another
    collector process already uses this data directory."""


def resolve_parser(fmt: str) -> Parser:
    """The parser named ``fmt``: ``package.module:callable`` is imported,
    anything else is looked up in ``collectors.parsers`` (imported here, at
    run time, so the runtime does not depend on which parsers exist)."""
    if ":" in fmt:
        module_name, _, attr = fmt.partition(":")
        try:
            parser = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise CollectorConfigError(f"parser {fmt!r} cannot be imported: {exc}") from exc
        if not callable(parser):
            raise CollectorConfigError(f"parser {fmt!r} is not callable")
        return parser
    try:
        from collectors.parsers import get_parser
    except ImportError as exc:
        raise CollectorConfigError(f"format {fmt!r}: the parsers are not available ({exc})") \
            from exc
    try:
        return get_parser(fmt)
    except (KeyError, ValueError, LookupError) as exc:
        raise CollectorConfigError(f"unknown format {fmt!r}: {exc}") from exc


class RecordProcessor:
    """Parse one raw record and hand the result to the sink (one per input)."""

    def __init__(self, input_id: str, parser: Parser, sink: StoreSink, *,
                 health: HealthBoard | None = None) -> None:
        self.input_id = input_id
        self.parser = parser
        self.sink = sink
        self.health = health or sink.health
        self._seq = itertools.count()

    def parse(self, raw: bytes, ctx: RecordContext) -> Output:
        """Events (with ids) or a dead letter; never raises for bad input."""
        self.health.add(self.input_id, records_in=1)
        try:
            events = self.parser(raw, ctx)
            if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
                raise TypeError(f"parser returned {type(events).__name__}, not a list of dicts")
        except ParseError as exc:
            self.health.add(self.input_id, parse_errors=1)
            return [], [self._dead(raw, ctx, f"parse error: {exc.reason}")]
        except Exception as exc:  # a parser bug must not stop the input
            self.health.add(self.input_id, parse_errors=1)
            self.health.error(self.input_id, f"parser failed: {type(exc).__name__}: {exc}")
            return [], [self._dead(raw, ctx, f"parser failed: {type(exc).__name__}: {exc}")]
        self._ids(events, ctx)
        return events, []

    def rejection(self, raw: bytes, ctx: RecordContext, reason: str) -> Output:
        """A record refused before parsing (too long, undecodable framing)."""
        self.health.add(self.input_id, records_in=1)
        return [], [self._dead(raw, ctx, reason)]

    def send(self, out: Output, ack: Ack | None = None, timeout: float | None = None) -> bool:
        """Queue the output in the sink; blocks while it is full (False only
        when ``timeout`` passed first)."""
        events, dead = out
        return self.sink.submit(events, dead, ack=ack, input_id=self.input_id, timeout=timeout)

    # The tailer's callbacks: parse or reject, then queue (blocking).
    def __call__(self, raw: bytes, ctx: RecordContext, ack: Ack | None = None) -> None:
        self.send(self.parse(raw, ctx), ack)

    def reject(self, raw: bytes, ctx: RecordContext, reason: str, ack: Ack | None = None) -> None:
        self.send(self.rejection(raw, ctx, reason), ack)

    def _dead(self, raw: bytes, ctx: RecordContext, reason: str) -> DeadLetter:
        context: dict[str, Any] = {"input_id": self.input_id}
        if ctx.offset is not None:
            context["offset"] = ctx.offset
        if ctx.peer:
            context["peer"] = ctx.peer
        if ctx.received:
            context["received"] = ctx.received.isoformat()
        return DeadLetter(ctx.source, reason, raw, context)

    def _ids(self, events: list[dict[str, Any]], ctx: RecordContext) -> None:
        extra = ctx.extra
        identity = extra.get("file_identity")
        key = f"file:{identity}" if identity else ctx.source
        if ctx.offset is not None:
            base: str = str(ctx.offset)
        else:  # a network record: arrival instant and a per-input sequence number
            received = ctx.received or datetime.now(UTC)
            base = f"{received.timestamp():.6f}:{next(self._seq)}"
        for i, ev in enumerate(events):
            meta = ev.get("event")
            if not isinstance(meta, dict):
                meta = {} if meta is None else None
                if meta is None:  # a parser put something odd there: leave it to the store
                    continue
                ev["event"] = meta
            ev.pop("event.id", None)
            meta["id"] = event_id(key, base if i == 0 else f"{base}:{i}")
            if identity and "log" not in ev:
                ev["log"] = {"file": {"path": extra.get("file_path")}, "offset": ctx.offset}
            elif identity:
                if get_path(ev, "log.file.path") is None:
                    put(ev, "log.file.path", extra.get("file_path"))
                if get_path(ev, "log.offset") is None:
                    put(ev, "log.offset", ctx.offset)


def _zeek_parse() -> Any:
    try:
        from collectors.parsers import zeek
    except ImportError:
        return None
    return zeek.parse


def _lock_state_dir(directory: Path) -> Any:
    """Hold ``<dir>/run.lock`` exclusively: two runtimes on one registry and
    spool would each commit offsets and replay batches the other owns."""
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / "run.lock", "a+")  # noqa: SIM115 - held for the runtime's life
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise CollectorConfigError(
            f"another collector is running on {directory} (run.lock is held); "
            f"give each instance its own data_dir") from None
    return handle


class CollectorRuntime:
    """Everything ``canhgac collect run`` runs, built from the settings."""

    def __init__(self, settings: CollectorsSettings, store: Store, data_dir: Path) -> None:
        self.settings = settings
        self.store = store
        self.paths: CollectorPaths = settings.paths(data_dir)
        self._lock = _lock_state_dir(self.paths.health.parent)
        self.health = HealthBoard()
        spool_cfg = settings.spool
        self.spool = DiskSpool(self.paths.spool, max_bytes=spool_cfg.max_bytes,
                               segment_bytes=spool_cfg.segment_bytes, fsync=spool_cfg.fsync,
                               fsync_interval=spool_cfg.fsync_interval)
        sink_cfg = settings.sink
        self.sink = StoreSink(store, self.spool, batch_size=sink_cfg.batch_size,
                              batch_timeout=sink_cfg.batch_timeout,
                              queue_events=sink_cfg.queue_events,
                              retry_interval=sink_cfg.retry_interval, health=self.health)
        self.registries: dict[str, FileRegistry] = {}
        self.tailers: list[FileTailer] = []
        self.folders: list[FolderInput] = []
        self.captures: list[Any] = []  # CaptureInput, imported only when configured
        self.syslog: SyslogService | None = None
        self.reporter = HealthReporter(self.health, store, self.paths.health,
                                       interval=settings.health_interval)
        try:
            self._build()
        except BaseException:
            self._lock.close()
            raise

    def _build(self) -> None:
        for f in self.settings.files:
            self.tailers.append(self._tailer(f))
        for d in self.settings.folders:
            self.folders.append(self._folder(d))
        for c in self.settings.captures:
            self.captures.append(self._capture(c))
        servers = [self._server(s) for s in self.settings.syslog]
        if servers:
            self.syslog = SyslogService(servers)

    def _tailer(self, f: FileInputSettings) -> FileTailer:
        self.health.register(f.id, "file", ", ".join(f.paths))
        parser = resolve_parser(f.format)
        resume = None
        if parser is _zeek_parse():  # TSV headers: state per file, re-read on resume
            zeek_files = ZeekFileParser()
            parser, resume = zeek_files, zeek_files.resume
        processor = RecordProcessor(f.id, parser, self.sink, health=self.health)
        registry = FileRegistry(self.paths.registry / f"{f.id}.json",
                                flush_interval=self.settings.registry_flush)
        self.registries[f.id] = registry
        return FileTailer(f.id, f.paths, registry, processor, processor.reject,
                          exclude=f.exclude, start_at=f.start_at,
                          max_line_bytes=f.max_line_bytes, read_chunk_bytes=f.read_chunk_bytes,
                          scan_interval=f.scan_interval, poll_interval=f.poll_interval,
                          close_inactive=f.close_inactive, options=f.options,
                          health=self.health, on_resume=resume)

    def _folder(self, d: FolderInputSettings) -> FolderInput:
        self.health.register(d.id, "folder", ", ".join(d.paths))
        if d.format not in ("auto", "evtx", "pcap"):
            resolve_parser(d.format)  # an unknown name fails here, not per file
        registry = FileRegistry(self.paths.registry / f"{d.id}.json",
                                flush_interval=self.settings.registry_flush)
        self.registries[d.id] = registry
        return FolderInput(d.id, d.paths, registry, self.sink, fmt=d.format, exclude=d.exclude,
                           settle_seconds=d.settle_seconds, scan_interval=d.scan_interval,
                           health=self.health)

    def _capture(self, c: CaptureInputSettings) -> Any:
        from collectors.captures import CaptureInput

        self.health.register(c.id, "capture", f"{c.interface} {c.bpf_filter or ''}".strip())
        return CaptureInput(c, self.sink, health=self.health)

    def _server(self, s: SyslogInputSettings) -> SyslogServer:
        self.health.register(s.id, f"syslog-{s.protocol}", f"{s.protocol} {s.bind}:{s.port}")
        processor = RecordProcessor(s.id, resolve_parser(s.format), self.sink,
                                    health=self.health)
        ctx = server_ssl_context(s.tls.cert, s.tls.key, s.tls.client_ca) if s.tls else None
        return SyslogServer(s.id, s.protocol, s.bind, s.port, processor, ssl_context=ctx,
                            max_message_bytes=s.max_message_bytes, idle_timeout=s.idle_timeout,
                            max_connections=s.max_connections, options=s.options,
                            receive_buffer_bytes=s.receive_buffer_bytes, health=self.health)

    @property
    def inputs(self) -> int:
        return (len(self.tailers) + len(self.folders) + len(self.captures)
                + (len(self.syslog.servers) if self.syslog else 0))

    def start(self) -> CollectorRuntime:
        self.sink.start()
        if self.syslog is not None:
            self.syslog.start()
        for t in self.tailers:
            t.start()
        for d in self.folders:
            d.start()
        for c in self.captures:
            c.start()
        self.reporter.start()
        log.info("collectors running: %d input(s)", self.inputs)
        return self

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the sources, then store (or spool) and acknowledge everything
        they produced; True when nothing was left unacknowledged."""
        started = time.monotonic()
        if self.syslog is not None:
            self.syslog.stop()
        for t in self.tailers:
            t.stop()
        for d in self.folders:
            d.stop()
        for c in self.captures:
            c.stop()
        done = self.sink.stop(max(1.0, timeout - (time.monotonic() - started)))
        for input_id in self.settings.input_ids():  # the sink's last batch said "running"
            self.health.set(input_id, state="stopped")
        for reg in self.registries.values():
            try:
                reg.close()
            except Exception as exc:
                log.error("registry flush failed: %s", exc)
                done = False
        self.reporter.stop()
        self._lock.close()  # releases the flock
        log.info("collectors stopped (%s)", "clean" if done else "with unacknowledged records")
        return done

    def run_until(self, stop: threading.Event) -> bool:
        """Start, wait for ``stop`` (set by a signal handler), stop."""
        self.start()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            done = self.stop()
        return done
