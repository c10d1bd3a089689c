"""The FastAPI application: routes, authentication, limits and error mapping.

``create_app(settings)`` builds a self-contained service: its lifespan opens the
database, takes the single-server lock, recovers interrupted jobs and starts the worker
threads; stopping the app waits for running jobs (up to ``shutdown_timeout``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import logging
import math
import re
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import hedgekit
from hedgekit._errors import HedgekitError, UnknownIdentifierError
from hedgekit._optional import optional_module
from hedgekit.server._db import Database
from hedgekit.server._errors import validation_error_body
from hedgekit.server._jobs import JobRunner, QueueFullError, QueueShareError, StoredJob
from hedgekit.server._keys import ApiKey, KeyStore
from hedgekit.server._market import MarketProvider, error_status, preflight
from hedgekit.server._ratelimit import TokenBucket
from hedgekit.server._schemas import (
    ErrorBody,
    HealthOut,
    HedgeJob,
    HedgeList,
    HedgeRequest,
    HedgeSummary,
    JobError,
    JobLinks,
    MarketOut,
    MonitorOut,
    Peer,
    PeersOut,
)
from hedgekit.server._settings import ServerSettings

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_STATIC = Path(str(resources.files("hedgekit.server") / "static"))
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/docs-static/", "/redoc")
_CURSOR = re.compile(r"^s([0-9]{1,18})$")
_RETRY_QUEUE_FULL = "5"
_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}

_API_KEY_HELP = (
    "send your key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'; an operator "
    "creates one with `hedgekit keys create NAME`"
)
#: query parameters that carry a credential: refused, and redacted before anything logs them
_SECRET_PARAMS = frozenset({"api_key", "apikey", "api-key", "x-api-key", "key", "token"})
_SECRET_PARAMS |= {"access_token", "auth", "authorization"}
_REDACTED = "REDACTED"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error responses a route can give."""
    text = {
        401: "Missing, unknown or revoked API key.",
        404: "No such hedge for this key (other keys' hedges are never visible).",
        409: "The hedge is not done yet.",
        413: "Request body larger than the limit.",
        422: "Invalid input; the message names the field and the fix.",
        429: "Rate limit, or the key's share of the queue, exceeded; see Retry-After.",
        503: "Queue full, no market data, or an optional component missing.",
    }
    return {c: {"model": ErrorBody, "description": text[c]} for c in codes}


# ---------------------------------------------------------------------------- state
@dataclass
class ServiceState:
    """What the routes share: settings, database, keys, jobs, market data and limits."""

    settings: ServerSettings
    db: Database
    keys: KeyStore
    runner: JobRunner
    market: MarketProvider
    bucket: TokenBucket
    peers_gate: threading.Semaphore


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.hedgekit
    return state


State = Annotated[ServiceState, Depends(_state)]


# ---------------------------------------------------------------------------- guard
class _BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"request body larger than {limit:,} bytes; send fewer positions per hedge, or "
            "raise the limit with `hedgekit serve --max-body BYTES`",
        )


