"""The walk-forward backtest report: Parquet results, PNG plots and one HTML page.

:func:`write_report` turns the engine's ``daily``, ``periods`` and ``targets`` frames into
a folder a reviewer can open without internet access::

    out_dir/
        report.html          the page (images referenced as the PNG files next to it,
                             or embedded with embed_images=True)
        results.parquet      the periods frame (one row per target, rebalance, method)
        daily.parquet        the daily frame (one row per target, method, rebalance, day;
                             only when a daily frame is given)
        summary.parquet      summarise(daily, periods): one row per (target, method)
        targets.parquet      the targets frame (name, sector, sub-industry)
        scatter.png          risk reduction per stock, method a vs method b, 45-degree line
        risk_reduction.png   distribution of risk reduction per method
        cumulative.png       cumulative mean hedged return per method and unhedged
        sector_heatmap.png   mean variance reduction per sector and method
"""

from __future__ import annotations

import base64
import html
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit._optional import import_optional
from hedgekit.backtest._config import BOUND
from hedgekit.backtest._metrics import (
    _check_methods,
    _group_labels,
    by_group,
    by_method,
    compare_all,
    winners,
)
from hedgekit.backtest._summary import (
    _check_daily,
    _hold_months,
    _require_frame,
    select_dates,
    summarise,
)
from hedgekit.typing import DateLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["REPORT_FILES", "write_report"]

logger = logging.getLogger(__name__)

#: the files :func:`write_report` writes (the PNGs only with ``plots=True``)
REPORT_FILES: tuple[str, ...] = (
    "report.html",
    "results.parquet",
    "daily.parquet",
    "summary.parquet",
    "targets.parquet",
    "scatter.png",
    "risk_reduction.png",
    "cumulative.png",
    "sector_heatmap.png",
)

_DASH = "–"


