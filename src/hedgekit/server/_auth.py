"""Who is calling: the API key from the request's headers, after the per-key rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from hedgekit.server._errors import API_KEY_HELP
from hedgekit.server._keys import ApiKey
from hedgekit.server._ratelimit import TokenBucket
from hedgekit.server._state import State

__all__ = ["Caller", "current_key"]

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
                f"credential sent must be a valid key (even beside X-API-Key); {API_KEY_HELP}"
            )
        sent.append(value.strip())
    if header is not None and header.strip():
        sent.append(header.strip())
    del bearer  # declared for the OpenAPI security scheme; read above with its scheme
    if not sent:
        raise _unauthorized(f"missing API key: {API_KEY_HELP}")
    if len(set(sent)) > 1:
        raise _unauthorized(
            "two different API keys (Authorization and X-API-Key); send one key, in one "
            f"header: {API_KEY_HELP}"
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
