"""The app factory: one FastAPI app wired to a settings object, a plant and a pool.

Nothing happens at import time. The pool is either handed in (tests, and the
demo that shares one pool between stages; the caller then owns it) or opened
in the lifespan from ``settings.dsn()`` and closed at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from api.api_versions import API_V1, DeprecatedApiAliasMiddleware
from api.auth.access_tokens import token_secret
from api.auth.credential_cache import CredentialCache
from api.auth.credential_changes import credential_changes_followed
from api.cors_problems import ProblemCORSMiddleware
from api.live_broadcast import close_broadcaster
from api.openapi_document import problem_openapi
from api.pagination import LINK_HEADER
from api.problem_details import UnhandledErrorMiddleware, install_problem_details
from api.request_limits import RequestSizeLimitMiddleware
from api.routers import (
    alerts,
    anomaly,
    api_docs,
    api_keys,
    audit,
    complaints,
    console,
    diagnosis_page,
    dispatch,
    engineers,
    fleet,
    health,
    inspections,
    job_checklist,
    kb_page,
    knowledge,
    kpi_page,
    lines,
    live_stream,
    machine_status,
    machines,
    maintenance,
    maintenance_page,
    me,
    my_jobs,
    notifications,
    oee,
    part_suggestions,
    parts,
    parts_page,
    report_page,
    reports,
    requisitions,
    serials,
    service_costs,
    service_kpis,
    service_reports,
    sign_in,
    sign_in_page,
    stock_planning,
    stores,
    ticket_annotations,
    ticket_costs,
    ticket_evidence,
    tickets,
    trends,
    webhooks,
)
from api.routers.console import STATIC_DIR
from api.security_headers import SecurityHeadersMiddleware
from models.plant import Plant
from settings.linecare_settings import Settings
from storage.connections import Pool
from storage.database import open_pool
from storage.trend_cache import TrendCache

POOL_OPEN_TIMEOUT_S = 30.0
API_VERSION = "1.0"
API_DESCRIPTION = """\
The API of LineCare's console and of scripts (docs/api.md).

* **Version:** everything is under `/api/v1`; the unversioned `/api/...` paths still answer
  as a deprecated alias (`Deprecation` and `Link` headers).
* **Sign-in:** `Authorization: Bearer <token>` with a JWT access token from `POST
  /api/v1/token` or an API key; the console uses its session cookie.
* **Errors:** every 4xx and 5xx is `application/problem+json` (RFC 9457) with a `detail`
  sentence; a failed validation lists each field in `errors`.
* **Lists:** `limit` and `offset`; the `Link` header gives the `next`, `prev` and `first`
  pages.
"""


def create_app(settings: Settings, plant: Plant, pool: Pool | None = None) -> FastAPI:
    """A ready app; with ``pool`` None it opens its own pool on start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if pool is not None:
            try:
                async with credential_changes_followed(_conninfo(pool), app.state.credentials):
                    yield
            finally:
                await close_broadcaster(app)
            return
        own_pool = open_pool(settings.dsn(), api_sessions=True)
        await own_pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT_S)
        app.state.pool = own_pool
        try:
            async with credential_changes_followed(settings.dsn(), app.state.credentials):
                yield
        finally:
            await close_broadcaster(app)
            await own_pool.close()

    app = FastAPI(
        title="LineCare",
        summary="Remote monitoring and predictive maintenance of production lines",
        description=API_DESCRIPTION,
        version=API_VERSION,
        lifespan=lifespan,
        # Served by api/routers/api_docs.py from local assets instead of a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.plant = plant
    # Signs the API clients' access tokens (api/auth/access_tokens.py).
    app.state.token_secret = token_secret(settings)
    # Whole trend buckets kept between reads, per process (storage/trend_cache.py).
    app.state.trend_cache = TrendCache(max_buckets=settings.trend_cache_buckets)
    # Whom recent bearer credentials belong to, while the lifespan listens for changes
    # (api/auth/credential_cache.py); an app run without its lifespan keeps none.
    app.state.credentials = CredentialCache()
    if pool is not None:
        app.state.pool = pool
    app.include_router(_api_router(), prefix=API_V1)
    app.include_router(console.router)
    app.include_router(sign_in_page.router)
    app.include_router(report_page.router)
    app.include_router(kpi_page.router)
    app.include_router(fleet.page_router)
    app.include_router(diagnosis_page.router)
    app.include_router(maintenance_page.router)
    app.include_router(kb_page.router)
    app.include_router(parts_page.router)
    app.include_router(api_docs.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(
        api_docs.DOCS_ASSETS_URL,
        StaticFiles(directory=api_docs.DOCS_ASSETS_DIR),
        name="docs-assets",
    )
    install_problem_details(app)
    app.openapi = problem_openapi(app)  # type: ignore[method-assign]
    # Added innermost first: a request meets the security headers, CORS, the /api alias,
    # the size limit, then the catch-all for errors, whose 500 thus gets every header.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RequestSizeLimitMiddleware, max_bytes=settings.api_max_request_bytes)
    app.add_middleware(DeprecatedApiAliasMiddleware)
    if settings.cors_allowed_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_allowed_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=[LINK_HEADER, "Deprecation"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def _conninfo(pool: Pool) -> str:
    """Where the given pool connects, for the app's own listening connection."""
    if not isinstance(pool.conninfo, str):
        raise TypeError("the app's pool must connect to one fixed conninfo")
    return pool.conninfo


def _api_router() -> APIRouter:
    router = APIRouter()
    # Routes are matched in this order, router by router: the diagnosis page's trend
    # and live reads, the most frequent requests by far, come first.
    for module in (
        trends,
        live_stream,
        health,
        sign_in,
        api_keys,
        audit,
        me,
        lines,
        fleet,
        machines,
        machine_status,
        anomaly,
        oee,
        reports,
        alerts,
        tickets,
        ticket_annotations,
        dispatch,
        engineers,
        my_jobs,
        job_checklist,
        ticket_evidence,
        service_kpis,
        service_reports,
        complaints,
        webhooks,
        notifications,
        parts,
        part_suggestions,
        stores,
        requisitions,
        serials,
        service_costs,
        ticket_costs,
        stock_planning,
        inspections,
        maintenance,
        knowledge,
    ):
        router.include_router(module.router)
    return router
