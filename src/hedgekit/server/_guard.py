"""The ASGI guard in front of every route: body-size limit, URL credentials, security headers."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException
from fastapi.responses import Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hedgekit.server._errors import API_KEY_HELP, HTTP_TYPES
from hedgekit.server._schemas import ErrorBody

__all__ = ["Guard"]

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/docs-static/", "/redoc")
#: query parameters that carry a credential: refused, and redacted before anything logs them
_SECRET_PARAMS = frozenset({"api_key", "apikey", "api-key", "x-api-key", "key", "token"})
_SECRET_PARAMS |= {"access_token", "auth", "authorization"}
_REDACTED = "REDACTED"


class _BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"request body larger than {limit:,} bytes; send fewer positions per hedge, or "
            "raise the limit with `hedgekit serve --max-body BYTES`",
        )


class Guard:
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
                f"browser history); {API_KEY_HELP}",
                type=HTTP_TYPES[401],
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
                kind = HTTP_TYPES[code]
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
