"""The hedging service: a REST API with jobs, persistence and API keys, and a web page.

``create_app(ServerSettings(...))`` builds the FastAPI application; ``hedgekit serve``
runs it under uvicorn and ``hedgekit keys`` manages its API keys. Jobs and results live
in SQLite (WAL) under the data home; see ``docs/server.md``.
"""

from __future__ import annotations

from hedgekit.server._app import create_app
from hedgekit.server._db import Database
from hedgekit.server._jobs import JobRunner, QueueFullError, QueueShareError, StoredJob
from hedgekit.server._keys import ApiKey, KeyStore, hash_key
from hedgekit.server._market import MarketProvider, error_status, preflight
from hedgekit.server._ratelimit import TokenBucket
from hedgekit.server._schemas import HedgeRequest
from hedgekit.server._settings import ServerSettings, default_db_path
from hedgekit.server._state import ServiceState

__all__ = [
    "ApiKey",
    "Database",
    "HedgeRequest",
    "JobRunner",
    "KeyStore",
    "MarketProvider",
    "QueueFullError",
    "QueueShareError",
    "ServerSettings",
    "ServiceState",
    "StoredJob",
    "TokenBucket",
    "create_app",
    "default_db_path",
    "error_status",
    "hash_key",
    "preflight",
]
