"""Data quality report of a market data store (``hedgekit data check``).

:func:`check_data` inspects an imported store and returns a :class:`QualityReport`
with one :class:`QualitySection` per concern, each with a status (``ok``, ``warn``
or ``fail``), a one-line reason, headline metrics and detail tables:

1. ``coverage``: rows, tickers and date span of every table in the store;
2. ``prices``: per ticker life span, missing days and gaps, stale closes, spikes,
   zero-volume days and non-positive values;
3. ``identity``: possible ticker reuse, names without a name or GICS, index members
   without prices (survivorship), ticker changes (aliases);
4. ``descriptions``: coverage of each vintage and source;
5. ``fundamentals``: coverage by fiscal year and source, estimated publish dates,
   staleness at the last date;
6. ``market_cap``: where the share counts of index members come from, at each year end;
7. ``limits``: the data's known limits as plain text, and the import history.

One module per check (``_coverage``, ``_prices``, ``_identity``, ``_descriptions``,
``_fundamentals``, ``_market_cap``, ``_limits``); the result types live in ``_report``,
the entry point in ``_check`` and the chart in ``_plot``.
"""

from __future__ import annotations

from hedgekit.data.quality._check import check_data
from hedgekit.data.quality._plot import plot_coverage
from hedgekit.data.quality._report import QualityReport, QualitySection, Status

__all__ = ["QualityReport", "QualitySection", "Status", "check_data", "plot_coverage"]
