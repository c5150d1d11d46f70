"""The `collectors` section of the configuration: the long-running inputs
(``canhgac collect run``: tailed files, syslog listeners, folders of whole
files read once, live captures) and the machinery that carries their records to the
store (sink, disk spool, file registry, health reports).

Example::

    collectors:
      files:
        - id: auth
          paths: ["/var/log/auth.log*"]
          format: linux_auth
      syslog:
        - id: fw
          protocol: udp
          port: 5514
          format: syslog
      folders:
        - id: pcaps
          paths: ["/srv/captures/*.pcap*"]
          format: pcap
      captures:
        - id: lan
          interface: eth1
          bpf_filter: "not port 9200"
      spool:
        max_bytes: 1073741824

Every path left empty lands under ``<data_dir>/collectors/`` (see
``CollectorPaths``).  Input ids name registries and health reports: keep them
stable once an input has run (changing one re-reads its files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from canhgac.settings import Section

INPUT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class FileInputSettings(Section):
    """Files followed like ``tail -F``, one registry per input."""

    id: str = Field(pattern=INPUT_ID, description="stable input id (names the registry)")
    paths: list[str] = Field(min_length=1, description="files or glob patterns")
    exclude: list[str] = Field(default_factory=list, description="glob patterns to skip")
    format: str = Field(description="parser name, or 'package.module:callable'")
    start_at: Literal["beginning", "end"] = Field(
        default="beginning", description="where a file never seen before is read from")
    max_line_bytes: int = Field(default=64 * 1024, ge=256,
                                description="longer lines go to dead letters, truncated")
    read_chunk_bytes: int = Field(default=256 * 1024, ge=4096)
    scan_interval: float = Field(default=5.0, gt=0, description="seconds between glob scans")
    poll_interval: float = Field(default=0.25, gt=0, description="seconds between reads at EOF")
    close_inactive: float = Field(default=300.0, gt=0,
                                  description="close a file idle (and renamed away) this long")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="hints passed to the parser (RecordContext.extra)")


    @model_validator(mode="after")
    def _line_formats_only(self) -> FileInputSettings:
        if self.format.lower() in WHOLE_FILE_FORMATS:
            raise ValueError(f"collectors.files[{self.id}]: {self.format} files are not read "
                             f"line by line; list them under collectors.folders")
        return self


WHOLE_FILE_FORMATS = ("evtx", "pcap")


class FolderInputSettings(Section):
    """Files read whole, once each, when they appear and stop growing:
    packet captures, EVTX, JSON-array exports, or any format ``canhgac
    ingest`` reads.  One registry per input remembers what was done."""

    id: str = Field(pattern=INPUT_ID, description="stable input id (names the registry)")
    paths: list[str] = Field(min_length=1, description="files or glob patterns")
    exclude: list[str] = Field(default_factory=list, description="glob patterns to skip")
    format: str = Field(default="auto",
                        description="auto (detected per file), pcap, evtx, or a parser name")
    settle_seconds: float = Field(
        default=5.0, ge=0, description="size and mtime unchanged this long = done writing")
    scan_interval: float = Field(default=5.0, gt=0, description="seconds between glob scans")


class CaptureInputSettings(Section):
    """Live capture from an interface (tshark/dumpcap): flow records, DNS,
    HTTP, TLS ClientHellos.  Needs root or dumpcap's capabilities."""

    id: str = Field(pattern=INPUT_ID)
    interface: str = Field(min_length=1, description="capture interface, e.g. eth0")
    bpf_filter: str | None = Field(default=None,
                                   description="BPF filter, e.g. 'not port 9200'")
    tcp_idle: float = Field(default=120.0, gt=0, description="TCP flow idle timeout, s")
    idle: float = Field(default=30.0, gt=0, description="UDP/ICMP/other flow idle timeout, s")
    active: float = Field(default=300.0, gt=0,
                          description="long flows are cut into records this long, s")
    close_linger: float = Field(default=2.0, ge=0,
                                description="seconds after FIN/RST before a flow is emitted")
    max_flows: int = Field(default=200_000, ge=100,
                           description="open flows kept; the oldest is emitted beyond it")
    tick_interval: float = Field(default=1.0, gt=0,
                                 description="how often flows age when no packet arrives")
    queue_packets: int = Field(default=10_000, ge=100,
                               description="rows buffered from tshark; full → tshark waits")
    restart_interval: float = Field(default=10.0, gt=0,
                                    description="seconds before restarting a failed capture")


