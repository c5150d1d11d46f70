"""Shared request and response models: pages, list parameters, messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Bodies and queries reject unknown keys (a typo is a 422, not ignored)."""

    model_config = ConfigDict(extra="forbid")


class ListQuery(Strict):
    """What every list accepts: full text, a time window, the page."""

    q: str | None = Field(default=None, max_length=500,
                          description="full text; words, case and Vietnamese diacritics ignored",
                          examples=["cần thơ ngập"])
    since: datetime | None = Field(default=None, description="from this instant (inclusive)",
                                   examples=["2026-11-25T00:00:00Z"])
    until: datetime | None = Field(default=None, description="until this instant (exclusive)")
    order: Literal["asc", "desc"] = "desc"
    size: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=4096,
                               description="next_cursor of the previous page")


class Page(BaseModel):
    """One page of documents; pass ``next_cursor`` back as ``cursor``."""

    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None = None


class Message(BaseModel):
    ok: bool = True
    message: str = ""


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["incident 42 does not exist"])
    details: Any = None


class ErrorBody(BaseModel):
    """The shape of every error response."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in ((400, "bad request"), (401, "not authenticated"),
                       (403, "role not allowed"), (404, "not found"), (422, "invalid input"))
}
