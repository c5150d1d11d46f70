"""The `api` section of the configuration."""

from __future__ import annotations

from canhgac.settings import Section


class ApiSettings(Section):
    """Settings of the api room (extended as the room grows)."""
