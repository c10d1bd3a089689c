"""The immutable result of a performance hedge."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._optional import import_optional

__all__ = ["PerformanceHedgeResult"]


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True)
class PerformanceHedgeResult:
    """Everything a performance hedge produced; build it with ``PerformanceHedge.calculate``.

    Attributes
    ----------
    date : Timestamp
        The hedge date (positions priced at its close).
    portfolio : DataFrame
        The positions: ticker, quantity, price, notional, weight.
    constituents : DataFrame
        The hedge basket, one row per name (see :meth:`get_constituents`).
    statistics : DataFrame
        Measures by row; columns ``(sample, leg)`` with sample in ``in_sample`` /
        ``out_of_sample`` and leg in ``Portfolio`` / ``Hedge`` / ``Hedged Portfolio``.
    returns : DataFrame
        Periodic returns of portfolio, hedge (per unit of hedge notional) and hedged portfolio
        (per unit of portfolio notional), with a ``sample`` column.
    diagnostics : dict
        Candidate counts, filters, optimizer status and timing, warnings.
    risk_report : dict, optional
        Factor hedges only: ``exposures`` (factor x portfolio / hedge / hedged, per unit of
        portfolio notional), ``predicted_risk`` (total, factor and specific volatility of
        each leg under the model, annualised), ``factor_correlation`` (predicted
        correlation of the portfolio's and the hedge's factor returns) and ``model``.
    benchmarks : DataFrame, optional
        Growth of 1 of SPY and the portfolio's sector fund over the backtest's dates.
    trades : DataFrame, optional
        A rebalance only (``current_hedge``): the trades from the current hedge (see
        :meth:`get_trades`); ``diagnostics['rebalance']`` sums them up.
    """

    date: pd.Timestamp
    portfolio: pd.DataFrame
    constituents: pd.DataFrame
    statistics: pd.DataFrame
    returns: pd.DataFrame
    parameters: dict[str, Any]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = False
    risk_report: dict[str, Any] | None = None
    benchmarks: pd.DataFrame | None = None
    trades: pd.DataFrame | None = None

    # ------------------------------------------------------------------ Marquee-style getters
    def get_constituents(self) -> pd.DataFrame:
        """The hedge basket: identifier, name, country, sector, industry, currency, shares,
        price, notional, weight (% of hedge), transaction cost, marginal cost, borrow cost,
        ADV %, days to trade, correlation with the portfolio, contribution to tracking error."""
        return self.constituents.copy()

    def get_statistics(self) -> pd.DataFrame:
        """Statistics of portfolio, hedge and hedged portfolio, in and out of sample."""
        return self.statistics.copy()

    def get_holding_error(self) -> pd.Series:
        """The holding error (see ``docs/hedge.md``, "Holding error"): the predicted,
        annualised tracking error of the whole-share basket against the optimiser's
        weights over the observation window (``holding_error``), beside the in-sample
        tracking error of the ideal weights and of the basket held; per unit of the
        portfolio's notional. Also the ``holding_error`` row of :meth:`get_statistics`."""
        return pd.Series(self.diagnostics["holding_error"], name="holding_error", dtype=float)

    def get_factor_exposures(self) -> pd.DataFrame:
        """Factor exposures of portfolio, hedge and hedged portfolio (factor hedges only)."""
        return self._risk("exposures")

    def get_predicted_risk(self) -> pd.DataFrame:
        """Predicted total, factor and specific volatility per leg (factor hedges only)."""
        return self._risk("predicted_risk")

    def get_trades(self) -> pd.DataFrame:
        """A rebalance's trades, one row per name whose shares change: ``side``
        (``SELL_SHORT`` adds to the short, ``BUY_TO_COVER`` reduces it; for a net-short
        book's long hedge ``BUY`` adds to it, ``SELL`` reduces it), ``shares`` traded,
        current and target shares held against the book, ``trade_shares`` (signed), ``price``,
        ``notional``, ``cost_bps`` and ``cost_usd`` (half spread plus impact) and
        ``reason`` (names sold because they are no longer eligible)."""
        return self._trades().copy()

    def get_turnover_frontier(self, levels: Any = None, market: Any = None) -> pd.DataFrame:
        """A rebalance's in-sample tracking error against turnover, one row per turnover cap
        (``levels``, percent of the hedge notional; default 0 to 200 and no cap), the other
        parameters as this hedge's: refits on the hedge date (see
        :meth:`PerformanceHedge.turnover_frontier <hedgekit.hedge.PerformanceHedge>`)."""
        from hedgekit.hedge._monitor import parameters_from_result
        from hedgekit.hedge._parameters import Position, PositionSet
        from hedgekit.hedge._performance import PerformanceHedge

        self._trades()
        info = self.diagnostics["rebalance"]
        current = PositionSet(
            [Position(t, quantity=q) for t, q in info["current_hedge"].items()], self.date
        )
        params = parameters_from_result(self).replace(current_hedge=current)
        return PerformanceHedge(params, market).turnover_frontier(levels)

    def plot_turnover_frontier(
        self, path: str | Path, levels: Any = None, market: Any = None
    ) -> Path:
        """Save the turnover frontier (:meth:`get_turnover_frontier`) as a PNG: tracking error
        against turnover, this hedge marked. Needs matplotlib (the plot extra)."""
        Figure = import_optional("matplotlib.figure", extra="plot", purpose="plotting").Figure
        front = self.get_turnover_frontier(levels, market).dropna(subset=["turnover"])
        info = self.diagnostics["rebalance"]
        fig = Figure(figsize=(7, 4.5))
        ax = fig.subplots()
        ax.plot(front["turnover"], 100 * front["tracking_error"], marker="o", label="frontier")
        te = float(self.statistics[("in_sample", "Hedge")]["tracking_error"])
        ax.scatter([info["turnover_pct"]], [100 * te], color="tab:red", zorder=3,
                   label="this rebalance (whole shares)")  # fmt: skip
        ax.set_xlabel("turnover, % of the hedge notional")
        ax.set_ylabel("in-sample tracking error, % a year")
        ax.set_title(f"Rebalance on {self.date:%Y-%m-%d}: tracking error vs turnover")
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, dpi=110)
        return out

    def _trades(self) -> pd.DataFrame:
        if self.trades is None:
            from hedgekit._errors import ConfigurationError

            raise ConfigurationError(
                "this hedge is not a rebalance; calculate it with current_hedge (the hedge "
                "held now) to get trades"
            )
        return self.trades

    def _risk(self, key: str) -> pd.DataFrame:
        if self.risk_report is None:
            from hedgekit._errors import ConfigurationError

            raise ConfigurationError(
                "this hedge has no risk-model report; calculate it with method='factor'"
            )
        return pd.DataFrame(self.risk_report[key]).copy()

    def get_backtest_performance(self) -> pd.DataFrame:
        """Cumulative performance (1.0 at the start of the window) of portfolio, hedge and
        hedged portfolio, beside SPY and the portfolio's sector fund when the data holds
        them, with a ``sample`` column (``in_sample`` / ``out_of_sample``)."""
        rets = self.returns
        out = (1.0 + rets[["portfolio", "hedge", "hedged"]]).cumprod()
        if self.benchmarks is not None:
            # benchmark curves beside the hedge (SPY, the sector fund), also from 1.0
            out = out.join(self.benchmarks.reindex(out.index))
        out["sample"] = rets["sample"]
        return out

    def get_backtest_correlation(self, window: int = 44) -> pd.Series:
        """Rolling correlation of portfolio and hedge returns over ``window`` periods."""
        if window < 3:
            from hedgekit._errors import ConfigurationError

            raise ConfigurationError(f"window={window} is too short; use at least 3 periods")
        rets = self.returns
        return rets["portfolio"].rolling(window).corr(rets["hedge"]).rename(f"correlation_{window}")

    def get_exposure_summary(self) -> pd.Series:
        """Long, short, gross and net exposure of the hedged portfolio (the positions and
        the hedge) in USD, and each as a fraction of the portfolio's absolute net notional;
        then the hedge's own: ``hedge_long``, ``hedge_short``, ``hedge_gross`` and
        ``hedge_net`` (the side that hedges the book minus the other: short minus long for
        a net-long book, long minus short for a net-short one), same units."""
        notional = self.portfolio["notional"]
        hedge = self.constituents["notional"]
        short_names = self._sides() == "short"
        h_short = float(hedge[short_names].sum())
        h_long = float(hedge[~short_names].sum())
        long = float(notional.clip(lower=0).sum()) + h_long
        short = float(-notional.clip(upper=0).sum()) + h_short
        net_book = float(notional.sum())
        base = abs(net_book)
        hedging = h_short - h_long if net_book >= 0 else h_long - h_short
        usd = {"long": long, "short": short, "gross": long + short, "net": long - short}
        usd.update(
            {
                "hedge_long": h_long,
                "hedge_short": h_short,
                "hedge_gross": h_long + h_short,
                "hedge_net": hedging,
            }
        )
        keys = ["long", "short", "gross", "net"]
        out = {f"{k}_usd": usd[k] for k in keys}
        out.update({f"{k}_pct": usd[k] / base if base else float("nan") for k in keys})
        hedge_keys = ["hedge_long", "hedge_short", "hedge_gross", "hedge_net"]
        out.update({f"{k}_usd": usd[k] for k in hedge_keys})
        out.update({f"{k}_pct": usd[k] / base if base else float("nan") for k in hedge_keys})
        return pd.Series(out, name="exposure")

    def _sides(self) -> pd.Series:
        """``'short'`` or ``'long'`` per hedge name (all ``'short'`` in a result without the
        column)."""
        if "side" in self.constituents.columns:
            return self.constituents["side"]
        return pd.Series("short", index=self.constituents.index)

    def _signed_shares(self) -> pd.Series:
        """The hedge's shares as a position: negative sold short, positive bought."""
        q = self.constituents["shares"].astype("float64")
        return q.where(self._sides() == "long", -q)

    def get_value_at_risk(self, confidence: float = 0.95, sample: str = "in_sample") -> pd.Series:
        """Historical one-period value at risk of the portfolio and the hedged portfolio:
        the loss not exceeded with ``confidence`` over the returns of ``sample``, as a
        fraction of the portfolio's notional and in USD."""
        if not 0.5 < confidence < 1.0:
            from hedgekit._errors import ConfigurationError

            raise ConfigurationError(f"confidence={confidence} must be between 0.5 and 1")
        rets = self.returns[self.returns["sample"] == sample]
        if rets.empty:
            from hedgekit._errors import ConfigurationError

            raise ConfigurationError(
                f"sample={sample!r} holds no returns; use 'in_sample' or 'out_of_sample'"
            )
        base = abs(float(self.portfolio["notional"].sum()))
        q = 1.0 - confidence
        var = {leg: float(-rets[leg].quantile(q)) for leg in ("portfolio", "hedged")}
        return pd.Series(
            {
                "portfolio_pct": var["portfolio"],
                "hedged_pct": var["hedged"],
                "portfolio_usd": var["portfolio"] * base,
                "hedged_usd": var["hedged"] * base,
                "reduction": 1.0 - var["hedged"] / var["portfolio"]
                if var["portfolio"] > 0
                else float("nan"),
            },
            name=f"var_{confidence:.0%}",
        )

    def to_hedged_position_set(self) -> Any:
        """The hedged portfolio (the positions and the short basket) as a PositionSet."""
        from hedgekit.hedge._parameters import Position, PositionSet

        held = [Position(str(t), quantity=float(q)) for t, q in self.portfolio["quantity"].items()]
        hedge = [Position(str(t), quantity=float(q)) for t, q in self._signed_shares().items()]
        return PositionSet([*held, *hedge], self.date)

    def monitor(
        self, as_of: Any = None, market: Any = None, *, rebalance_trades: bool = True
    ) -> Any:
        """How this hedge has done since its date, held with fixed shares, and whether to
        rebalance (see :func:`hedgekit.hedge.monitor_hedge`), whatever its sides (a short
        hedge, a net-short book's long hedge, a long/short hedge): the predicted tracking error
        and correlation are the fit's in-sample ones; with ``rebalance_trades`` the trades
        to a fresh fit on ``as_of`` with the same parameters.

        Parameters
        ----------
        as_of : date-like, optional
            Monitoring date (default: the data's last date); nothing after it is read.
        market : MarketData, optional
            Default: the process's market of the default store.
        rebalance_trades : bool
            Fit a fresh hedge on ``as_of`` and list the trades to it.
        """
        from hedgekit.hedge._monitor import monitor_hedge, parameters_from_result

        stats = self.statistics
        fit = stats[("in_sample", "Hedge")]
        te = float(fit["tracking_error"])
        corr = float(fit["correlation_with_portfolio"])
        return monitor_hedge(
            self.portfolio["quantity"].to_dict(),
            self._signed_shares().to_dict(),
            self.date,
            as_of,
            market,
            predicted_tracking_error=te,
            fitted_correlation=corr,
            parameters=parameters_from_result(self) if rebalance_trades else None,
            baskets=[u for u in self.parameters.get("universe", ()) if isinstance(u, dict)],
            signed=True,
        )

    def to_position_set(self) -> Any:
        """The hedge as a :class:`PositionSet`: names sold short as negative quantities,
        names bought (a long/short or a long hedge) as positive ones."""
        from hedgekit.hedge._parameters import Position, PositionSet

        return PositionSet(
            [Position(str(t), quantity=float(q)) for t, q in self._signed_shares().items()],
            self.date,
        )

    def plot(self, path: str | Path, window: int = 44) -> Path:
        """Save a PNG: cumulative performance of the three legs (in and out of sample) and
        the rolling correlation of portfolio and hedge. Needs matplotlib (the plot extra).

        Raises
        ------
        MissingDependencyError
            matplotlib is not installed.
        """
        # a Figure, not pyplot: the caller's backend (e.g. Jupyter's inline) is untouched
        Figure = import_optional("matplotlib.figure", extra="plot", purpose="plotting").Figure

        perf = self.get_backtest_performance()
        corr = self.get_backtest_correlation(window)
        fig = Figure(figsize=(10, 7))
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
        labels = {"portfolio": "portfolio", "hedge": "hedge (short basket)", "hedged": "hedged"}
        for col, label in labels.items():
            top.plot(perf.index, perf[col], label=label)
        for col in self.benchmarks.columns if self.benchmarks is not None else ():
            top.plot(perf.index, perf[col], linestyle="--", linewidth=1,
                     label=self._benchmark_label(str(col)))  # fmt: skip
        oos = perf.index[perf["sample"] == "out_of_sample"]
        for ax in (top, bottom):
            if len(oos):
                ax.axvspan(oos[0], oos[-1], color="0.92", zorder=0)
            ax.axvline(self.date, color="0.4", linestyle="--", linewidth=1)
            ax.grid(alpha=0.3)
        title = f"Performance hedge as of {self.date:%Y-%m-%d}"
        if self.synthetic:
            title += " (SYNTHETIC demo data)"
        top.set_title(title + "; shaded: out of sample")
        top.set_ylabel("growth of 1")
        top.legend(loc="best")
        bottom.plot(corr.index, corr, color="tab:purple")
        bottom.set_ylabel(f"{window}-period correlation")
        bottom.set_ylim(-1, 1)
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, dpi=110)
        return out

    def _benchmark_label(self, col: str) -> str:
        """A benchmark curve's legend: the fund's role or the NLP basket's size."""
        from hedgekit.hedge._universe import SECTOR_ETFS

        if col in SECTOR_ETFS:
            return f"{col} (sector fund: {SECTOR_ETFS[col]})"
        if col == "SPY":
            return "SPY (S&P 500)"
        members = (self.diagnostics.get("nlp_benchmark") or {}).get("members") or []
        return f"{col} ({len(members)} nearest descriptions, equal weight)"

    # ------------------------------------------------------------------ export
    def basket(self) -> pd.DataFrame:
        """The tradable basket: identifier, side (``SELL_SHORT``, or ``BUY`` for a name the
        hedge buys), shares, price, notional, weight (% of the hedge notional)."""
        c = self.constituents
        return pd.DataFrame(
            {
                "identifier": c.index,
                "side": np.where(self._sides().to_numpy() == "long", "BUY", "SELL_SHORT"),
                "shares": c["shares"].astype("int64").to_numpy(),
                "price": c["price"].to_numpy(),
                "notional": c["notional"].to_numpy(),
                "weight_pct": c["weight"].to_numpy(),
            }
        )

    def to_basket_csv(self, path: str | Path | None = None) -> str:
        """The basket as CSV text; also written to ``path`` when given."""
        # fixed decimals (cents for notionals), never scientific notation
        b = self.basket().round({"price": 4, "notional": 2, "weight_pct": 4})
        text = b.to_csv(index=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    def to_basket_json(self, path: str | Path | None = None) -> str:
        """The basket as JSON text; also written to ``path``.

        ``date``, ``currency``, ``positions`` (the basket's rows) and what monitoring it
        later needs (:func:`hedgekit.hedge.monitor_basket`, ``hedgekit monitor``): the
        ``portfolio`` hedged (identifier, quantity), the ``fit`` (in-sample tracking error
        and correlation) and the ``parameters``.
        """
        fit = self.statistics[("in_sample", "Hedge")]
        payload = {
            "date": f"{self.date:%Y-%m-%d}",
            "currency": "USD",
            "synthetic": self.synthetic,
            "positions": _clean(self.basket().to_dict("records")),
            "portfolio": [
                {"identifier": str(t), "quantity": float(q)}
                for t, q in self.portfolio["quantity"].items()
            ],
            "fit": _clean(
                {
                    "tracking_error": float(fit["tracking_error"]),
                    "correlation": float(fit["correlation_with_portfolio"]),
                }
            ),
            "parameters": _clean(self.parameters),
        }
        text = json.dumps(payload, indent=2)
        if path is not None:
            Path(path).write_text(text)
        return text

    def to_frame(self) -> pd.DataFrame:
        """The constituents table."""
        return self.get_constituents()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the whole result (series as lists)."""
        stats = {
            f"{col[0]}.{col[1]}": _clean(self.statistics[col].to_dict())
            for col in self.statistics.columns
        }
        perf = self.get_backtest_performance()
        corr = self.get_backtest_correlation()
        out = {
            "date": f"{self.date:%Y-%m-%d}",
            "synthetic": self.synthetic,
            "parameters": _clean(self.parameters),
            "portfolio": _clean(self.portfolio.reset_index().to_dict("records")),
            "constituents": _clean(self.constituents.reset_index().to_dict("records")),
            "statistics": stats,
            "backtest": {
                "dates": [f"{d:%Y-%m-%d}" for d in perf.index],
                "sample": list(perf["sample"]),
                **{k: _clean(perf[k].tolist()) for k in ("portfolio", "hedge", "hedged")},
                "correlation_44": _clean(corr.tolist()),
                "benchmarks": {
                    str(c): _clean(perf[c].tolist())
                    for c in (self.benchmarks.columns if self.benchmarks is not None else [])
                },
            },
            "diagnostics": _clean(self.diagnostics),
            "risk_report": None
            if self.risk_report is None
            else {
                "exposures": _clean(self.risk_report["exposures"].to_dict("index")),
                "predicted_risk": _clean(self.risk_report["predicted_risk"].to_dict("index")),
                "factor_correlation": _clean(self.risk_report["factor_correlation"]),
                "model": _clean(self.risk_report["model"]),
            },
        }
        if self.trades is not None:  # a rebalance
            out["trades"] = _clean(self.trades.reset_index().to_dict("records"))
        return out
