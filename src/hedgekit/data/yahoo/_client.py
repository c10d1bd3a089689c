"""What :func:`~hedgekit.data.yahoo.pull` needs from Yahoo Finance: the
:class:`YahooClient` protocol and the shape of its answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import pandas as pd

__all__ = ["HISTORY_COLUMNS", "PROFILE_FIELDS", "YahooClient"]

#: Columns of a :meth:`YahooClient.history` frame, one row per (date, ticker).
HISTORY_COLUMNS: tuple[str, ...] = (
    "date",
    "ticker",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
)

#: Keys of a :meth:`YahooClient.profile` dict; any may be None.
PROFILE_FIELDS: tuple[str, ...] = (
    "name",
    "sector",
    "industry",
    "country",
    "currency",
    "summary",
    "shares_outstanding",
    "exchange",
    "employees",
)


class YahooClient(Protocol):
    """What :func:`pull` needs from Yahoo Finance.

    Implementations do the network calls and nothing else; caching, validation and
    storage are :func:`pull`'s job.
    """

    def history(self, tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
        """Daily prices of ``tickers`` from ``start`` to ``end``, both inclusive.

        Returns
        -------
        DataFrame
            Long format with the columns :data:`HISTORY_COLUMNS`: ``date`` (the
            exchange-local trading date, tz-naive), ``ticker``, raw ``open``,
            ``high``, ``low``, ``close`` split-adjusted, ``adj_close`` split- and
            dividend-adjusted (as Yahoo serves them), ``volume`` in shares. A ticker
            Yahoo does not know has no rows.

        Raises
        ------
        DataError
            The request failed (network, rate limit); the message names the tickers.
        """
        ...

    def profile(self, ticker: str) -> dict[str, Any]:
        """Company profile of ``ticker`` with the keys :data:`PROFILE_FIELDS`.

        ``summary`` is the long business summary, ``shares_outstanding`` the share
        count of the listed class, ``currency`` the quote currency (ISO code).

        Raises
        ------
        DataError
            The request failed.
        """
        ...


def _empty_history() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="float64") for c in HISTORY_COLUMNS})
    out["date"] = pd.Series(dtype="datetime64[ns]")
    out["ticker"] = pd.Series(dtype="string")
    return out
