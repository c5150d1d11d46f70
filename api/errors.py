"""Errors of the API and the one JSON shape every error takes.

ApiError
 ├── BadRequest        400 a well-formed request we cannot serve as asked
 ├── Unauthenticated   401 no credentials, or credentials we do not accept
 ├── Forbidden         403 authenticated, but the role may not do this
 ├── NotFoundError     404 no such document
 ├── Conflict          409 the document changed meanwhile
 ├── TooManyRequests   429 rate limited (carries ``retry_after``)
 └── Unavailable       503 a part of Canhgac this needs is not there

Every error leaves the service as
``{"error": {"code": "...", "message": "...", "details": ...}}``; store
errors are converted at this boundary (``install``), nothing else leaks.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from store.errors import (
    ConflictError,
    InvalidDocument,
    NotFound,
    QueryError,
    StoreError,
    StoreUnavailable,
)

log = logging.getLogger("canhgac.api")


class ApiError(Exception):
    """Root of the errors the API raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}
        if code:
            self.code = code


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"

    def __init__(self, message: str = "authentication required", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kw)


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFoundError(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int, **kw: Any) -> None:
        kw.setdefault("headers", {"Retry-After": str(max(1, retry_after))})
        super().__init__(message, **kw)


class Unavailable(ApiError):
    status, code = 503, "unavailable"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited"}

# Store errors → (status, code); the order matters (most specific first).
_STORE_ERRORS: list[tuple[type[StoreError], int, str]] = [
    (NotFound, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (QueryError, 400, "invalid_query"),
    (InvalidDocument, 400, "invalid_document"),
    (StoreUnavailable, 503, "store_unavailable"),
]


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the offending input (it may be huge or binary)."""
    out = []
    for err in exc.errors():
        out.append({"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg")),
                    "type": str(err.get("type"))})
    return out


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", "the request is not valid",
                              _validation_details(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail), None,
                              getattr(exc, "headers", None))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        for cls, status, code in _STORE_ERRORS:
            if isinstance(exc, cls):
                return error_response(status, code, str(exc) if status < 500 else
                                      "the store cannot be reached; retry later")
        log.error("store error: %s", exc)
        return error_response(500, "store_error", "the store failed to answer")

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "internal error")
