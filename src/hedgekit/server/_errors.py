"""Errors as responses: one body for every 4xx/5xx, validation errors that name the field and
the fix, and the handlers that map each exception type to its status once for the app."""

from __future__ import annotations

import difflib
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from hedgekit._errors import HedgekitError
from hedgekit.server._jobs import QueueFullError, QueueShareError
from hedgekit.server._market import error_status
from hedgekit.server._schemas import (
    ConstraintIn,
    ConstraintsIn,
    ErrorBody,
    ErrorItem,
    ExclusionsIn,
    HedgeParametersIn,
    HedgeRequest,
    PositionIn,
)

__all__ = [
    "API_KEY_HELP",
    "HTTP_TYPES",
    "RETRY_QUEUE_FULL",
    "install_error_handlers",
    "validation_error_body",
]

logger = logging.getLogger(__name__)

#: the ``type`` of an error body, per HTTP status
HTTP_TYPES = {
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
#: Retry-After (seconds) of a 503 for a full queue
RETRY_QUEUE_FULL = "5"
API_KEY_HELP = (
    "send your key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'; an operator "
    "creates one with `hedgekit keys create NAME`"
)

#: the model at each path of a HedgeRequest body ('*' is any list index or key)
_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): HedgeRequest,
    ("positions", "*"): PositionIn,
    ("exclusions",): ExclusionsIn,
    ("constraints",): ConstraintsIn,
    ("constraints", "*", "*"): ConstraintIn,
    ("parameters",): HedgeParametersIn,
}
_SOURCES = {"body": "", "query": "query parameter ", "path": "path parameter ", "header": ""}
_MAX_SHOWN = 60


def _field(loc: Sequence[Any]) -> tuple[str, str]:
    """(where, dotted field) of a pydantic location such as ('body', 'positions', 0, 'weight')."""
    parts = list(loc)
    where = str(parts.pop(0)) if parts and parts[0] in _SOURCES else "body"
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return where, text


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _known_fields(loc: Sequence[Any]) -> list[str]:
    """Field names of the model at ``loc`` inside a HedgeRequest body."""
    key = tuple(
        "*" if isinstance(p, int) or (i == 1 and loc[0] == "constraints") else str(p)
        for i, p in enumerate(loc)
    )
    model = _MODELS.get(key)
    return list(model.model_fields) if model is not None else []


def _message(error: dict[str, Any]) -> ErrorItem:
    loc = tuple(error.get("loc", ()))
    where, name = _field(loc)
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "invalid value"))
    ctx = error.get("ctx") or {}
    body_path = loc[1:] if loc and loc[0] == "body" else loc
    label = f"{_SOURCES.get(where, '')}{name}" if name else ""
    if kind == "json_invalid":
        text = (
            f"the request body is not valid JSON ({ctx.get('error', 'decode error')}); check "
            "quotes, commas and brackets, and send Content-Type: application/json"
        )
        return ErrorItem(field=None, message=text)
    if kind == "missing" and not name:
        return ErrorItem(
            field=None,
            message="the request body is empty; send the hedge as a JSON object, e.g. "
            '{"positions": [{"identifier": "KSTD", "quantity": 100000}], "date": "2022-12-30"}',
        )
    if kind in ("model_attributes_type", "dict_type") and not name:
        return ErrorItem(
            field=None,
            message="the request body must be a JSON object with Content-Type: "
            'application/json, e.g. {"positions": [...], "date": "2022-12-30"}',
        )
    if kind == "missing":
        return ErrorItem(field=name, message=f"{label} is required; add it")
    if kind == "extra_forbidden":
        parent = body_path[:-1]
        known = _known_fields(parent) if where == "body" else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        else:
            hint = f"; known fields here: {', '.join(known)}" if known else ""
        return ErrorItem(
            field=name, message=f"{label} is not a known field: check the spelling{hint}"
        )
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
        return ErrorItem(field=name or None, message=f"{label}: {msg}" if label else msg)
    got = f" (got {_shown(error['input'])})" if "input" in error else ""
    text = f"{label}: {msg[:1].lower()}{msg[1:]}{got}" if label else f"{msg}{got}"
    return ErrorItem(field=name or None, message=text)


def validation_error_body(errors: Sequence[dict[str, Any]]) -> ErrorBody:
    """The 422 body of pydantic/FastAPI validation errors.

    ``detail`` joins the first three messages; ``errors`` lists them all with their field.
    """
    items = [_message(dict(e)) for e in errors]
    detail = "; ".join(i.message for i in items[:3])
    if len(items) > 3:
        detail += f"; and {len(items) - 3} more (see errors)"
    return ErrorBody(detail=detail or "invalid request", type="validation_error", errors=items)


def install_error_handlers(app: FastAPI) -> None:
    """Map each exception type to its status and error body, once for the whole app."""

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        body = validation_error_body(list(exc.errors()))
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(QueueFullError)
    async def on_queue_full(request: Request, exc: QueueFullError) -> Response:
        body = ErrorBody(detail=str(exc), type="QueueFullError")
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": RETRY_QUEUE_FULL}
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
        body = ErrorBody(detail=detail, type=HTTP_TYPES.get(status, "http_error"))
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
