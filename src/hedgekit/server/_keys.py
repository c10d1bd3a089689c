"""API keys: created once, shown once, stored as SHA-256 hashes.

A key is ``hk_`` followed by 43 URL-safe characters (256 random bits from
:func:`secrets.token_urlsafe`). With that much entropy a plain SHA-256 is a safe way to
store it (a slow password hash only matters for guessable secrets); the database never
holds a key, and logs never print one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass

from hedgekit._errors import ConfigurationError, HedgekitError
from hedgekit.server._db import Database, cancellation, utcnow

__all__ = ["ApiKey", "KeyStore", "hash_key"]

_PREFIX = "hk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
#: characters shown by ``keys list`` so a person can tell keys apart (about 40 of 256 bits)
_SHOWN = 10


def hash_key(key: str) -> str:
    """Hex SHA-256 of a key, as stored."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the key itself).

    Attributes
    ----------
    id : int
        Owner id of the key's hedges.
    name : str
        The name given at creation.
    prefix : str
        The key's first characters, to recognise it.
    created_at, revoked_at : str
        UTC timestamps; ``revoked_at`` is None for a live key.
    hedges : int
        Number of hedges the key owns.
    cancelled : int
        Set by :meth:`KeyStore.revoke`: the key's queued and running hedges it cancelled.
    """

    id: int
    name: str
    prefix: str
    created_at: str
    revoked_at: str | None = None
    hedges: int = 0
    cancelled: int = 0

    @property
    def active(self) -> bool:
        """Whether the key is accepted."""
        return self.revoked_at is None


class KeyStore:
    """Create, list, revoke and check API keys in the service database.

    Parameters
    ----------
    db : Database

    Examples
    --------
    >>> keys = KeyStore(Database("/tmp/hk/server/hedgekit.db"))  # doctest: +SKIP
    >>> secret = keys.create("alice")                             # doctest: +SKIP
    >>> keys.authenticate(secret).name                            # doctest: +SKIP
    'alice'
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str) -> str:
        """Create a key named ``name`` and return it; it cannot be shown again.

        Raises
        ------
        ConfigurationError
            The name is malformed or already used (names are never reused, so a revoked
            key's hedges can never pass to a new key).
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigurationError(
                f"key name {name!r} is not allowed; use 1-64 letters, digits and _.@- "
                "starting with a letter or digit, e.g. 'alice' or 'risk-desk'"
            )
        key = _PREFIX + secrets.token_urlsafe(32)
        try:
            self.db.connect().execute(
                "INSERT INTO api_keys (name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?)",
                (name, hash_key(key), key[:_SHOWN], utcnow()),
            )
        except sqlite3.IntegrityError:
            raise ConfigurationError(
                f"a key named {name!r} already exists (names are never reused, even after "
                "`hedgekit keys revoke`); choose another name"
            ) from None
        return key

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first, with the number of hedges it owns."""
        rows = self.db.connect().execute(
            "SELECT k.id, k.name, k.prefix, k.created_at, k.revoked_at, "
            "(SELECT COUNT(*) FROM jobs j WHERE j.key_id = k.id) AS hedges "
            "FROM api_keys k ORDER BY k.id"
        )
        return [ApiKey(**dict(r)) for r in rows]

    def revoke(self, name: str) -> ApiKey:
        """Revoke the key named ``name``: it is refused from the next request on.

        In the same transaction its queued and running hedges are marked ``cancelled``:
        no worker takes a queued one any more, and a running server stops a running one
        within its ``cancel_poll`` (half a second by default). Finished hedges stay until
        the retention deletes them.

        Raises
        ------
        HedgekitError
            No such key, or it is already revoked.
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT id, revoked_at FROM api_keys WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row["revoked_at"] is None:
                now = utcnow()
                conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (now, row["id"]))
                cancelled = conn.execute(
                    "UPDATE jobs SET status = 'cancelled', finished_at = ?, error = ? "
                    "WHERE key_id = ? AND status IN ('queued', 'running')",
                    (now, cancellation(f"key {name!r} was revoked"), row["id"]),
                ).rowcount
        if row is None:
            known = [k.name for k in self.list_keys()]
            hint = f"known keys: {', '.join(known)}" if known else "no key exists yet"
            raise HedgekitError(f"no key named {name!r}; {hint} (see `hedgekit keys list`)")
        if row["revoked_at"] is not None:
            raise HedgekitError(f"key {name!r} was already revoked at {row['revoked_at']}")
        key = next(k for k in self.list_keys() if k.name == name)
        return dataclasses.replace(key, cancelled=cancelled)

    def authenticate(self, key: str) -> ApiKey | None:
        """The live key matching ``key``, or None (unknown, malformed or revoked)."""
        if not key.startswith(_PREFIX) or len(key) > 256:
            return None
        digest = hash_key(key)
        row = (
            self.db.connect()
            .execute(
                "SELECT id, name, prefix, created_at, revoked_at, key_hash FROM api_keys "
                "WHERE key_hash = ?",
                (digest,),
            )
            .fetchone()
        )
        # the lookup is by hash (timing reveals nothing about the key); compare anyway
        if row is None or not hmac.compare_digest(row["key_hash"], digest):
            return None
        if row["revoked_at"] is not None:
            return None
        return ApiKey(
            id=row["id"], name=row["name"], prefix=row["prefix"], created_at=row["created_at"]
        )
