"""Pull prices and company profiles from Yahoo Finance, incrementally and cached.

:func:`pull` brings a list of tickers up to date in the store:

- **incremental**: a ticker already in the store is fetched from its last stored date
  (one overlapping day, see below) to ``end``; a new ticker from ``start``;
- **cached**: every raw response is kept as Parquet under ``<home>/cache/yahoo/``,
  keyed by ticker and requested date range, and reused whenever a cached range covers
  the one asked for; profiles are reused while younger than ``profile_max_age`` days;
- **atomic**: prices, securities, descriptions and a market-cap snapshot are validated
  with :func:`~hedgekit.data._validate.coerce_table` and committed in one store
  transaction, after every network call has succeeded.

Yahoo's prices are adjusted *backwards from the day they are fetched*: ``close`` for
splits, ``adj_close`` for splits and dividends. When a split or a dividend happens
after the last pull, the stored history is on an older basis than the new rows. The
overlapping day measures the change of basis, and the stored rows are rescaled onto
the new one, so the stored series always equals what a full download would return.

The network lives behind the small :class:`YahooClient` protocol;
:class:`YFinanceClient` implements it with ``yfinance`` (``pip install
'hedgekit[yahoo]'``), tests use an in-memory fake.

One module per job: ``_client`` is the :class:`YahooClient` protocol and the shape of its
answers, ``_yfinance`` its implementation, ``_cache`` the raw responses on disk,
``_fetch`` serves each price request from the cache or the client, ``_convert`` turns
profiles into store rows, ``_merge`` merges what was fetched into the stored tables, and
``_pull`` is the entry point :func:`pull` that plans, fetches, checks and writes.
"""

from __future__ import annotations

from hedgekit.data.yahoo._client import HISTORY_COLUMNS, PROFILE_FIELDS, YahooClient
from hedgekit.data.yahoo._convert import YAHOO_TO_GICS_SECTOR
from hedgekit.data.yahoo._pull import pull
from hedgekit.data.yahoo._yfinance import YFinanceClient, parse_download

__all__ = [
    "HISTORY_COLUMNS",
    "PROFILE_FIELDS",
    "YAHOO_TO_GICS_SECTOR",
    "YFinanceClient",
    "YahooClient",
    "parse_download",
    "pull",
]
