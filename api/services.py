"""The other rooms' services the API calls, each found at start-up if present.

The detection room's modules are optional at import time so the API runs
(and answers 503 with a clear code for what is missing) while those rooms
are still being built.
"""

from __future__ import annotations

import importlib
from typing import Any

from store.base import Store


def optional(module: str) -> Any | None:
    """The module, or None when it (not one of its dependencies) is absent."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise


def make_triage(store: Store) -> Any | None:
    """``detection.triage.Triage`` on this store, or None when not installed."""
    mod = optional("detection.triage")
    return mod.Triage(store) if mod is not None else None
