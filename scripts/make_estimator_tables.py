"""The issue-14 tables of a backtest run: every method against the default hedge.

For one run directory (either protocol) and an optional range of rebalance dates, prints a
Markdown table per method (mean and median variance reduction over targets, share of the
perfect-foresight bound, turnover and cost a year) and the paired gaps of ``--reference``
(default ``default``) over every other method in percentage points, with the bootstrap 95%
interval over targets and the wins. Works from the per-record moments, so it reads
index-scale 12-month runs without their daily arrays.

    python scripts/make_estimator_tables.py RUN_DIR [--start 2022-01-01 --end 2023-12-31] \
        [--reference default] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from hedgekit.backtest import by_method, compare, load_results, summarise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--start")
    ap.add_argument("--end")
    ap.add_argument("--reference", default="default")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    periods, _ = load_results(a.run, daily=False)
    summary = summarise(None, periods, start=a.start, end=a.end)
    table = by_method(summary, n_boot=2000)
    hold = periods.attrs.get("hold_months", 1)
    span = f"{a.start or 'first'}..{a.end or 'last'}"
    print(f"\n{a.run} (hold {hold} month(s), rebalance dates {span})\n")
    cols = {
        "variance_reduction": "mean VR %",
        "median_variance_reduction": "median VR %",
        "bound_share": "share of bound %",
        "turnover": "turnover",
        "cost_bps": "cost bps",
    }
    print("| method | targets | " + " | ".join(cols.values()) + " |")
    print("|---|---|" + "---|" * len(cols))
    for method, row in table.iterrows():
        vals = []
        for c in cols:
            v = row.get(c)
            pct = c in ("variance_reduction", "median_variance_reduction", "bound_share")
            vals.append("" if pd.isna(v) else f"{100 * v:.1f}" if pct else f"{v:.2f}")
        print(f"| {method} | {int(row.get('targets', 0))} | " + " | ".join(vals) + " |")
    out = {"run": str(a.run), "hold_months": hold, "start": a.start, "end": a.end, "gaps": {}}
    methods = [m for m in summary["method"].unique() if m not in (a.reference, "bound")]
    print(f"\n| {a.reference} minus | gap, pp | 95% interval | wins |\n|---|---|---|---|")
    for m in methods:
        c = compare(summary, a.reference, m, metric="variance_reduction", n_boot=5000)
        d = c.to_dict()
        print(
            f"| {m} | {100 * d['mean_diff']:+.2f} | "
            f"[{100 * d['ci_low']:+.2f}, {100 * d['ci_high']:+.2f}] | "
            f"{d['wins_a']} of {d['n']} |"
        )
        out["gaps"][m] = d
    out["by_method"] = table.reset_index().to_dict("records")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
