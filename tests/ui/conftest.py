"""Fixtures of the UI tests: one live, seeded API per run (a real
``canhgac serve`` subprocess on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.stack import api_server, seed


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("ui-api")
    ids = seed(Path(data))
    with api_server(Path(data)) as url:
        yield {"url": url, "data_dir": Path(data), **ids}
