"""The dashboard's API client against a live API: login, quiet refresh, logout, errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.stack import PASSWORD, PEOPLE
from ui.api_client import ApiClient, ApiError, AuthError, Forbidden, NotAvailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_login_me_and_roles(live_api: dict[str, Any]) -> None:
    c = ApiClient(live_api["url"])
    me = c.login(PEOPLE["soc_analyst"], PASSWORD)
    assert c.logged_in and c.user == PEOPLE["soc_analyst"]
    assert c.roles == ["soc_analyst"] and me["domains"] == ["security"]
    c.close()


def test_bad_password_is_an_auth_error(live_api: dict[str, Any]) -> None:
    c = ApiClient(live_api["url"])
    with pytest.raises(AuthError):
        c.login(PEOPLE["leader"], "không đúng")
    assert not c.logged_in


def test_token_is_refreshed_quietly_before_it_expires(live_api: dict[str, Any]) -> None:
    clock = Clock()
    c = ApiClient(live_api["url"], clock=clock)
    c.login(PEOPLE["leader"], PASSWORD)
    first_access, first_refresh = c.access, c.refresh_token
    clock.now = c.expires_at - 1  # inside the margin: the next call refreshes first
    assert c.get("/summary")["open_incidents"]["total"] >= 1
    assert c.access != first_access and c.refresh_token != first_refresh


def test_a_rejected_token_is_refreshed_once(live_api: dict[str, Any]) -> None:
    c = ApiClient(live_api["url"])
    c.login(PEOPLE["leader"], PASSWORD)
    c.access = "not-a-token"
    assert c.get("/auth/me")["name"] == PEOPLE["leader"]


def test_logout_ends_the_session(live_api: dict[str, Any]) -> None:
    c = ApiClient(live_api["url"])
    c.login(PEOPLE["comms"], PASSWORD)
    access, refresh = c.access, c.refresh_token
    c.logout()
    assert not c.logged_in and c.roles == []
    other = ApiClient(live_api["url"])
    other.access, other.refresh_token = access, refresh
    with pytest.raises(AuthError):
        other.get("/auth/me")


def test_errors_are_typed(live_api: dict[str, Any]) -> None:
    c = ApiClient(live_api["url"])
    c.login(PEOPLE["comms"], PASSWORD)
    with pytest.raises(Forbidden):
        c.get("/summary")
    with pytest.raises(NotAvailable):
        c.get("/no-such-endpoint")
    c.login(PEOPLE["soc_analyst"], PASSWORD)
    with pytest.raises(ApiError) as err:
        c.get("/incidents/inc-missing")
    assert err.value.status == 404 and not isinstance(err.value, NotAvailable)


def test_unreachable_api(tmp_path: Any) -> None:
    from tests.ui.stack import free_port

    c = ApiClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ApiError) as err:
        c.login("x", "y")
    assert err.value.code == "unreachable"
