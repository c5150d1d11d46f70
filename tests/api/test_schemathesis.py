"""Property-based testing of the whole OpenAPI schema (schemathesis): no
generated input, valid or not, makes any route answer 5xx.  Bounded: a few
examples per operation, SQLite only, as an administrator (every route open)."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, Phase, given, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from starlette.testclient import TestClient

from api.app import create_app
from api.auth import accounts
from store.sqlite import SQLiteStore
from tests.api.conftest import PASSWORD, make_settings, token_for

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

_state: dict = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("schemathesis")
    store = SQLiteStore(tmp / "st.db")
    store.init()
    accounts.create_user(store, "st-admin", PASSWORD, ["admin"])
    _state["headers"] = {"Authorization": f"Bearer {token_for(store, 'st-admin')}"}
    app = create_app(make_settings(tmp), store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = TestClient(app, raise_server_exceptions=False)
    with client:  # runs the lifespan: app.state.ctx stays set for schemathesis' calls
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    store.close()


def test_no_server_errors(api_schema) -> None:
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def check(case) -> None:
            response = case.call(headers=_state["headers"])
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}, response.text[:300]

        check()
    assert operations >= 45
