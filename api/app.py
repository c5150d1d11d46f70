"""The FastAPI application: built from the route table in ``api.routes``,
with a lifespan that opens the store and closes it (no ``on_startup``).

``create_app(settings, store=None)``: pass a store to share one (tests do);
otherwise the configured one is opened on start-up and closed on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from prometheus_client import CollectorRegistry
from starlette.middleware.cors import CORSMiddleware

from api import docs_ui, errors
from api.auth.ratelimit import LoginLimiter
from api.auth.secrets import signing_key
from api.context import AppContext
from api.middleware import BodyLimit, RequestMetrics, SecurityHeaders
from api.models import ERRORS
from api.routes import ROUTES
from api.services import make_triage
from canhgac.config import Settings
from canhgac.config import load as load_settings
from store.base import Store

DESCRIPTION = """Canhgac: the city's SIEM and online-information listening post.

Log in at `/api/v1/auth/login` for an access token (15 minutes) and a refresh
token; machines use API keys (`Authorization: Bearer cgk_...`).  Every error
is `{"error": {"code", "message", "details"}}`.  Lists are cursor-paginated:
pass `next_cursor` back as `cursor`.
"""


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The application, ready for uvicorn or an in-process test client."""
    cfg = settings or load_settings()
    owns_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from store import open_store

        st = store if store is not None else open_store(cfg)
        if owns_store:
            st.init()
        lim = cfg.api.login
        app.state.ctx = AppContext(
            settings=cfg, store=st, signing_key=signing_key(cfg),
            limiter=LoginLimiter(lim.per_user, lim.per_address, lim.window_seconds),
            triage=make_triage(st))
        try:
            yield
        finally:
            if owns_store:
                st.close()

    assets = docs_ui.local_assets()
    app = FastAPI(title="Canhgac API", version="1", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None if assets else docs_ui.DOCS, redoc_url=None,
                  openapi_url="/openapi.json")
    app.state.registry = CollectorRegistry()
    errors.install(app)
    if assets is not None:  # Swagger UI from the package, not a CDN (works offline)
        docs_ui.install(app, assets)
    for spec in ROUTES:
        deps: list[Any] = [Depends(spec.roles)] if spec.roles is not None else []
        responses = dict(ERRORS) if spec.roles is not None else {}
        app.add_api_route(spec.path, spec.handler, methods=[spec.method], dependencies=deps,
                          tags=[spec.tag], status_code=spec.status, responses=responses,
                          summary=(spec.handler.__doc__ or spec.handler.__name__).split("\n")[0]
                          .rstrip("."), description=spec.handler.__doc__ or "")
    # Outermost first: metrics see everything, limits act before CORS and routing.
    if cfg.api.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cfg.api.cors_origins,
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)
    app.add_middleware(BodyLimit, max_bytes=cfg.api.max_body_bytes,
                       max_bulk_bytes=cfg.api.max_bulk_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics, registry=app.state.registry)
    return app
