"""The `collectors` section of the configuration."""

from __future__ import annotations

from canhgac.settings import Section


class CollectorsSettings(Section):
    """Settings of the collectors room (extended as the room grows)."""