class _Guard:
    """Pure ASGI middleware: the body-size limit and the security headers.

    A ``Content-Length`` above the limit is refused before the body is read; a chunked
    body is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(_DOCS_PATHS)
        if _redact_query(scope):
            body = ErrorBody(
                detail="API keys are not accepted in the URL (URLs end up in logs, proxies and "
                f"browser history); {_API_KEY_HELP}",
                type=_HTTP_TYPES[401],
            ).model_dump_json()
            response = Response(
                body,
                status_code=401,
                media_type="application/json",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, self._headers(send, docs))
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            declared = int(length) if length.isdigit() else -1
            if declared < 0 or declared > self.max_body:
                exc = _BodyTooLarge(self.max_body)
                code, detail = (413, exc.detail) if declared >= 0 else (400, "bad Content-Length")
                kind = _HTTP_TYPES[code]
                body = ErrorBody(detail=detail, type=kind).model_dump_json()
                response = Response(body, status_code=code, media_type="application/json")
                await response(scope, receive, self._headers(send, docs))
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge(self.max_body)
            return message

        await self.app(scope, counted, self._headers(send, docs))

    @staticmethod
    def _headers(send: Send, docs: bool) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cache-Control", "no-store")
                if not docs:
                    headers.setdefault("Content-Security-Policy", _CSP)
            await send(message)

        return wrapped


def _redact_query(scope: Scope) -> bool:
    """Redact credentials in the query string, in place; True if there were any.

    The scope is the server's own object: uvicorn's access log reads the query string from
    it after the response, so redacting here keeps the key out of the log.
    """
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return False
    text = raw.decode("latin-1")
    found = False
    cleaned = []
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name.lower() in _SECRET_PARAMS or "hk_" in name or "hk_" in value:
            found = True
            name, value = (_REDACTED if "hk_" in name else name), _REDACTED
        cleaned.append((name, value))
    if found:
        scope["query_string"] = urlencode(cleaned).encode("latin-1")
    elif "hk_" in text:  # something like a key in a part parse_qsl does not return
        found = True
        scope["query_string"] = _REDACTED.encode()
    return found


# ---------------------------------------------------------------------------- auth
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <key>")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def current_key(
    request: Request,
    state: State,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header_key)],
) -> ApiKey:
    """The caller's live API key, after the per-key rate limit (401 / 429 otherwise).

    One rule for credentials: every credential sent must be the same valid key. An
    ``Authorization`` header that is not ``Bearer <key>`` (``Basic ...``, an empty bearer)
    is 401 even beside a valid ``X-API-Key``, and so are two different keys; the outcome
    never depends on which header the server happens to read first.
    """
    sent: list[str] = []
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized(
                f"the Authorization header must be 'Bearer <key>', not {scheme[:20]!r}: every "
                f"credential sent must be a valid key (even beside X-API-Key); {_API_KEY_HELP}"
            )
        sent.append(value.strip())
    if header is not None and header.strip():
        sent.append(header.strip())
    del bearer  # declared for the OpenAPI security scheme; read above with its scheme
    if not sent:
        raise _unauthorized(f"missing API key: {_API_KEY_HELP}")
    if len(set(sent)) > 1:
        raise _unauthorized(
            "two different API keys (Authorization and X-API-Key); send one key, in one "
            f"header: {_API_KEY_HELP}"
        )
    key = state.keys.authenticate(sent[0])
    if key is None:
        raise HTTPException(
            401,
            "API key not recognised (mistyped or revoked); check it, or ask the operator "
            "for a new one (`hedgekit keys create NAME`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    wait = state.bucket.take(key.id)
    if wait > 0:
        s = state.settings
        retry = TokenBucket.retry_after(wait)
        raise HTTPException(
            429,
            f"rate limit exceeded for key {key.name!r} ({s.rate_per_second:g} requests/s, "
            f"bursts of {s.rate_burst}); retry after {retry} s",
            headers={"Retry-After": retry},
        )
    return key


Caller = Annotated[ApiKey, Depends(current_key)]
#: the monitoring date of both monitor endpoints
MonitorDate = Annotated[
    dt.date | None, Query(description="Monitoring date (default: the data's last day).")
]


# ---------------------------------------------------------------------------- helpers
def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _CURSOR.match(text)
    if match is None:
        raise HTTPException(
            422,
            f"cursor {cursor[:40]!r} was not issued by this server; pass the next_cursor of "
            "the previous page, or omit cursor to start from the newest hedge",
        )
    return int(match.group(1))


def _summary(job: StoredJob) -> dict[str, Any]:
    request = job.request
    return {
        "id": job.id,
        "status": job.status,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "attempts": job.attempts,
        "date": str(request.get("date", "")),
        "method": str(request.get("method", "")),
        "identifiers": [str(p.get("identifier", "")) for p in request.get("positions", [])][:50],
        "error": None if job.error is None else JobError(**job.error),
        "links": JobLinks(status=f"/v1/hedges/{job.id}", basket=f"/v1/hedges/{job.id}/basket.csv"),
    }


def _not_found(job_id: str) -> HTTPException:
    return HTTPException(
        404, f"no hedge {job_id[:64]!r} for this API key; list yours with GET /v1/hedges"
    )


def _json(payload: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


# ---------------------------------------------------------------------------- the app
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
    app.add_middleware(_Guard, max_body=settings.max_body_bytes)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    _install_error_handlers(app)
    _install_pages(app, offline_docs)
    _install_routes(app)
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


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        body = validation_error_body(list(exc.errors()))
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(QueueFullError)
    async def on_queue_full(request: Request, exc: QueueFullError) -> Response:
        body = ErrorBody(detail=str(exc), type="QueueFullError")
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": _RETRY_QUEUE_FULL}
        )

    @app.exception_handler(QueueShareError)
    async def on_queue_share(request: Request, exc: QueueShareError) -> Response:
        body = ErrorBody(detail=str(exc), type="QueueShareError")
        return JSONResponse(
            body.model_dump(), status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(HedgekitError)
    async def on_hedgekit(request: Request, exc: HedgekitError) -> Response:
        body = ErrorBody(detail=str(exc), type=type(exc).__name__)
        return JSONResponse(body.model_dump(), status_code=error_status(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        status, detail = exc.status_code, str(exc.detail)
        if status == 400 and detail == "There was an error parsing the body":
            # FastAPI's words for a body that is not even text: invalid JSON, like the rest
            status, detail = (
                422,
                (
                    "the request body is not valid JSON (not UTF-8 text); send a JSON object "
                    "encoded as UTF-8 with Content-Type: application/json"
                ),
            )
        headers = exc.headers
        if status == 405:  # Starlette names the methods of one route; list every route's
            allowed = _allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = f"method {request.method} not allowed here; use {', '.join(allowed)}"
        body = ErrorBody(detail=detail, type=_HTTP_TYPES.get(status, "http_error"))
        return JSONResponse(body.model_dump(), status_code=status, headers=headers)

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> Response:
        reference = uuid.uuid4().hex[:12]
        logger.error(
            "unhandled error %s on %s %s",
            reference,
            request.method,
            request.url.path,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        body = ErrorBody(
            detail=f"internal server error (reference {reference}); the server log has the "
            "details, please report it",
            type="internal_error",
        )
        return JSONResponse(body.model_dump(), status_code=500)


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route accepts at the request's path, sorted."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= set(route_methods)
    return sorted(methods)


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


def _install_routes(app: FastAPI) -> None:
    @app.get("/v1/health", response_model=HealthOut, tags=["service"])
    def health(state: State) -> Response:
        """Liveness and load; no API key needed. 503 when degraded (no worker or no data).

        Nothing here names a file or folder of the server: without a key, ``data`` says only
        whether market data is loaded; the server log has the reason when it is not.
        """
        try:
            state.market.get()
            data = "ok"
        except HedgekitError as exc:
            logger.debug("health: no market data: %s", exc)
            data = f"no market data loaded ({type(exc).__name__}); the server log has the reason"
        counts = state.runner.counts()
        alive = state.runner.alive
        ok = data == "ok" and alive == state.settings.workers
        out = HealthOut(
            status="ok" if ok else "degraded",
            version=hedgekit.__version__,
            workers_alive=alive,
            queued=counts["queued"],
            running=counts["running"],
            queue_capacity=state.settings.queue_size,
            data=data,
        )
        return _json(out.model_dump(), status_code=200 if ok else 503)

    @app.get(
        "/v1/market", response_model=MarketOut, tags=["service"], responses=_errors(401, 429, 503)
    )
    def market_info(state: State, key: Caller) -> MarketOut:
        """What the market data holds: dates, indices, sectors, synthetic or real."""
        market = state.market.get()
        sectors = market.securities["gics_sector"].dropna().astype(str).unique()
        return MarketOut(
            synthetic=bool(market.is_synthetic),
            start=f"{market.start:%Y-%m-%d}",
            end=f"{market.end:%Y-%m-%d}",
            tickers=len(market.tickers),
            indices=sorted(market.indices),
            sectors=sorted(sectors),
            version=state.market.store.version,
        )

    @app.post(
        "/v1/hedges",
        status_code=202,
        response_model=HedgeJob,
        tags=["hedges"],
        responses=_errors(401, 413, 422, 429, 503),
    )
    def submit_hedge(body: HedgeRequest, state: State, key: Caller) -> Response:
        """Queue a performance hedge; poll the returned status URL until done or failed.

        Tickers, the date and the universe are checked against the data before the job is
        accepted (422 otherwise); problems only the full computation finds (too little
        history, infeasible constraints) make the job ``failed`` with the same message.
        """
        market = state.market.get()
        preflight(body.to_parameters(), market)
        job = state.runner.submit(key.id, body)
        out = HedgeJob(**_summary(job), request=job.request)
        location = f"/v1/hedges/{job.id}"
        return _json(out.model_dump(mode="json"), status_code=202, headers={"Location": location})

    @app.get(
        "/v1/hedges", response_model=HedgeList, tags=["hedges"], responses=_errors(401, 422, 429)
    )
    def list_hedges(
        state: State,
        key: Caller,
        limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
        cursor: Annotated[
            str | None, Query(max_length=64, description="next_cursor of the previous page.")
        ] = None,
    ) -> HedgeList:
        """This key's hedges, newest first, ``limit`` per page."""
        before = _decode_cursor(cursor) if cursor is not None else None
        jobs = state.runner.page(key.id, limit + 1, before)
        page = jobs[:limit]
        more = len(jobs) > limit
        return HedgeList(
            items=[HedgeSummary(**_summary(j)) for j in page],
            next_cursor=_encode_cursor(page[-1].seq) if more and page else None,
        )

    @app.get(
        "/v1/hedges/{hedge_id}",
        response_model=HedgeJob,
        tags=["hedges"],
        responses=_errors(401, 404, 429),
    )
    def get_hedge(hedge_id: str, state: State, key: Caller) -> Response:
        """Status of a hedge; when done, the result (constituents, statistics, backtest)."""
        job = state.runner.get(key.id, hedge_id)
        if job is None:
            raise _not_found(hedge_id)
        payload = HedgeJob(**_summary(job), request=job.request).model_dump(mode="json")
        if job.status == "done":
            raw = state.runner.result(key.id, hedge_id)
            if raw is None:  # deleted between the two reads
                raise _not_found(hedge_id)
            payload["result"] = json.loads(raw)
        return _json(payload)

    @app.delete(
        "/v1/hedges/{hedge_id}",
        status_code=204,
        tags=["hedges"],
        responses=_errors(401, 404, 429),
    )
    def delete_hedge(hedge_id: str, state: State, key: Caller) -> Response:
        """Delete a hedge and its result; a queued one never runs, a running one is stopped."""
        if not state.runner.delete(key.id, hedge_id):
            raise _not_found(hedge_id)
        return Response(status_code=204)

    @app.get(
        "/v1/hedges/{hedge_id}/basket.csv",
        tags=["hedges"],
        response_class=Response,
        responses={
            200: {"content": {"text/csv": {}}, "description": "The short basket as CSV."},
            **_errors(401, 404, 409, 429),
        },
    )
    def get_basket(hedge_id: str, state: State, key: Caller) -> Response:
        """The basket (identifier, side, shares, price, notional, weight_pct) as CSV."""
        job = state.runner.get(key.id, hedge_id)
        if job is None:
            raise _not_found(hedge_id)
        csv = state.runner.result(key.id, hedge_id, "basket_csv") if job.status == "done" else None
        if csv is None:
            if job.status == "done":
                raise _not_found(hedge_id)
            raise HTTPException(
                409,
                f"hedge {hedge_id} is {job.status}; the basket exists once it is done "
                f"(poll GET /v1/hedges/{hedge_id})",
            )
        return Response(
            csv,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="hedge-{hedge_id}.csv"'},
        )

    def _monitor(hedge_id: str, state: Any, key: Any, date: dt.date | None) -> Any:
        job = state.runner.get(key.id, hedge_id)
        if job is None:
            raise _not_found(hedge_id)
        raw = state.runner.result(key.id, hedge_id) if job.status == "done" else None
        if raw is None:
            if job.status == "done":
                raise _not_found(hedge_id)
            raise HTTPException(
                409,
                f"hedge {hedge_id} is {job.status}; it can be monitored once it is done "
                f"(poll GET /v1/hedges/{hedge_id})",
            )
        market = state.market.get()
        result = json.loads(raw)
        when = date if date is not None else market.end.date()
        if not dt.date(1900, 1, 1) <= when <= dt.date(2200, 12, 31):
            raise HTTPException(422, f"query parameter date {when} is outside 1900..2200")
        if when <= dt.date.fromisoformat(result["date"]):
            raise HTTPException(
                422,
                f"query parameter date {when} must be after the hedge date {result['date']}",
            )
        if not state.peers_gate.acquire(timeout=60):  # bounds synchronous heavy work
            raise HTTPException(503, "the service is busy; retry in a minute")
        try:
            return monitor_stored(result, market, when.isoformat())
        finally:
            state.peers_gate.release()

    @app.get(
        "/v1/hedges/{hedge_id}/monitor",
        response_model=MonitorOut,
        tags=["hedges"],
        responses=_errors(401, 404, 409, 422, 429, 503),
    )
    def get_monitor(
        hedge_id: str,
        state: State,
        key: Caller,
        date: MonitorDate = None,
    ) -> Response:
        """How a done hedge has tracked since its date, held with fixed shares: realised vs
        predicted tracking error, drift, names gone, a rebalance verdict and its trades."""
        mon = _monitor(hedge_id, state, key, date)
        out = MonitorOut(hedge_id=hedge_id, **mon.to_dict())
        return _json(out.model_dump(mode="json"))

    @app.get(
        "/v1/hedges/{hedge_id}/monitor.png",
        tags=["hedges"],
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}}, "description": "Hedged return and band."},
            **_errors(401, 404, 409, 422, 429, 503),
        },
    )
    def get_monitor_png(
        hedge_id: str,
        state: State,
        key: Caller,
        date: MonitorDate = None,
    ) -> Response:
        """The monitor's picture: cumulative hedged return since inception against the
        predicted 1- and 2-sigma band."""
        import tempfile

        mon = _monitor(hedge_id, state, key, date)
        with tempfile.TemporaryDirectory() as tmp:
            png = mon.plot(Path(tmp) / "monitor.png").read_bytes()
        return Response(png, media_type="image/png")

    @app.get(
        "/v1/peers/{ticker}",
        response_model=PeersOut,
        tags=["peers"],
        responses=_errors(401, 404, 422, 429, 503),
    )
    def get_peers(
        state: State,
        key: Caller,
        ticker: Annotated[str, PathParam(min_length=1, max_length=64)],
        date: Annotated[
            dt.date | None, Query(description="As-of date (default: the data's last day).")
        ] = None,
        k: Annotated[int, Query(ge=1, le=100, description="Number of peers.")] = 10,
        embedder: Annotated[
            Literal["auto", "minilm", "tfidf"],
            Query(description="'auto': MiniLM when installed, else TF-IDF."),
        ] = "auto",
    ) -> PeersOut:
        """Companies whose business descriptions are closest to the ticker's (semantic peers)."""
        from hedgekit.text import semantic_peers  # a missing nlp extra is a 503 (error_status)

        market = state.market.get()
        when = date if date is not None else market.end.date()
        if not dt.date(1900, 1, 1) <= when <= dt.date(2200, 12, 31):
            raise HTTPException(422, f"query parameter date {when} is outside 1900..2200")
        if not state.peers_gate.acquire(timeout=60):
            raise HTTPException(503, "the peers engine is busy; retry in a minute")
        try:
            frame = semantic_peers(market, ticker, when.isoformat(), k=k, embedder=embedder)
        except UnknownIdentifierError as exc:
            raise HTTPException(404, str(exc)) from None
        finally:
            state.peers_gate.release()
        return _peers_out(frame)