class TlsSettings(Section):
    """Server-side TLS for a TCP syslog listener."""

    cert: Path
    key: Path
    client_ca: Path | None = Field(default=None, description="require client certificates")


class SyslogInputSettings(Section):
    """One syslog listener (UDP or TCP, optional TLS on TCP)."""

    id: str = Field(pattern=INPUT_ID)
    protocol: Literal["udp", "tcp"] = "udp"
    port: int = Field(ge=0, le=65535)
    bind: str = Field(default="127.0.0.1",
                      description="listen address; 0.0.0.0 must be asked for explicitly")
    format: str = Field(default="syslog", description="parser name, or 'package.module:callable'")
    tls: TlsSettings | None = None
    max_message_bytes: int = Field(default=64 * 1024, ge=256)
    max_connections: int = Field(default=1024, ge=1)
    idle_timeout: float = Field(default=600.0, gt=0, description="close silent TCP peers")
    receive_buffer_bytes: int | None = Field(
        default=8 * 1024**2, ge=4096, description="UDP socket buffer (capped by rmem_max)")
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _tls_on_tcp_only(self) -> SyslogInputSettings:
        if self.tls is not None and self.protocol != "tcp":
            raise ValueError(f"collectors.syslog[{self.id}]: tls needs protocol tcp")
        return self


class SinkSettings(Section):
    """The batching writer to the store (buffers are sized in events)."""

    batch_size: int = Field(default=500, ge=1, le=10_000)
    batch_timeout: float = Field(default=1.0, gt=0, description="max seconds an event waits")
    queue_events: int = Field(default=5_000, ge=1,
                              description="bounded buffer; full → producers block")
    retry_interval: float = Field(default=5.0, gt=0,
                                  description="seconds between tries while the store is down")


class SpoolSettings(Section):
    """The on-disk spool used while the store is unreachable."""

    dir: Path | None = Field(default=None, description="default <data_dir>/collectors/spool")
    max_bytes: int = Field(default=1024**3, ge=1024)
    segment_bytes: int = Field(default=16 * 1024**2, ge=1024)
    fsync: Literal["always", "interval", "never"] = Field(
        default="always", description="'always': an ack means on disk; others trade safety")
    fsync_interval: float = Field(default=0.5, gt=0)


class CollectorsSettings(Section):
    """Settings of the collectors room."""

    files: list[FileInputSettings] = Field(default_factory=list)
    syslog: list[SyslogInputSettings] = Field(default_factory=list)
    folders: list[FolderInputSettings] = Field(default_factory=list)
    captures: list[CaptureInputSettings] = Field(default_factory=list)
    sink: SinkSettings = SinkSettings()
    spool: SpoolSettings = SpoolSettings()
    registry_dir: Path | None = Field(default=None,
                                      description="default <data_dir>/collectors/registry")
    registry_flush: float = Field(default=1.0, ge=0,
                                  description="seconds between registry writes; 0 = every ack")
    health_interval: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _unique_ids(self) -> CollectorsSettings:
        seen: set[str] = set()
        for inp in self.inputs():
            if inp.id in seen:
                raise ValueError(f"collectors: input id {inp.id!r} is used twice")
            seen.add(inp.id)
        ports: set[tuple[str, str, int]] = set()
        for s in self.syslog:
            key = (s.protocol, s.bind, s.port)
            if s.port and key in ports:
                raise ValueError(f"collectors.syslog: {s.protocol} {s.bind}:{s.port} twice")
            ports.add(key)
        return self

    def inputs(self) -> list[FileInputSettings | SyslogInputSettings | FolderInputSettings
                              | CaptureInputSettings]:
        """Every configured input, of every kind."""
        return [*self.files, *self.syslog, *self.folders, *self.captures]

    def input_ids(self) -> list[str]:
        return [i.id for i in self.inputs()]

    def paths(self, data_dir: Path) -> CollectorPaths:
        """Where this section's state lives, defaults under ``data_dir``."""
        base = Path(data_dir) / "collectors"
        return CollectorPaths(
            registry=self.registry_dir or base / "registry",
            spool=self.spool.dir or base / "spool",
            health=base / "health.json",
        )


@dataclass(frozen=True)
class CollectorPaths:
    """Resolved state locations of the collectors."""

    registry: Path
    spool: Path
    health: Path
