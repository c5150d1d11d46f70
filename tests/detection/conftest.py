"""Detection tests convert rules into a conversion cache of their own (one per
test session), never into the user's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _own_conversion_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setenv("CANHGAC_SIGMA_CACHE", str(tmp_path_factory.mktemp("sigma-cache")))
    yield
    mp.undo()
