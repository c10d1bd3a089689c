"""Coverage chart of a :class:`~hedgekit.data.quality.QualityReport` (matplotlib, optional)."""

from __future__ import annotations

import os

import pandas as pd

from hedgekit._optional import import_optional
from hedgekit.data.quality._report import QualityReport

__all__ = ["plot_coverage"]


def plot_coverage(report: QualityReport, path: str | os.PathLike[str]) -> None:
    """Save a PNG: names priced and index members priced per date, spikes per year.

    Parameters
    ----------
    report : QualityReport
        A report from :func:`check_data`.
    path : path-like
        Where to write the PNG.

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed.
    """
    # a Figure, not pyplot: the caller's backend (e.g. Jupyter's inline) is untouched
    Figure = import_optional("matplotlib.figure", extra="plot", purpose="plotting").Figure

    daily = report.daily
    spikes = report.prices.frames["spikes"]
    years = range(report.start.year, report.end.year + 1)
    per_year = spikes.groupby(pd.DatetimeIndex(spikes["date"]).year).size().reindex(years)
    per_year = per_year.fillna(0).astype(int)
    fig = Figure(figsize=(10, 7), constrained_layout=True)
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [2, 1]})
    top.plot(daily.index, daily["priced"], label="names with a price", lw=1.2)
    if daily["members"].any():
        top.plot(daily.index, daily["members"], label="index members", lw=1.0, color="grey")
        top.plot(daily.index, daily["members_priced"], label="index members with a price", lw=1.2)
    top.set_ylabel("names")
    kind = "SYNTHETIC store" if report.synthetic else "store"
    top.set_title(f"Coverage per date ({kind} {report.home})", fontsize=10)
    top.legend(loc="lower right", fontsize=8)
    top.grid(alpha=0.3)
    bottom.bar([str(y) for y in per_year.index], per_year.to_numpy(), color="tab:red")
    bottom.set_ylabel(f"|return| > {report.parameters['spike']:.0%}")
    bottom.set_title("Spikes per year", fontsize=10)
    bottom.tick_params(axis="x", labelrotation=90, labelsize=8)
    bottom.grid(alpha=0.3, axis="y")
    fig.savefig(os.fspath(path), dpi=110)
