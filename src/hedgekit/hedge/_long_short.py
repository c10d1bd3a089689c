"""Long/short hedges and hedges of net-short books: the rules of their parameters, their
tracking-problem terms and what the result reports about their two sides.

A long/short hedge (``allow_long_short``) holds names on both sides within a gross and a
net bound; a net-short book is hedged by a basket bought rather than sold. In both the
optimizer's weights ``w`` are in the hedge's orientation: ``w_i > 0`` is a name held
against the book (sold for a net-long book, bought for a net-short one), ``w_i < 0`` one
held on the book's own side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "check_long_short",
    "check_long_short_request",
    "long_short_terms",
    "name_sides",
    "side_summary",
    "trade_sides",
]

#: the default gross bound, a multiple of the hedge ratio
DEFAULT_GROSS = 1.5


def check_long_short(settings: Any, stocks: float) -> float:
    """Check the long/short settings of :class:`~hedgekit.hedge.HedgeSettings`; return the
    percent of the hedge notional that ``max_names`` names of ``max_weight`` must reach
    (``stocks``, the stock budget, unless the net bounds allow less).

    Raises
    ------
    ValueError
        A bound without ``allow_long_short``, ``min_net > max_net``, a gross below the net,
        or a setting long/short does not combine with.
    """
    s = settings
    given = [k for k in ("max_gross", "min_net", "max_net") if getattr(s, k) is not None]
    if not s.allow_long_short:
        if given:
            raise ValueError(
                f"{given[0]} bounds a long/short hedge: set allow_long_short "
                "(--long-short in the CLI) or drop it"
            )
        return stocks
    budget = s.max_leverage * (1.0 - (s.percentage_in_cash or 0.0) / 100.0)
    lo = budget if s.min_net is None else s.min_net
    hi = budget if s.max_net is None else s.max_net
    gross = DEFAULT_GROSS * s.max_leverage if s.max_gross is None else s.max_gross
    if lo > hi:
        raise ValueError(f"min_net={lo:g}% is above max_net={hi:g}%; swap or fix them")
    least = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
    if gross < least - 1e-9:
        raise ValueError(
            f"max_gross={gross:g}% is below the net {least:g}% the hedge must hold (the gross "
            f"is at least the net); raise max_gross to >= {least:g}% or lower min_net"
        )
    clashes = [
        label
        for label, bad in (
            ("min_weight", s.min_weight > 0),
            ("lasso_weight", s.lasso_weight > 0),
            ("min_names", s.min_names is not None),
        )
        if bad
    ]
    if clashes:
        raise ValueError(
            f"allow_long_short does not combine with {', '.join(clashes)} yet; drop "
            f"{'it' if len(clashes) == 1 else 'them'} or the long/short hedge"
        )
    return 100.0 * least / s.max_leverage


def check_long_short_request(request: Any) -> None:
    """The request-level rules of a long/short hedge: no ``'nlp'`` method."""
    if request.method == "nlp":
        raise ValueError(
            "parameters.allow_long_short needs a method fitted to returns ('returns', "
            "'factor' or 'hybrid'); the 'nlp' basket is equal weights on one side"
        )


def long_short_terms(params: Any) -> dict[str, Any]:
    """The :class:`~hedgekit.optimize.TrackingProblem` fields of a long/short hedge, in
    units of portfolio notional (none for a long-only one)."""
    if not params.allow_long_short:
        return {}
    h = params.stock_budget
    gross = DEFAULT_GROSS * params.max_leverage if params.max_gross is None else params.max_gross
    return {
        "long_short": True,
        "max_gross": gross / 100.0,
        "net_lower": h if params.min_net is None else params.min_net / 100.0,
        "net_upper": h if params.max_net is None else params.max_net / 100.0,
        "min_weight": 0.0,
    }


def name_sides(weights: np.ndarray, book_side: int) -> np.ndarray:
    """``'short'`` or ``'long'`` per hedge name from its weight in the hedge's orientation
    and the book's side (``1`` net long, ``-1`` net short)."""
    return np.where(np.sign(weights) * book_side > 0, "short", "long")


def trade_sides(current: Any, target: Any) -> np.ndarray:
    """The side of each trade from a position ``current`` to ``target`` (shares, negative
    sold short, positive bought): ``SELL_SHORT`` (more short), ``BUY_TO_COVER`` (less
    short), ``BUY`` (more long), ``SELL`` (less long), and ``SELL/SELL_SHORT`` or
    ``BUY_TO_COVER/BUY`` for a trade that crosses zero; ``''`` for no trade."""
    q0 = np.asarray(current, dtype="float64")
    q1 = np.asarray(target, dtype="float64")
    down = np.where(q1 >= 0, "SELL", np.where(q0 <= 0, "SELL_SHORT", "SELL/SELL_SHORT"))
    up = np.where(q1 <= 0, "BUY_TO_COVER", np.where(q0 >= 0, "BUY", "BUY_TO_COVER/BUY"))
    return np.where(q1 < q0, down, np.where(q1 > q0, up, ""))


def side_summary(params: Any, constituents: Any, portfolio_notional: float) -> dict[str, Any]:
    """The diagnostics of a long/short hedge or of a net-short book's hedge: each side's
    notional, the gross and the net (hedging side minus the other) in USD and in percent of
    the portfolio notional, and the bounds asked for."""
    notional = constituents["notional"].to_numpy(dtype="float64")
    short = constituents["side"].to_numpy() == "short"
    short_usd, long_usd = float(notional[short].sum()), float(notional[~short].sum())
    book_long = portfolio_notional > 0
    hedging, other = (short_usd, long_usd) if book_long else (long_usd, short_usd)
    base = abs(portfolio_notional)
    out: dict[str, Any] = {
        "book": "net long" if book_long else "net short",
        "hedge_side": "short" if book_long else "long",
        "short_usd": short_usd,
        "long_usd": long_usd,
        "gross_pct": 100.0 * (short_usd + long_usd) / base,
        "net_pct": 100.0 * (hedging - other) / base,
    }
    if params.allow_long_short:
        terms = long_short_terms(params)
        out["max_gross_pct"] = 100.0 * terms["max_gross"]
        out["min_net_pct"] = 100.0 * terms["net_lower"]
        out["max_net_pct"] = 100.0 * terms["net_upper"]
    return out
