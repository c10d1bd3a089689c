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
    max_queued_per_key : int
        Most jobs one key may have waiting (its share of the queue, default 25); a
        submission beyond it gets 429 with ``Retry-After``, while other keys are still
        accepted. Capped at ``queue_size``.
    max_running_per_key : int, optional
        Most jobs of one key computed at once. Default ``workers - 1`` (at least 1), so a
        key never holds every worker. Workers take the keys in turn (the key with the
        fewest running jobs, then the one served least recently), not first-come first-served.
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
    retain_days : float
        Finished hedges (done, failed or cancelled) are deleted with their results this many
        days after they finished (default 30); 0 keeps them forever.
    max_stored_per_key : int
        Most finished hedges kept per key (default 1000): beyond it the oldest are deleted;
        0 means no limit.
    cleanup_interval : float
        Seconds between two retention clean-ups (default 600; one also runs at start).
    cancel_poll : float
        Seconds between two checks for running jobs cancelled from outside this process
        (``hedgekit keys revoke``); default 0.5. A ``DELETE`` stops its job at once.
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
    max_queued_per_key: int = 25
    max_running_per_key: int | None = None
    retain_days: float = 30.0
    max_stored_per_key: int = 1000
    cleanup_interval: float = 600.0
    cancel_poll: float = 0.5

    @property
    def database(self) -> Path:
        """The database path in effect."""
        return self.db_path if self.db_path is not None else default_db_path(self.data_home)

    @property
    def running_per_key(self) -> int:
        """The per-key concurrency cap in effect."""
        if self.max_running_per_key is not None:
            return self.max_running_per_key
        return max(1, self.workers - 1)

    @property
    def queued_per_key(self) -> int:
        """The per-key queue share in effect (never above the queue size)."""
        return min(self.max_queued_per_key, self.queue_size)

    def validate(self) -> None:
        """Raise ConfigurationError naming the bad setting and a valid value."""
        ints = {
            "workers": (self.workers, 1, 64),
            "queue_size": (self.queue_size, 1, 1_000_000),
            "max_attempts": (self.max_attempts, 1, 100),
            "rate_burst": (self.rate_burst, 1, 1_000_000),
            "max_body_bytes": (self.max_body_bytes, 1024, 1 << 30),
            "max_queued_per_key": (self.max_queued_per_key, 1, 1_000_000),
            "max_running_per_key": (self.running_per_key, 1, 64),
            "max_stored_per_key": (self.max_stored_per_key, 0, 1_000_000_000),
        }
        for name, (value, lo, hi) in ints.items():
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ConfigurationError(f"{name}={value!r}: use a whole number in {lo}..{hi}")
        for name, x in (
            ("rate_per_second", self.rate_per_second),
            ("shutdown_timeout", self.shutdown_timeout),
            ("cleanup_interval", self.cleanup_interval),
            ("cancel_poll", self.cancel_poll),
        ):
            if not isinstance(x, int | float) or not math.isfinite(x) or x <= 0:
                raise ConfigurationError(f"{name}={x!r}: use a positive number, e.g. 10")
        days = self.retain_days
        if not isinstance(days, int | float) or not math.isfinite(days) or days < 0:
            raise ConfigurationError(
                f"retain_days={days!r}: use a number of days >= 0, e.g. 30 (0 keeps results "
                "forever)"
            )
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigurationError(
                    f"CORS origin {origin!r} is not an origin; write it like https://example.com"
                )