# ------------------------------------------------------------------ public
def write_report(
    daily: pd.DataFrame | None,
    periods: pd.DataFrame,
    targets: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    title: str,
    limits: Sequence[str],
    command: str | None = None,
    reference: str | None = None,
    scatter: tuple[str, str] | None = None,
    periods_per_year: int = 252,
    n_boot: int = 10_000,
    seed: int | None = 0,
    plots: bool = True,
    embed_images: bool = False,
    hold_months: int | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> Path:
    """Write the backtest's results, plots and an HTML report into ``out_dir``.

    Parameters
    ----------
    daily, periods : DataFrame
        The engine's frames, as described in :func:`hedgekit.backtest.summarise`;
        ``daily`` may be None (``load_results(run_dir, daily=False)``): the metrics then
        come from the periods' moments, and there is no cumulative plot nor
        ``daily.parquet``.
    targets : DataFrame
        Indexed by ticker with columns ``name`` and ``sector`` (GICS sector on the first
        rebalance date) and, optionally, ``sub_industry``; every target of ``daily`` and
        ``periods`` must have a row.
    out_dir : path-like
        The folder to write into (created if needed; existing report files are replaced).
    title : str
        The page's title.
    limits : sequence of str
        The data's limits (survivorship bias, stale fundamentals, ...), printed verbatim,
        one item each.
    command : str, optional
        The command that produced the backtest, printed verbatim.
    reference : str, optional
        The method every other one is tested against; ``'spy_beta'`` when present, else
        the method with the highest mean risk reduction (the perfect-foresight
        ``'bound'`` is never picked by default).
    scatter : (str, str), optional
        The two methods of the scatter plot (x, y); ``('factor', 'nlp')`` when both are
        present, else the two with the highest mean risk reduction (bound excluded).
    periods_per_year : int, default 252
        Trading days per year, to annualise.
    n_boot : int, default 10000
        Bootstrap resamples of the confidence intervals.
    seed : int or None, default 0
        Seed of the bootstraps.
    plots : bool, default True
        Draw the PNG plots (needs matplotlib).
    embed_images : bool, default False
        Embed the PNGs in the HTML as base64, so the page alone is complete; by default it
        references the PNG files next to it.
    hold_months : int, optional
        The protocol (1: rebalance; N > 1: set and forget with N-month holds); by default
        ``periods.attrs['hold_months']``, else 1.
    start, end : date-like, optional
        Report only the rebalance dates in ``[start, end]`` (e.g. validation years).

    Returns
    -------
    Path
        The path of ``report.html``.

    Raises
    ------
    DataError
        A frame is empty, lacks a column or a target, or holds unusable values (see
        :func:`hedgekit.backtest.summarise`).
    ConfigurationError
        ``limits`` is not a sequence of strings, ``title`` is empty, ``reference`` or a
        ``scatter`` method is unknown, or ``out_dir`` is a file.
    MissingDependencyError
        ``plots=True`` and matplotlib is not installed.

    Notes
    -----
    Everything is validated and computed before the first file is written, so a bad
    input leaves ``out_dir`` untouched.
    """
    if not isinstance(title, str) or not title.strip():
        raise ConfigurationError(f"title={title!r} must be a non-empty string")
    limit_list = _check_limits(limits)
    if command is not None and not isinstance(command, str):
        raise ConfigurationError(f"command={command!r} must be a string (the command line) or None")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigurationError(f"out_dir={str(out)!r} is a file; pass a folder to write into")
    tgt = _require_frame(
        targets, "targets", ["name", "sector"], "pass the engine's targets frame indexed by ticker"
    )

    hold = _hold_months(hold_months, periods)
    periods, daily = select_dates(periods, daily, start=start, end=end)
    summary = summarise(daily, periods, periods_per_year=periods_per_year, hold_months=hold)
    _group_labels(summary["target"], tgt, "sector")  # every target has a row
    methods = sorted(summary["method"].unique())
    boot: dict[str, Any] = {"n_boot": n_boot, "seed": seed}
    per_method = by_method(summary, **boot).sort_values("mean", ascending=False, kind="stable")
    ranked = list(per_method.index)
    hedges = [m for m in ranked if m != BOUND]  # what the defaults choose among
    ref = _reference(reference, methods, hedges)
    pair = _scatter_pair(scatter, methods, hedges)
    win = winners(summary)
    tests = compare_all(summary, ref, methods=ranked, **boot) if ref is not None else None
    sector_rr = by_group(summary, tgt, "sector", **boot)
    sector_vr = by_group(summary, tgt, "sector", metric="variance_reduction", **boot)
    clean_daily = _check_daily(daily, hold > 1) if daily is not None else None
    if plots:
        _matplotlib()  # fail before writing anything

    out.mkdir(parents=True, exist_ok=True)
    for name in REPORT_FILES:  # no stale plot of an earlier report survives
        if name.endswith(".png"):
            (out / name).unlink(missing_ok=True)
    _write_parquet(periods, out / "results.parquet", "periods")
    (out / "daily.parquet").unlink(missing_ok=True)  # never a stale one of another run
    if daily is not None:
        _write_parquet(daily, out / "daily.parquet", "daily")
    _write_parquet(summary, out / "summary.parquet", "summary")
    _write_parquet(tgt, out / "targets.parquet", "targets")

    images: list[tuple[str, str, str]] = []  # (file, alt, caption)
    if plots:
        if pair is not None:
            _plot_scatter(summary, pair, out / "scatter.png")
            images.append(
                (
                    "scatter.png",
                    f"risk reduction per stock, {pair[0]} vs {pair[1]}",
                    f"Risk reduction per stock (bps of annualised volatility), {pair[0]} "
                    f"(x) against {pair[1]} (y). Above the 45° line {pair[1]} does better.",
                )
            )
        _plot_distribution(summary, ranked, out / "risk_reduction.png")
        images.append(
            (
                "risk_reduction.png",
                "distribution of risk reduction per method",
                "Risk reduction per stock, by method (box: quartiles; whiskers: 1.5 IQR; "
                "triangle: mean).",
            )
        )
        if clean_daily is not None:
            _plot_cumulative(clean_daily, ranked, out / "cumulative.png")
            images.append(
                (
                    "cumulative.png",
                    "cumulative mean hedged return per method",
                    "Cumulative return of the equal-weighted average of the targets' daily "
                    "returns (of every open hold), hedged by each method and unhedged "
                    "(gross of costs).",
                )
            )
        if not sector_vr.empty:
            _plot_heatmap(sector_vr, ranked, out / "sector_heatmap.png")
            images.append(
                (
                    "sector_heatmap.png",
                    "mean variance reduction by sector and method",
                    "Mean variance reduction by GICS sector and method.",
                )
            )

    page = _html(
        title=title,
        command=command,
        limits=limit_list,
        summary=summary,
        targets=tgt,
        periods=periods,
        hold_months=hold,
        per_method=per_method,
        win=win,
        tests=tests,
        reference=ref,
        reference_given=reference is not None,
        sector_rr=sector_rr,
        images=images,
        out=out,
        embed=embed_images,
        plots=plots,
    )
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    logger.info("wrote the backtest report to %s", path)
    return path


# ------------------------------------------------------------------ checks
def _check_limits(limits: object) -> list[str]:
    if isinstance(limits, str):
        raise ConfigurationError(
            "limits is a single string; pass a list with one string per limit, "
            f"e.g. limits=[{limits[:40]!r}]"
        )
    if not isinstance(limits, Sequence) or not all(isinstance(x, str) for x in limits):
        raise ConfigurationError(
            f"limits={limits!r} must be a list of strings, one per data limit "
            "(e.g. 'Survivorship bias: ...')"
        )
    return list(limits)


def _reference(reference: str | None, methods: list[str], ranked: list[str]) -> str | None:
    if reference is not None:
        return _check_methods([reference], methods)[0]
    if len(methods) < 2:
        return None
    return "spy_beta" if "spy_beta" in methods else ranked[0]


def _scatter_pair(
    scatter: tuple[str, str] | None, methods: list[str], ranked: list[str]
) -> tuple[str, str] | None:
    if scatter is not None:
        if isinstance(scatter, str) or len(scatter) != 2:
            raise ConfigurationError(
                f"scatter={scatter!r} must be two method names, e.g. ('factor', 'nlp')"
            )
        a, b = _check_methods(scatter, methods)
        if a == b:
            raise ConfigurationError(f"scatter=({a!r}, {b!r}) names one method twice")
        return a, b
    if len(methods) < 2:
        return None
    if "factor" in methods and "nlp" in methods:
        return "factor", "nlp"
    return ranked[0], ranked[1]


def _write_parquet(frame: pd.DataFrame, path: Path, name: str) -> None:
    try:
        frame.to_parquet(path)
    except (ValueError, TypeError) as exc:  # pyarrow conversion errors
        raise DataError(
            f"{name} cannot be written as Parquet ({exc}); give its columns plain types "
            "(str, float, int, Timestamp)"
        ) from exc


# ------------------------------------------------------------------ plots
def _matplotlib() -> None:
    import_optional(
        "matplotlib", extra="plot", purpose="plotting", alternative="or pass plots=False"
    )


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    """A Figure on an Agg canvas (no pyplot, no global backend change) and its one axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=110)


def _plot_scatter(summary: pd.DataFrame, pair: tuple[str, str], path: Path) -> None:
    a, b = pair
    wide = summary.pivot_table(
        index="target", columns="method", values="risk_reduction_bps", aggfunc="first"
    ).reindex(columns=[a, b])
    wide = wide[np.isfinite(wide.to_numpy(dtype="float64")).all(axis=1)]
    fig, ax = _figure(6.5, 6.0)
    x, y = wide[a].to_numpy(dtype="float64"), wide[b].to_numpy(dtype="float64")
    ax.scatter(x, y, s=18, alpha=0.7, color="tab:blue", edgecolor="none")
    if x.size:
        lo = float(min(x.min(), y.min(), 0.0))
        hi = float(max(x.max(), y.max(), 0.0))
        pad = 0.05 * (hi - lo or 1.0)
        lim = (lo - pad, hi + pad)
        ax.plot(lim, lim, color="0.3", lw=1.0, ls="--", label="45° line")
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        above, below = int((y > x).sum()), int((y < x).sum())
        ax.legend(loc="upper left", fontsize=8, title=f"{b} better: {above}, {a} better: {below}")
    ax.axhline(0.0, color="0.7", lw=0.6)
    ax.axvline(0.0, color="0.7", lw=0.6)
    ax.set_xlabel(f"risk reduction, bps: {a}")
    ax.set_ylabel(f"risk reduction, bps: {b}")
    ax.set_title(f"Risk reduction per stock ({len(wide)} stocks)")
    ax.grid(alpha=0.3)
    _save(fig, path)


def _plot_distribution(summary: pd.DataFrame, ranked: list[str], path: Path) -> None:
    data = []
    for m in ranked:
        v = summary.loc[summary["method"] == m, "risk_reduction_bps"].to_numpy(dtype="float64")
        data.append(v[np.isfinite(v)])
    fig, ax = _figure(max(6.0, 1.1 * len(ranked) + 2.0), 4.8)
    ax.boxplot(data, showmeans=True, widths=0.6)
    ax.set_xticks(range(1, len(ranked) + 1))
    ax.set_xticklabels(ranked, rotation=20 if len(ranked) > 5 else 0)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_ylabel("risk reduction, bps of annualised volatility")
    ax.set_title("Risk reduction per stock, by method")
    ax.grid(alpha=0.3, axis="y")
    _save(fig, path)


def _mean_paths(daily: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Mean daily hedged return per (day, method) and mean unhedged return per day."""
    ok = daily[np.isfinite(daily[["unhedged", "hedge", "hedged"]].to_numpy()).all(axis=1)]
    hedged = ok.pivot_table(index="day", columns="method", values="hedged", aggfunc="mean")
    unhedged = ok.drop_duplicates(["target", "day"]).groupby("day")["unhedged"].mean()
    return hedged.sort_index(), unhedged.sort_index()


def _plot_cumulative(daily: pd.DataFrame, ranked: list[str], path: Path) -> None:
    hedged, unhedged = _mean_paths(daily)
    fig, ax = _figure(10.0, 5.0)
    ax.plot(
        unhedged.index,
        100.0 * ((1.0 + unhedged).cumprod() - 1.0),
        color="black",
        lw=1.8,
        zorder=5,
        label="unhedged",
    )
    for m in ranked:
        if m in hedged.columns:
            r = hedged[m].fillna(0.0)
            ax.plot(r.index, 100.0 * ((1.0 + r).cumprod() - 1.0), lw=1.2, label=m)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_ylabel("cumulative return, %")
    ax.set_title("Mean across targets: cumulative daily return, hedged by each method")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, path)


