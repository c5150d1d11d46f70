"""The Canhgac dashboard (``streamlit run ui/app.py``; ``canhgac ui`` does it).

It talks to the API only.  Login first; the menu shows the pages the user's
roles may open; Vietnamese by default, English on the sidebar switch.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

# Imported whole before any page runs: Plotly and st.dataframe load pandas
# lazily, and a rerun that interrupts a page mid-import left other pages seeing
# a half-initialised module ("partially initialized module 'pandas'").
import pandas  # noqa: E402, F401
import streamlit as st  # noqa: E402

from ui import charts  # noqa: E402
from ui.api_client import ApiClient, ApiError, AuthError  # noqa: E402
from ui.auth_roles import home_page, pages_for  # noqa: E402
from ui.i18n import LANGUAGES, set_language, t  # noqa: E402
from ui.nav import render_page  # noqa: E402

API_URL_ENV = "CANHGAC_UI__API_URL"
LARGE_CSS = "<style>html, body, [class*='css'], .stMarkdown p {font-size: 1.45rem !important}</style>"


def _settings() -> dict[str, object]:
    """The ui section of the configuration (the API URL may come from the environment)."""
    from canhgac.config import ConfigError, load

    try:
        ui = load().ui
        return {"api_url": ui.api_url, "language": ui.language, "refresh": ui.refresh_seconds,
                "timeout": ui.request_timeout, "large": ui.large_font}
    except ConfigError:  # a broken config file must not hide the login page
        return {"api_url": os.environ.get(API_URL_ENV, "http://127.0.0.1:8000"),
                "language": "vi", "refresh": 60, "timeout": 15.0, "large": False}


def _client(cfg: dict[str, object]) -> ApiClient:
    """One API client per browser session."""
    if "client" not in st.session_state:
        st.session_state["client"] = ApiClient(str(cfg["api_url"]),
                                               timeout=float(cfg["timeout"]))  # type: ignore[arg-type]
    return st.session_state["client"]


def _sidebar_prefs(cfg: dict[str, object]) -> None:
    st.session_state.setdefault("lang", cfg["language"])
    st.session_state.setdefault("large", cfg["large"])
    st.session_state.setdefault("refresh_seconds", cfg["refresh"])
    lang = st.sidebar.selectbox("Ngôn ngữ / Language", LANGUAGES, key="lang",
                                format_func=lambda code: {"vi": "Tiếng Việt", "en": "English"}[code])
    set_language(lang)
    large = st.sidebar.toggle(t("large_font"), key="large")
    charts.set_large(large)
    if large:
        st.markdown(LARGE_CSS, unsafe_allow_html=True)


def _login(client: ApiClient) -> None:
    st.title(t("app_title"))
    if st.session_state.pop("session_expired", False):
        st.warning(t("session_expired"))
    with st.form("login"):
        user = st.text_input(t("username"), key="login_user")
        password = st.text_input(t("password"), type="password", key="login_password")
        if st.form_submit_button(t("login")):
            try:
                client.login(user, password)
            except AuthError:
                st.error(t("login_failed"))
            except ApiError as exc:
                st.error(t("api_error", message=str(exc)))
            else:
                st.session_state.pop("page", None)
                st.rerun()


def main() -> None:
    st.set_page_config(page_title="Canhgac", page_icon="🛡️", layout="wide")
    cfg = _settings()
    _sidebar_prefs(cfg)
    client = _client(cfg)
    if st.session_state.pop("session_expired", False) or not client.logged_in:
        if client.logged_in:
            client.logout()
        _login(client)
        return
    pages = pages_for(client.roles)
    if not pages:
        st.error(t("no_pages"))
    nxt = st.session_state.pop("page_next", None)
    if nxt in pages:
        st.session_state["page"] = nxt
    if st.session_state.get("page") not in pages:
        st.session_state["page"] = home_page(client.roles)
    st.sidebar.markdown(f"**{t('app_title')}**")
    st.sidebar.caption(t("signed_in_as", user=client.user or "", roles=", ".join(
        t(f"role_{r}") for r in client.roles)))
    page = st.sidebar.radio(t("menu"), pages, key="page", format_func=lambda p: t(f"nav_{p}"))
    st.session_state["auto_refresh"] = st.sidebar.toggle(t("auto_refresh"), value=True)
    if st.sidebar.button(t("logout"), key="logout"):
        client.logout()
        st.rerun()
    if page:
        render_page(page, client)


main()
