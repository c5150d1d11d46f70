"""The `nlp` section of the configuration."""

from __future__ import annotations

from canhgac.settings import Section


class NlpSettings(Section):
    """Settings of the nlp room (extended as the room grows)."""
