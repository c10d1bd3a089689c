"""Settings of the hedging service: where it keeps its database, how much work it accepts."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from hedgekit._errors import ConfigurationError

__all__ = ["ServerSettings", "default_db_path"]


def default_db_path(data_home: str | os.PathLike[str] | None = None) -> Path:
    """The service database: ``$HEDGEKIT_SERVER_DB``, else ``<data home>/server/hedgekit.db``.

    Parameters
    ----------
    data_home : path-like, optional
        The data home; default ``$HEDGEKIT_DATA`` or the platform's user data directory.
    """
    env = os.environ.get("HEDGEKIT_SERVER_DB")
    if env:
        return Path(env).expanduser()
    from hedgekit.data import default_data_home

    home = Path(data_home).expanduser() if data_home is not None else default_data_home()
    return home / "server" / "hedgekit.db"


@dataclass(frozen=True)
class ServerSettings:
    """Everything the service is configured with; immutable, validated by :meth:`validate`.

    Parameters
    ----------
    data_home : path, optional
        Market data home (``HEDGEKIT_DATA`` or the user data directory when None).
    db_path : path, optional
        SQLite database of API keys, jobs and results (default :func:`default_db_path`).
    workers : int
        Threads that run hedges. Each job holds one; further jobs wait in the queue.
    queue_size : int
        Most jobs waiting to run, over all keys; a submission beyond it gets 503.
    max_attempts : int
        Times a job is started before it is marked failed. A job interrupted by a crash is
        re-queued while it has attempts left (the hedge is deterministic, so a re-run gives
        the same result), which also stops a job that kills the server from looping.
    rate_per_second : float
        Per-key token bucket: tokens added per second (sustained requests per second).
    rate_burst : int
        Per-key token bucket size (requests allowed at once after a quiet period).
    max_body_bytes : int
        Largest request body accepted; a larger one gets 413.
    cors_origins : tuple of str
        Origins allowed to call the API from a browser; empty (the default) sends no CORS
        headers at all, so only the page served by the service itself can use it.
    shutdown_timeout : float
        Seconds a graceful stop waits for running jobs before leaving them to the restart
        recovery.
    """

    data_home: Path | None = None
    db_path: Path | None = None
    workers: int = 1
    queue_size: int = 100
    max_attempts: int = 2
    rate_per_second: float = 10.0
    rate_burst: int = 60
    max_body_bytes: int = 1_048_576
    cors_origins: tuple[str, ...] = ()
    shutdown_timeout: float = 30.0

    @property
    def database(self) -> Path:
        """The database path in effect."""
        return self.db_path if self.db_path is not None else default_db_path(self.data_home)

    def validate(self) -> None:
        """Raise ConfigurationError naming the bad setting and a valid value."""
        ints = {
            "workers": (self.workers, 1, 64),
            "queue_size": (self.queue_size, 1, 1_000_000),
            "max_attempts": (self.max_attempts, 1, 100),
            "rate_burst": (self.rate_burst, 1, 1_000_000),
            "max_body_bytes": (self.max_body_bytes, 1024, 1 << 30),
        }
        for name, (value, lo, hi) in ints.items():
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ConfigurationError(f"{name}={value!r}: use a whole number in {lo}..{hi}")
        for name, x in (
            ("rate_per_second", self.rate_per_second),
            ("shutdown_timeout", self.shutdown_timeout),
        ):
            if not isinstance(x, int | float) or not math.isfinite(x) or x <= 0:
                raise ConfigurationError(f"{name}={x!r}: use a positive number, e.g. 10")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigurationError(
                    f"CORS origin {origin!r} is not an origin; write it like https://example.com"
                )
