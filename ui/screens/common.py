"""What every page shares: calling the API and showing its failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ui.api_client import ApiError, AuthError, Forbidden, NotAvailable
from ui.i18n import t

MISSING_KEY = "missing_endpoints"


def fetch(call: Callable[[], Any], endpoint: str) -> Any | None:
    """Run one API call; on failure show why (in the user's language) and return None."""
    try:
        return call()
    except NotAvailable:
        st.info(t("not_available", endpoint=endpoint))
        st.session_state.setdefault(MISSING_KEY, set()).add(endpoint)
    except Forbidden:
        st.warning(t("forbidden", endpoint=endpoint))
    except AuthError:
        st.session_state["session_expired"] = True
        st.warning(t("session_expired"))
    except ApiError as exc:
        st.error(t("api_error", message=str(exc)))
    return None


def act(call: Callable[[], Any], done: str) -> None:
    """Run one API action; on success leave ``done`` for the next run and rerun the page."""
    try:
        call()
    except ApiError as exc:
        st.error(t("action_failed", message=str(exc)))
        return
    st.session_state["flash"] = done
    st.rerun()


def flash() -> None:
    """Show (once) the message the last action left."""
    msg = st.session_state.pop("flash", None)
    if msg:
        st.success(msg)


def can(roles: list[str], *allowed: str) -> bool:
    return "admin" in roles or any(r in roles for r in allowed)
