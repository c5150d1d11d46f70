"""Liveness, readiness and Prometheus metrics (public: they reveal no data)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.context import ctx
from store.errors import StoreError


def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


def readyz(request: Request) -> JSONResponse:
    """The store answers; 503 with the same error shape when it does not."""
    c = ctx(request)
    try:
        c.store.count("users")
    except StoreError:
        return JSONResponse({"error": {"code": "store_unavailable",
                                       "message": "the store cannot be reached",
                                       "details": {"backend": c.store.backend}}},
                            status_code=503)
    return JSONResponse({"status": "ready", "store": c.store.backend})


def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's request metrics."""
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
