"""What the routes share (settings, database, keys, jobs, market, limits), as a dependency."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hedgekit.server._db import Database
from hedgekit.server._jobs import JobRunner
from hedgekit.server._keys import KeyStore
from hedgekit.server._market import MarketProvider
from hedgekit.server._ratelimit import TokenBucket
from hedgekit.server._settings import ServerSettings

__all__ = ["ServiceState", "State", "service_state"]


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


def service_state(request: Request) -> ServiceState:
    """The state of the app serving ``request``."""
    state: ServiceState = request.app.state.hedgekit
    return state


State = Annotated[ServiceState, Depends(service_state)]
