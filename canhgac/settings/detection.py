"""The `detection` section of the configuration."""

from __future__ import annotations

from canhgac.settings import Section


class DetectionSettings(Section):
    """Settings of the detection room (extended as the room grows)."""
