"""Errors of the NLP room, one root so callers can catch them together.

    NlpError
    ├── ResourceError      a gazetteer / watch list / training file is malformed
    ├── ModelError         a shipped model is missing or cannot be loaded
    └── InputError         an article or input line cannot be processed
"""

from __future__ import annotations


class NlpError(Exception):
    """Root of every error raised by ``detection.nlp``."""


class ResourceError(NlpError):
    """A resource file under ``rules/nlp/`` is malformed; the message names file and entry."""


class ModelError(NlpError):
    """A model directory is missing or unreadable."""


class InputError(NlpError):
    """An article or an input line cannot be processed (caller dead-letters it)."""
