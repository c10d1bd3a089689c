"""The FastAPI application: ``create_app(settings)`` assembles state, guard, errors and routes.

``create_app(settings)`` builds a self-contained service: its lifespan opens the
database, takes the single-server lock, recovers interrupted jobs and starts the worker
threads; stopping the app waits for running jobs (up to ``shutdown_timeout``). The routes
live in ``_routes``, authentication in ``_auth``, the guard middleware in ``_guard`` and
the mapping of errors to responses in ``_errors``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

import hedgekit
from hedgekit._errors import HedgekitError
from hedgekit._optional import optional_module
from hedgekit.server._db import Database
from hedgekit.server._errors import install_error_handlers
from hedgekit.server._guard import Guard
from hedgekit.server._jobs import JobRunner
from hedgekit.server._keys import KeyStore
from hedgekit.server._market import MarketProvider
from hedgekit.server._ratelimit import TokenBucket
from hedgekit.server._routes import install_routes
from hedgekit.server._settings import ServerSettings
from hedgekit.server._state import ServiceState

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_STATIC = Path(str(resources.files("hedgekit.server") / "static"))


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """The hedging service as an ASGI application.

    Parameters
    ----------
    settings : ServerSettings, optional
        Default: ``ServerSettings()`` (data home from ``HEDGEKIT_DATA``, database under it).

    Returns
    -------
    FastAPI

    Examples
    --------
    >>> from fastapi.testclient import TestClient                  # doctest: +SKIP
    >>> with TestClient(create_app(ServerSettings(data_home=home))) as client:  # doctest: +SKIP
    ...     client.get("/v1/health").json()["status"]
    'ok'
    """
    settings = settings if settings is not None else ServerSettings()
    settings.validate()
    db = Database(settings.database)
    market = MarketProvider(settings.data_home)
    state = ServiceState(
        settings=settings,
        db=db,
        keys=KeyStore(db),
        runner=JobRunner(
            db,
            market,
            workers=settings.workers,
            queue_size=settings.queue_size,
            max_attempts=settings.max_attempts,
            max_queued_per_key=settings.queued_per_key,
            max_running_per_key=settings.running_per_key,
            retain_days=settings.retain_days,
            max_stored_per_key=settings.max_stored_per_key,
            cleanup_interval=settings.cleanup_interval,
            cancel_poll=settings.cancel_poll,
        ),
        market=market,
        bucket=TokenBucket(settings.rate_per_second, settings.rate_burst),
        peers_gate=threading.Semaphore(max(1, settings.workers)),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.acquire()
        try:
            db.connect()
            _warm_up(market)
            state.runner.start()
            logger.info(
                "hedgekit server: database %s, data %s, %d worker(s)",
                db.path,
                market.home,
                settings.workers,
            )
            yield
        finally:
            state.runner.stop(settings.shutdown_timeout)
            db.close()

    offline_docs = _offline_docs_dir()
    app = FastAPI(
        title="hedgekit",
        version=hedgekit.__version__,
        summary="Performance hedges for concentrated equity positions, as a service.",
        description=(
            "Submit a hedge (`POST /v1/hedges`), poll its status, read the basket, the "
            "statistics and the backtest. Every route but `/v1/health` needs an API key "
            "(`Authorization: Bearer <key>` or `X-API-Key`). See docs/server.md."
        ),
        lifespan=lifespan,
        docs_url=None if offline_docs is not None else "/docs",
        redoc_url=None,
    )
    app.state.hedgekit = state
    app.add_middleware(Guard, max_body=settings.max_body_bytes)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    install_error_handlers(app)
    _install_pages(app, offline_docs)
    install_routes(app)
    return app


def _warm_up(market: MarketProvider) -> None:
    """Load the market data before the first request (a cold load takes seconds)."""
    try:
        data = market.get()
        view = data.as_of(data.end)
        view.returns(list(data.tickers[:1]), window=2)
        for index in sorted(data.indices)[:1]:
            view.members(index)
    except HedgekitError as exc:  # no data yet: health says so, hedges get 503
        logger.warning("no market data to serve: %s", exc)


def _offline_docs_dir() -> Path | None:
    """Swagger UI assets shipped by the ``fastapi-offline`` package, if installed."""
    fastapi_offline = optional_module("fastapi_offline")
    if fastapi_offline is None or fastapi_offline.__file__ is None:
        return None
    path = Path(fastapi_offline.__file__).parent / "static"
    return path if (path / "swagger-ui-bundle.js").exists() else None


def _install_pages(app: FastAPI, offline_docs: Path | None) -> None:
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(_STATIC / "index.html", media_type="text/html")

    if offline_docs is not None:
        app.mount("/docs-static", StaticFiles(directory=offline_docs), name="docs-static")

        @app.get("/docs", include_in_schema=False)
        def docs() -> HTMLResponse:
            return get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="hedgekit API",
                swagger_js_url="/docs-static/swagger-ui-bundle.js",
                swagger_css_url="/docs-static/swagger-ui.css",
                swagger_favicon_url="/docs-static/favicon.png",
            )
