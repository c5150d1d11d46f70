"""HTTP requests, paired with their responses when the capture has them.

tshark marks each response with the frame of its request
(``http.request_in``); a request waits for that response and becomes one
event with the status code, or is emitted alone after ``timeout`` seconds of
capture time or at the end of the capture.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from collectors.pcap.events import packet_event
from collectors.pcap.fields import AGGREGATOR, COL
from collectors.pcap.flows import Flow
from collectors.pcap.packet import Packet

_METHOD, _HOST, _URI, _UA, _VERSION = (COL["http.request.method"], COL["http.host"],
                                       COL["http.request.uri"], COL["http.user_agent"],
                                       COL["http.request.version"])
_CODE, _REQ_IN = COL["http.response.code"], COL["http.request_in"]


def _split(text: str) -> list[str]:
    return text.split(AGGREGATOR) if text else []


def _at(values: list[str], i: int) -> str | None:
    return values[i] if i < len(values) and values[i] else None


def request_fields(method: str, host: str | None, uri: str | None, ua: str | None,
                   version: str | None) -> dict[str, Any]:
    """ECS ``http.*``/``url.*``/``user_agent.*`` of one request."""
    fields: dict[str, Any] = {"http.request.method": method, "url.original": uri,
                              "url.domain": host.rsplit(":", 1)[0] if host and
                              not host.startswith("[") else host,
                              "user_agent.original": ua}
    if version and version.upper().startswith("HTTP/"):
        fields["http.version"] = version[5:]
    if uri:
        try:
            parts = urlsplit(uri)
        except ValueError:
            parts = None
        if parts is not None:
            fields["url.path"] = parts.path or None
            fields["url.query"] = parts.query or None
    return fields


class HttpTracker:
    """Collects requests and pairs them with responses."""

    def __init__(self, source: str, timeout: float = 60.0, max_pending: int = 50_000) -> None:
        self.source = source
        self.timeout = timeout
        self.max_pending = max_pending
        # (request frame, index in frame) -> (packet, flow, request fields)
        self._pending: OrderedDict[tuple[int, int], tuple[Packet, Flow, dict[str, Any]]] = (
            OrderedDict())

    def observe(self, cols: list[str], p: Packet, flow: Flow, out: list[dict[str, Any]]) -> None:
        """Take the HTTP requests and responses in a row."""
        methods = _split(cols[_METHOD])
        if methods:
            hosts, uris, uas, versions = (_split(cols[_HOST]), _split(cols[_URI]),
                                          _split(cols[_UA]), _split(cols[_VERSION]))
            for i, method in enumerate(methods):
                fields = request_fields(method, _at(hosts, i), _at(uris, i), _at(uas, i),
                                        _at(versions, i))
                fields["_index"] = i
                self._pending[(p.frame, i)] = (p, flow, fields)
            while len(self._pending) > self.max_pending:
                self._emit(self._pending.popitem(last=False)[1], None, out)
        codes = _split(cols[_CODE])
        if codes:
            seen: dict[int, int] = {}
            for code, req_in in zip(codes, _split(cols[_REQ_IN]), strict=False):
                frame = int(req_in) if req_in.isdigit() else -1
                n = seen[frame] = seen.get(frame, -1) + 1
                entry = self._pending.pop((frame, n), None)
                if entry is not None:
                    self._emit(entry, int(code) if code.isdigit() else None, out)

    def expire(self, now: float, out: list[dict[str, Any]]) -> None:
        while self._pending:
            entry = next(iter(self._pending.values()))
            if now - entry[0].ts < self.timeout:
                break
            self._emit(self._pending.popitem(last=False)[1], None, out)

    def flush(self, out: list[dict[str, Any]]) -> None:
        while self._pending:
            self._emit(self._pending.popitem(last=False)[1], None, out)

    def _emit(self, entry: tuple[Packet, Flow, dict[str, Any]], status: int | None,
              out: list[dict[str, Any]]) -> None:
        p, flow, fields = entry
        index = fields.pop("_index", 0)
        # Pipelined requests share a frame: the index keeps their ids apart.
        out.append(packet_event(p, flow, self.source, kind=f"http:{index}" if index else "http",
                                dataset="pcap.http",
                                protocol="http", category=["network", "web"],
                                event_type=["protocol", "access"],
                                fields={**fields, "http.response.status_code": status}))
