"""The `ui` section of the configuration."""

from __future__ import annotations

from canhgac.settings import Section


class UiSettings(Section):
    """Settings of the ui room (extended as the room grows)."""
