"""Benchmark long/short hedges against long-only ones on the real store.

For each target (default WDC, MOS, AAPL) on ``--date`` (default 2022-12-30), a 1,000,000
share position is hedged with the defaults (25% per name, net = the 100% hedge ratio) and
at most ``--max-names`` names (default 10), long-only and long/short with a gross bound of
150% and 200%. It prints, per hedge,
the in-sample and out-of-sample (the result's 252 days after the date) variance reduction
and tracking error, the hedge's gross, the names bought, and the optimizer's time and gap
(its share of the tracking variance a better hedge could at most remove).

Run::

    HEDGEKIT_DATA=/work/hkdata python benchmarks/bench_long_short.py
        [--targets WDC,MOS,AAPL] [--date 2022-12-30] [--gross 150,200] [--max-names 10]
"""

from __future__ import annotations

import argparse

from hedgekit.data import shared_market
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="WDC,MOS,AAPL")
    parser.add_argument("--date", default="2022-12-30")
    parser.add_argument("--gross", default="150,200")
    parser.add_argument("--max-names", type=int, default=10)
    args = parser.parse_args()
    market = shared_market()
    k = {"max_names": args.max_names}
    cases: list[tuple[str, dict]] = [("long only", k)]
    for g in args.gross.split(","):
        cases.append((f"long/short {g}%", {**k, "allow_long_short": True, "max_gross": float(g)}))
    print(
        "| target | hedge | VR in sample | VR out of sample | TE in sample | TE out of sample "
        "| gross | names bought | solve (s) | gap |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for target in args.targets.split(","):
        ps = PositionSet([Position(target, quantity=1_000_000)], args.date)
        for label, kw in cases:
            res = PerformanceHedge(PerformanceHedgeParameters(ps, **kw), market).calculate()
            st = res.statistics
            ex = res.get_exposure_summary()
            d = res.diagnostics
            bought = int((res.constituents["side"] == "long").sum())
            gap = d.get("optimizer_gap")
            print(
                f"| {target} | {label} "
                f"| {st.loc['variance_reduction', ('in_sample', 'Hedge')]:.1%} "
                f"| {st.loc['variance_reduction', ('out_of_sample', 'Hedge')]:.1%} "
                f"| {st.loc['tracking_error', ('in_sample', 'Hedge')]:.1%} "
                f"| {st.loc['tracking_error', ('out_of_sample', 'Hedge')]:.1%} "
                f"| {ex['hedge_gross_pct']:.0%} | {bought} "
                f"| {d['optimizer_seconds']:.2f} | {'-' if gap is None else f'{gap:.1%}'} |"
            )


if __name__ == "__main__":
    main()
