"""``/docs`` served without the internet: Swagger UI's script, style and icon
from the ``fastapi-offline`` package's copy, under ``/docs/assets``.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, which an operations
centre cut off from the internet cannot reach (a blank page).  We only take
the package's files (Swagger UI 5, which reads OpenAPI 3.1) and keep FastAPI's
page builder; without the package ``/docs`` stays FastAPI's CDN page.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS = "/docs"
ASSETS = "/docs/assets"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")


def local_assets() -> Path | None:
    """The folder holding Swagger UI's files, or None when the package is absent."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if all((folder / f).is_file() for f in ASSET_FILES) else None


def install(app: FastAPI, folder: Path) -> None:
    """``/docs`` and its OAuth2 redirect page, with assets from ``folder``."""
    openapi_url = app.openapi_url or "/openapi.json"
    redirect = app.swagger_ui_oauth2_redirect_url or f"{DOCS}/oauth2-redirect"

    def swagger_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}", title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{redirect}",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters)

    def oauth2_redirect(_request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.mount(ASSETS, StaticFiles(directory=folder), name="docs-assets")
    app.add_route(DOCS, swagger_page, include_in_schema=False)
    app.add_route(redirect, oauth2_redirect, include_in_schema=False)