def monitor_stored(result: dict[str, Any], market: Any, as_of: str) -> Any:
    """Monitor a stored hedge from its JSON result: read as the basket file
    ``to_basket_json`` writes (positions, the portfolio, the fit, the parameters)."""
    from hedgekit.hedge import monitor_basket

    fit = result["statistics"].get("in_sample.Hedge", {})
    basket = {
        "date": result["date"],
        "positions": result["constituents"],
        "portfolio": [
            {"identifier": r["ticker"], "quantity": r["quantity"]} for r in result["portfolio"]
        ],
        "fit": {
            "tracking_error": fit.get("tracking_error"),
            "correlation": fit.get("correlation_with_portfolio"),
        },
        "parameters": result["parameters"],
    }
    return monitor_basket(basket, as_of, market)


def _peers_out(frame: Any) -> PeersOut:
    """The DataFrame of ``semantic_peers`` as the response model."""

    import pandas as pd

    def clean(value: Any) -> Any:
        if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
            return None
        if hasattr(value, "strftime"):
            return f"{value:%Y-%m-%d}"
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    peers = []
    for ticker, row in frame.iterrows():
        record = {c: clean(row[c]) for c in frame.columns if c in Peer.model_fields}
        record = {k: v for k, v in record.items() if v is not None or k == "similarity"}
        for text_col in ("name", "gics_sector", "gics_sub_industry", "source"):
            if text_col in record:
                record[text_col] = str(record[text_col])
        record["look_ahead"] = bool(record.get("look_ahead", False))
        peers.append(Peer(ticker=str(ticker), **record))
    attrs = frame.attrs
    as_of = attrs.get("as_of")
    return PeersOut(
        ticker=str(attrs.get("ticker", "")),
        as_of=f"{as_of:%Y-%m-%d}" if as_of is not None else "",
        embedder=str(attrs.get("embedder", "")),
        look_ahead=bool(attrs.get("look_ahead", False)),
        universe_size=int(attrs.get("universe_size", len(peers))),
        peers=peers,
    )
