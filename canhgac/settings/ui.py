"""The `ui` section of the configuration (the Streamlit dashboard)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from canhgac.settings import Section


class UiSettings(Section):
    """Where the dashboard listens, which API it talks to, how it looks."""

    host: str = "127.0.0.1"
    port: int = Field(default=8501, ge=1, le=65535)
    api_url: str = "http://127.0.0.1:8000"
    language: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    refresh_seconds: int = Field(default=60, ge=0, le=3600,
                                 description="overview auto-refresh; 0 turns it off")
    request_timeout: float = Field(default=15.0, gt=0, le=300)
    large_font: bool = False
