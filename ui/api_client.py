"""The dashboard's only way to data: the Canhgac API over HTTP.

One ``ApiClient`` per browser session (kept in ``st.session_state``).  It logs
in, refreshes the access token quietly before it expires (and once more on a
401), and turns HTTP failures into typed errors the pages show.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import httpx

V1 = "/api/v1"
REFRESH_MARGIN = 30.0  # seconds before expiry when the token is renewed


class ApiError(Exception):
    """The API answered with an error (or could not be reached)."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class NotAvailable(ApiError):
    """The endpoint is missing (404 on the path) or its service is not installed (503)."""


class AuthError(ApiError):
    """Credentials refused, or the session ended; the user must log in again."""


class Forbidden(ApiError):
    """The caller's roles do not allow this."""


def _error(resp: httpx.Response) -> ApiError:
    try:
        body = resp.json().get("error") or {}
    except (ValueError, AttributeError):
        body = {}
    message = str(body.get("message") or resp.text[:200] or resp.reason_phrase)
    code = str(body.get("code") or "")
    kind: type[ApiError] = ApiError
    if resp.status_code == 401:
        kind = AuthError
    elif resp.status_code == 403:
        kind = Forbidden
    elif resp.status_code in (503, 405) or (resp.status_code == 404 and message == "Not Found"):
        kind = NotAvailable  # no such route ("Not Found" is the router's word) or no service
    return kind(message, resp.status_code, code)


class ApiClient:
    """A logged-in (or not yet) conversation with the API."""

    def __init__(self, base_url: str, *, timeout: float = 15.0,
                 clock: Callable[[], float] = time.monotonic,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._clock = clock
        self.access: str | None = None
        self.refresh_token: str | None = None
        self.expires_at = 0.0
        self.user: str | None = None
        self.roles: list[str] = []

    # -- session ------------------------------------------------------------------
    @property
    def logged_in(self) -> bool:
        return self.access is not None

    def _take(self, pair: dict[str, Any]) -> None:
        self.access = pair["access_token"]
        self.refresh_token = pair["refresh_token"]
        self.expires_at = self._clock() + float(pair.get("expires_in") or 0)
        self.roles = list(pair.get("roles") or [])

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Exchange credentials for tokens; returns who-am-I."""
        resp = self._send("POST", f"{V1}/auth/login",
                          json={"username": username, "password": password}, auth=False)
        self._take(resp)
        me = self.get("/auth/me")
        self.user = str(me.get("name") or username)
        self.roles = list(me.get("roles") or self.roles)
        return me

    def refresh(self) -> None:
        """Renew the access token with the refresh token (rotated by the API)."""
        if not self.refresh_token:
            raise AuthError("not logged in", 401, "no_session")
        try:
            pair = self._send("POST", f"{V1}/auth/refresh",
                              json={"refresh_token": self.refresh_token}, auth=False)
        except AuthError:
            self._forget()
            raise
        self._take(pair)

    def logout(self) -> None:
        """End the session on the API (best effort) and forget the tokens."""
        if self.access:
            with contextlib.suppress(ApiError):  # forgotten locally either way
                self._send("POST", f"{V1}/auth/logout", auth=True)
        self._forget()

    def _forget(self) -> None:
        self.access = self.refresh_token = self.user = None
        self.roles = []
        self.expires_at = 0.0

    # -- requests -----------------------------------------------------------------
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("POST", path, json=body or {})

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """An authenticated call under /api/v1; refreshes quietly when needed."""
        if self.access and self.refresh_token and self._clock() >= self.expires_at - REFRESH_MARGIN:
            self.refresh()
        try:
            return self._send(method, V1 + path, auth=True, **kw)
        except AuthError:
            if not self.refresh_token:
                raise
            self.refresh()
            return self._send(method, V1 + path, auth=True, **kw)

    def _send(self, method: str, url: str, *, auth: bool, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.access}"} if auth and self.access else {}
        params = kw.pop("params", None)
        if params:
            params = {k: v for k, v in params.items() if v not in (None, "", [])}
        try:
            resp = self._http.request(method, url, headers=headers, params=params, **kw)
        except httpx.HTTPError as exc:
            raise ApiError(f"API unreachable at {self.base_url}: {exc}", 0, "unreachable") from None
        if resp.status_code >= 400:
            raise _error(resp)
        return resp.json() if resp.content else {}

    def close(self) -> None:
        self._http.close()
