"""A small threaded HTTP server on 127.0.0.1 (ephemeral port) for fixture sites.

Routes map a path (with its query string) to a ``Route``.  It answers
conditional GETs (ETag / Last-Modified → 304), can be slow, and counts hits,
so tests can check what the crawler fetched.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0


class FixtureServer:
    """``with FixtureServer() as srv: srv.routes[...] = Route(...)``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # A client that gives up (timeouts, size caps) is part of the tests.
        self.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.hits[h.path] += 1
            self.user_agents.add(h.headers.get("User-Agent", ""))
        route = self.routes.get(h.path)
        if route is None:
            h.send_response(404)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "9")
            h.end_headers()
            h.wfile.write(b"not found")
            return
        if route.delay:
            time.sleep(route.delay)
        inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
        if (route.etag and inm == route.etag) or (
                route.last_modified and not inm and ims == route.last_modified):
            with self._lock:
                self.not_modified[h.path] += 1
            h.send_response(304)
            h.end_headers()
            return
        h.send_response(route.status)
        h.send_header("Content-Type", route.content_type)
        h.send_header("Content-Length", str(len(route.body)))
        if route.etag:
            h.send_header("ETag", route.etag)
        if route.last_modified:
            h.send_header("Last-Modified", route.last_modified)
        for k, v in route.headers.items():
            h.send_header(k, v)
        h.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            h.wfile.write(route.body)
