"""Tables of the market data store and of the hedgekit bundle format.

One :class:`TableSpec` per table: its columns with their kinds, the key that must
be unique, which columns a file must carry, and which must be strictly positive.
Importers validate every incoming frame against these specs before anything is
written (see ``docs/bundle_format.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["TABLES", "ColumnKind", "TableSpec", "table_spec"]

ColumnKind = Literal["date", "str", "float", "int", "bool"]


@dataclass(frozen=True)
class TableSpec:
    """Schema of one store table.

    Parameters
    ----------
    name : str
        Table name; the store file is ``<name>.parquet``.
    columns : dict of str to ColumnKind
        Every column the table holds, in order.
    key : tuple of str
        Columns whose combination must be unique.
    required : tuple of str
        Columns an input file must have (the others are filled with nulls).
    positive : tuple of str
        Columns whose non-null values must be > 0.
    non_negative : tuple of str
        Columns whose non-null values must be >= 0.
    not_null : tuple of str
        Columns that may not hold nulls (the key columns always are).
    description : str
        One line for the docs.
    """

    name: str
    columns: dict[str, ColumnKind]
    key: tuple[str, ...]
    required: tuple[str, ...]
    positive: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    description: str = ""
    sort: tuple[str, ...] = field(default=())

    @property
    def date_columns(self) -> tuple[str, ...]:
        """Columns of kind ``date``."""
        return tuple(c for c, k in self.columns.items() if k == "date")


_FUNDAMENTAL_FIELDS: dict[str, ColumnKind] = {
    "shares_basic": "float",
    "shares_diluted": "float",
    "total_assets": "float",
    "total_equity": "float",
    "short_term_debt": "float",
    "long_term_debt": "float",
    "total_liabilities": "float",
    "revenue": "float",
    "gross_profit": "float",
    "operating_income": "float",
    "net_income": "float",
}

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        TableSpec(
            "prices",
            {
                "date": "date",
                "ticker": "str",
                "open": "float",
                "high": "float",
                "low": "float",
                "close": "float",
                "adj_close": "float",
                "volume": "float",
            },
            key=("date", "ticker"),
            required=("date", "ticker", "close"),
            positive=("open", "high", "low", "close", "adj_close"),
            non_negative=("volume",),
            description=(
                "daily prices: OHLC and close as traded (vendors may split-adjust them), "
                "split and dividend adjusted close, volume in shares"
            ),
            sort=("ticker", "date"),
        ),
        TableSpec(
            "benchmarks",
            {"date": "date", "ticker": "str", "adj_close": "float", "volume": "float"},
            key=("date", "ticker"),
            required=("date", "ticker", "adj_close"),
            positive=("adj_close",),
            non_negative=("volume",),
            description="ETFs and indices used as benchmarks, hedges and universes",
            sort=("ticker", "date"),
        ),
        TableSpec(
            "securities",
            {
                "ticker": "str",
                "name": "str",
                "gics_sector": "str",
                "gics_industry_group": "str",
                "gics_industry": "str",
                "gics_sub_industry": "str",
                "country": "str",
                "region": "str",
                "currency": "str",
                "exchange": "str",
                "cik": "int",
                "first_price_date": "date",
                "last_price_date": "date",
                "possible_ticker_reuse": "bool",
            },
            key=("ticker",),
            required=("ticker",),
            description="one row per security: names, GICS levels, country, region, currency",
            sort=("ticker",),
        ),
        TableSpec(
            "classifications",
            {
                "snapshot_date": "date",
                "ticker": "str",
                "name": "str",
                "gics_sector": "str",
                "gics_sub_industry": "str",
                "cik": "int",
            },
            key=("snapshot_date", "ticker"),
            required=("snapshot_date", "ticker"),
            description="point-in-time GICS snapshots (index constituent lists)",
            sort=("snapshot_date", "ticker"),
        ),
        TableSpec(
            "index_membership",
            {"index": "str", "ticker": "str", "start_date": "date", "end_date": "date"},
            key=("index", "ticker", "start_date"),
            required=("ticker", "start_date"),
            description="membership intervals [start_date, end_date); null end = still a member",
            sort=("index", "ticker", "start_date"),
        ),
        TableSpec(
            "descriptions",
            {
                "ticker": "str",
                "as_of": "date",
                "source": "str",
                "name": "str",
                "sector": "str",
                "industry": "str",
                "country": "str",
                "employees": "float",
                "text": "str",
            },
            key=("ticker", "as_of", "source"),
            required=("ticker", "as_of", "text"),
            not_null=("text",),
            description="business descriptions, one row per vintage (as_of) and source",
            sort=("ticker", "as_of", "source"),
        ),
        TableSpec(
            "fundamentals",
            {
                "ticker": "str",
                "fiscal_year": "int",
                "source": "str",
                "period_end": "date",
                "publish_date": "date",
                "publish_date_estimated": "bool",
                **_FUNDAMENTAL_FIELDS,
            },
            key=("ticker", "fiscal_year", "source"),
            required=("ticker", "fiscal_year", "publish_date"),
            not_null=("publish_date",),
            non_negative=("shares_basic", "shares_diluted", "total_assets"),
            description="annual statements, usable only from publish_date on",
            sort=("ticker", "fiscal_year", "source"),
        ),
        TableSpec(
            "fundamentals_snapshots",
            {
                "snapshot_date": "date",
                "ticker": "str",
                "price": "float",
                "pe": "float",
                "dividend_yield": "float",
                "eps": "float",
                "market_cap": "float",
                "ebitda": "float",
                "ps": "float",
                "pb": "float",
                "book_value": "float",
            },
            key=("snapshot_date", "ticker"),
            required=("snapshot_date", "ticker"),
            non_negative=("market_cap",),
            description="sparse valuation snapshots (market cap in USD)",
            sort=("ticker", "snapshot_date"),
        ),
        TableSpec(
            "fama_french",
            {
                "date": "date",
                "mkt_rf": "float",
                "smb": "float",
                "hml": "float",
                "rmw": "float",
                "cma": "float",
                "rf": "float",
                "mom": "float",
            },
            key=("date",),
            required=("date", "mkt_rf", "rf"),
            description="Fama-French daily factor returns (decimal)",
            sort=("date",),
        ),
        TableSpec(
            "aliases",
            {
                "alias": "str",
                "ticker": "str",
                "start_date": "date",
                "end_date": "date",
                "source": "str",
            },
            key=("alias", "ticker", "start_date"),
            required=("alias", "ticker"),
            description="old or alternative tickers: alias meant ticker on [start_date, end_date)",
            sort=("alias", "start_date"),
        ),
        TableSpec(
            "hard_to_borrow",
            {
                "ticker": "str",
                "start_date": "date",
                "end_date": "date",
                "borrow_cost_bps": "float",
            },
            key=("ticker", "start_date"),
            required=("ticker",),
            non_negative=("borrow_cost_bps",),
            description="hard-to-borrow list with annual borrow cost in bps; dates bound validity",
            sort=("ticker", "start_date"),
        ),
        TableSpec(
            "restricted",
            {"ticker": "str", "start_date": "date", "end_date": "date", "reason": "str"},
            key=("ticker", "start_date"),
            required=("ticker",),
            description="restricted list (compliance); dates bound validity",
            sort=("ticker", "start_date"),
        ),
        TableSpec(
            "scores",
            {"ticker": "str", "date": "date", "score": "str", "value": "float"},
            key=("ticker", "date", "score"),
            required=("ticker", "date", "score", "value"),
            description="any numeric score per asset (ESG, ...), known from date on",
            sort=("score", "ticker", "date"),
        ),
        TableSpec(
            "corporate_actions",
            {
                "ticker": "str",
                "action_type": "str",
                "announce_date": "date",
                "effective_date": "date",
                "ratio": "float",
                "details": "str",
            },
            key=("ticker", "action_type", "effective_date"),
            required=("ticker", "action_type", "effective_date"),
            description="corporate actions (merger, spin_off...), known from announce_date",
            sort=("ticker", "effective_date"),
        ),
    ]
}


def table_spec(name: str) -> TableSpec:
    """Return the spec of table ``name`` or raise a clear error."""
    from hedgekit._errors import ConfigurationError

    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(sorted(TABLES))
        raise ConfigurationError(f"unknown table {name!r}; known tables: {known}") from None
