"""Shared fixtures.

``store`` is parametrised over every backend this run can reach: the embedded
SQLite (always, in a temporary directory) and the live OpenSearch node that
``make test`` starts (``CANHGAC_TEST_OPENSEARCH_URL``), plus Elasticsearch when
``CANHGAC_TEST_ES_URL`` points at one.  Test ids name the backend.  Nothing is
mocked: each test gets a fresh SQLite file or a fresh engine namespace.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.base import Store

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OPENSEARCH_URL = os.environ.get("CANHGAC_TEST_OPENSEARCH_URL")
ES_URL = os.environ.get("CANHGAC_TEST_ES_URL")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("opensearch", id="opensearch", marks=[
        pytest.mark.engine,
        pytest.mark.skipif(not OPENSEARCH_URL,
                           reason="CANHGAC_TEST_OPENSEARCH_URL not set: no live OpenSearch node "
                                  "(make test starts one)")]),
    pytest.param("elasticsearch", id="elasticsearch", marks=[
        pytest.mark.engine,
        pytest.mark.skipif(not ES_URL, reason="CANHGAC_TEST_ES_URL not set: no Elasticsearch")]),
]


def make_store(backend: str, tmp_path: Path) -> Store:
    if backend == "sqlite":
        from store.sqlite import SQLiteStore

        return SQLiteStore(tmp_path / "canhgac.db")
    from store.engine import EngineStore

    url = OPENSEARCH_URL if backend == "opensearch" else ES_URL
    assert url
    namespace = "t" + uuid.uuid4().hex[:12]
    return EngineStore(url, product=backend, namespace=namespace, verify_certs=False,
                       timeout=30.0)


def drop(store: Store) -> None:
    dropper = getattr(store, "drop_namespace", None)
    if dropper is not None:
        dropper()
    store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    st = make_store(backend, tmp_path)
    st.init()
    try:
        yield st
    finally:
        drop(st)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: extended checks need the shared sample data")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _own_sigma_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test (and every process a test starts) loads and converts Sigma
    rules into caches of this session's own, never into the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CANHGAC_SIGMA_CACHE", str(tmp_path_factory.mktemp("sigma-cache")))
    yield
    mp.undo()
