"""The page registry: key → render function (imported when opened)."""

from __future__ import annotations

import importlib

from ui.api_client import ApiClient

MODULES = {"overview": "ui.screens.overview", "alerts": "ui.screens.alerts",
           "search": "ui.screens.search", "monitoring": "ui.screens.monitoring",
           "rules": "ui.screens.rules", "sources": "ui.screens.sources"}


def render_page(key: str, client: ApiClient) -> None:
    importlib.import_module(MODULES[key]).render(client)