def _plot_heatmap(sector_vr: pd.DataFrame, ranked: list[str], path: Path) -> None:
    grid = sector_vr.pivot_table(index="sector", columns="method", values="mean", aggfunc="first")
    grid = grid.reindex(columns=[m for m in ranked if m in grid.columns])
    values = grid.to_numpy(dtype="float64")
    span = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    span = span or 1.0
    fig, ax = _figure(max(6.0, 1.2 * grid.shape[1] + 3.5), max(3.0, 0.45 * grid.shape[0] + 1.5))
    image = ax.imshow(values, cmap="RdYlGn", vmin=-span, vmax=span, aspect="auto")
    ax.set_xticks(range(grid.shape[1]))
    ax.set_xticklabels(grid.columns, rotation=20 if grid.shape[1] > 5 else 0)
    ax.set_yticks(range(grid.shape[0]))
    ax.set_yticklabels(grid.index)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            v = values[i, j]
            text = _DASH if not np.isfinite(v) else f"{100 * v:.0f}%"
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label="mean variance reduction")
    ax.set_title("Mean variance reduction by sector")
    _save(fig, path)


# ------------------------------------------------------------------ HTML
_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
pre { background: #f5f5f5; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; }
.limits { background: #fff7e6; border: 1px solid #f0c36d; padding: 0.4em 1.2em; }
.limits li { white-space: pre-wrap; margin: 0.3em 0; }
.meta { color: #555; } figure { margin: 1.2em 0; } img { max-width: 100%; }
figcaption { color: #555; font-size: 0.9em; }
"""


def _num(value: object, digits: int = 0) -> str:
    v = float(value)  # type: ignore[arg-type]
    return _DASH if not np.isfinite(v) else f"{v:,.{digits}f}"


def _pct(value: object, digits: int = 1) -> str:
    v = float(value)  # type: ignore[arg-type]
    return _DASH if not np.isfinite(v) else f"{100 * v:.{digits}f}%"


def _ci(low: object, high: object, digits: int = 0) -> str:
    lo, hi = float(low), float(high)  # type: ignore[arg-type]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return _DASH
    return f"[{lo:,.{digits}f}, {hi:,.{digits}f}]"


def _pvalue(value: object) -> str:
    v = float(value)  # type: ignore[arg-type]
    if not np.isfinite(v):
        return _DASH
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, na_rep=_DASH)


def _per_stock(
    summary: pd.DataFrame, targets: pd.DataFrame, win: pd.DataFrame, methods: list[str]
) -> pd.DataFrame:
    wide = summary.pivot_table(
        index="target", columns="method", values="risk_reduction_bps", aggfunc="first"
    ).reindex(index=win.index, columns=methods)
    vol = (
        summary.sort_values("days", ascending=False, kind="stable")
        .groupby("target")["vol_unhedged"]
        .first()
        .reindex(win.index)
    )
    info = targets.set_axis(targets.index.astype(str)).reindex(win.index)
    table = pd.DataFrame(
        {
            "Target": win.index,
            "Name": info["name"].astype(object).fillna("").astype(str).to_numpy(),
            "Sector": info["sector"].astype(object).fillna("(unknown)").astype(str).to_numpy(),
            "Vol unhedged": [_pct(v) for v in vol],
        }
    )
    for m in methods:
        table[m] = [_num(v) for v in wide[m]]
    table["Winner"] = win["winner"].fillna(_DASH).astype(str).to_numpy()
    return table


def _method_table(per_method: pd.DataFrame, confidence_label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Method": per_method.index,
            "Targets": per_method["targets"].to_numpy(),
            "Mean risk reduction (bps)": [_num(v) for v in per_method["mean"]],
            f"{confidence_label} CI of the mean": [
                _ci(lo, hi)
                for lo, hi in zip(per_method["ci_low"], per_method["ci_high"], strict=True)
            ],
            "Median (bps)": [_num(v) for v in per_method["median"]],
            "Mean variance reduction": [_pct(v) for v in per_method["variance_reduction"]],
            "Median variance reduction": [_pct(v) for v in per_method["median_variance_reduction"]],
            "Share of bound": [_pct(v, 0) for v in per_method["bound_share"]],
            "Mean names": [_num(v, 1) for v in per_method["mean_names"]],
            "Turnover (x notional / yr)": [_num(v, 2) for v in per_method["turnover"]],
            "Cost (bps / yr)": [_num(v, 1) for v in per_method["cost_bps"]],
            "Net risk reduction (bps)": [_num(v) for v in per_method["risk_reduction_net_bps"]],
            "Wins": per_method["wins"].to_numpy(),
            "Failed periods": per_method["failed_periods"].to_numpy(),
        }
    )


def _tests_table(tests: pd.DataFrame, confidence_label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Method": tests.index,
            "vs": tests["b"].to_numpy(),
            "Shared targets": tests["n"].to_numpy(),
            "Mean difference (bps)": [_num(v) for v in tests["mean_diff"]],
            f"{confidence_label} CI": [
                _ci(lo, hi) for lo, hi in zip(tests["ci_low"], tests["ci_high"], strict=True)
            ],
            "Median difference (bps)": [_num(v) for v in tests["median_diff"]],
            "Wins / losses / ties": [
                f"{w} / {lo} / {t}"
                for w, lo, t in zip(tests["wins_a"], tests["wins_b"], tests["ties"], strict=True)
            ],
            "Wilcoxon p": [_pvalue(v) for v in tests["wilcoxon_p"]],
            "Paired t p": [_pvalue(v) for v in tests["ttest_p"]],
        }
    )


def _sector_table(sector_rr: pd.DataFrame, ranked: list[str]) -> pd.DataFrame:
    cells = sector_rr.assign(
        cell=[
            f"{_num(m)} {_ci(lo, hi)}" if np.isfinite(lo) else _num(m)
            for m, lo, hi in zip(
                sector_rr["mean"], sector_rr["ci_low"], sector_rr["ci_high"], strict=True
            )
        ]
    )
    grid = cells.pivot(index="sector", columns="method", values="cell")
    grid = grid.reindex(columns=[m for m in ranked if m in grid.columns]).fillna(_DASH)
    grid.columns.name = None
    counts = sector_rr.groupby("sector")["targets"].max()
    table = grid.reset_index().rename(columns={"sector": "Sector"})
    table.insert(1, "Targets", counts.reindex(grid.index).to_numpy())
    return table


def _definitions(hold_months: int) -> list[str]:
    """The protocol's definitions, one HTML list item each."""
    if hold_months == 1:
        return [
            "<li>Volatilities are annualised standard deviations of the daily returns of all "
            "holding months, concatenated; risk reduction = 10,000 × (vol unhedged − vol "
            "hedged); variance reduction = 1 − var(hedged) / var(unhedged).</li>",
            "<li>Each month's hedge is built at the rebalance close on data known then and "
            "held as fixed shares until the next rebalance.</li>",
            "<li>Turnover and transaction costs include the first build of each basket; "
            "borrow cost accrues over the holding periods. Returns are gross of costs.</li>",
        ]
    return [
        f"<li>Set and forget: each hedge is built at a rebalance close on data known then "
        f"and held as fixed shares for {hold_months} months, untouched; holds starting on "
        "successive rebalance dates overlap, and each is one investor's experience.</li>",
        "<li>Each metric is computed per hold and averaged over the target's holds: "
        "volatilities are annualised standard deviations of the hold's daily returns; risk "
        "reduction = 10,000 × (vol unhedged − vol hedged); variance reduction = 1 − "
        "var(hedged) / var(unhedged).</li>",
        "<li>Every hold trades its basket in from nothing (turnover = its gross weight), "
        "annualised over the hold; borrow cost accrues over the hold. Returns are gross of "
        "costs.</li>",
    ]


def _img(file: str, alt: str, out: Path, embed: bool) -> str:
    if embed:
        data = base64.b64encode((out / file).read_bytes()).decode("ascii")
        src = f"data:image/png;base64,{data}"
    else:
        src = html.escape(file)
    return f'<img src="{src}" alt="{html.escape(alt)}">'


def _html(
    *,
    title: str,
    command: str | None,
    limits: list[str],
    summary: pd.DataFrame,
    targets: pd.DataFrame,
    periods: pd.DataFrame,
    hold_months: int,
    per_method: pd.DataFrame,
    win: pd.DataFrame,
    tests: pd.DataFrame | None,
    reference: str | None,
    reference_given: bool,
    sector_rr: pd.DataFrame,
    images: list[tuple[str, str, str]],
    out: Path,
    embed: bool,
    plots: bool,
) -> str:
    from hedgekit import __version__

    esc = html.escape
    ranked = list(per_method.index)
    confidence = "95%"
    rebalance = pd.to_datetime(periods["rebalance"])
    first, last = rebalance.min(), pd.to_datetime(periods["end"]).max()
    n_rebalances = rebalance.nunique()
    failed = int(summary["failed_periods"].sum())
    protocol = (
        "rebalanced at every date"
        if hold_months == 1
        else f"set and forget: each basket held {hold_months} months"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        '<p class="meta">'
        f"{summary['target'].nunique()} targets, {len(ranked)} methods "
        f"({esc(', '.join(ranked))}), {n_rebalances} rebalance dates ({esc(protocol)}), "
        f"held from {first:%Y-%m-%d} to {last:%Y-%m-%d}; {failed} failed period(s). "
        f"Generated by hedgekit {esc(__version__)} on {pd.Timestamp.now():%Y-%m-%d %H:%M}.</p>",
        "<h2>Command</h2>",
        f"<pre><code>{esc(command) if command else '(not recorded)'}</code></pre>",
        "<h2>Data limits</h2>",
    ]
    if limits:
        items = "".join(f"<li>{esc(x)}</li>" for x in limits)
        parts.append(f'<ul class="limits">{items}</ul>')
    else:
        parts.append("<p>No data limits were given.</p>")

    parts += [
        "<h2>Summary by method</h2>",
        "<p>Means over targets, best mean risk reduction first. Risk reduction is the fall in "
        "annualised volatility in bps; the confidence interval is a percentile bootstrap over "
        "targets. Costs are annual (transaction + borrow), bps of target notional; net risk "
        "reduction is risk reduction minus that cost (the study's convention). Share of bound "
        "is the method's mean variance reduction over that of the perfect-foresight bound "
        "(when the backtest recorded it). Wins count the targets where the method has the "
        "highest risk reduction; the bound does not compete.</p>",
        _table(_method_table(per_method, confidence)),
        "<h2>Paired tests</h2>",
    ]
    if tests is None or tests.empty:
        parts.append("<p>Only one method: nothing to compare.</p>")
    else:
        why = (
            "given by the caller"
            if reference_given
            else (
                "the SPY beta baseline"
                if reference == "spy_beta"
                else "the best mean risk reduction (no spy_beta baseline in the backtest)"
            )
        )
        parts += [
            f"<p>Each method against <b>{esc(str(reference))}</b> ({why}) over the targets both "
            "cover: differences of risk reduction in bps (positive: the method reduces more "
            "risk), Wilcoxon signed-rank and paired t-test p-values (two-sided) and a "
            "bootstrap interval of the mean difference. Targets are treated as independent, "
            "which they are not quite (shared market and sector shocks).</p>",
            _table(_tests_table(tests, confidence)),
        ]

    parts.append("<h2>Plots</h2>")
    if images:
        for file, alt, caption in images:
            parts.append(
                f"<figure>{_img(file, alt, out, embed)}"
                f"<figcaption>{esc(caption)}</figcaption></figure>"
            )
    else:
        parts.append(
            "<p>No plots: pass plots=True with matplotlib installed.</p>"
            if not plots
            else "<p>No plots.</p>"
        )

    parts += [
        "<h2>Risk reduction by sector</h2>",
        f"<p>Mean risk reduction (bps) per GICS sector and method, with the {confidence} "
        "bootstrap interval where the sector holds two targets or more.</p>",
        _table(_sector_table(sector_rr, ranked)),
        "<h2>Per stock</h2>",
        "<p>Risk reduction in bps of annualised volatility over the whole backtest, by "
        "method; the winner has the highest.</p>",
        _table(_per_stock(summary, targets, win, ranked)),
        "<h2>Definitions</h2>",
        "<ul>",
        *_definitions(hold_months),
        "<li>The perfect-foresight bound (method 'bound') is the min-tracking-error basket "
        "of the same size and weight cap fitted on each hold's own returns: it looks ahead "
        "on purpose, as the best any basket of that size could have done.</li>"
        "<li>Net risk reduction subtracts an annual cost (a drag on the mean) from a fall in "
        "volatility: both are bps of notional per year, but the difference ranks methods "
        "rather than measuring a utility.</li>"
        "</ul>",
        "</body></html>",
    ]
    return "\n".join(parts)
