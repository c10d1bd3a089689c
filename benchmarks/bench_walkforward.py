"""Benchmark the walk-forward engine against a reference revision, on the same run.

Runs ``run_backtest`` twice on the same store, targets, dates and methods, each in a child
process into a fresh run directory: first with the packages ``--swap`` (default
``backtest,hedge``: the engine and the hedge library it calls) of ``--reference`` (a git
revision; the rest of the library is the working tree's, so only those packages differ),
then with the working tree's. It prints the
wall time of each and their ratio, the mean seconds per (target, date) by method, and
whether both recorded the same results (every column of every record but its timing,
compared exactly). With ``--workers 1,2`` it also times the working tree's engine on a
dask cluster of each size.

Run::

    HEDGEKIT_DATA=STORE python benchmarks/bench_walkforward.py [--targets random:50:42]
        [--start 2022-12-30] [--end 2023-12-29] [--methods default]
        [--reference 76ac909] [--swap backtest,hedge] [--workers 1,2] [--skip-reference]

``--methods default`` is the engine's default set (``BacktestConfig.methods``), ``all``
every registered method.

Targets (issue 15): 50 targets x 48 months x all methods <= 5 minutes; the whole index,
monthly, 2012-2023, all registered methods <= 60 minutes on this 2-core machine; 2 workers
>= 1.7x faster than 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time
import pandas as pd
from hedgekit.backtest import METHODS, BacktestConfig, run_backtest, select_targets
from hedgekit.data import MarketData, Store
a = json.loads(sys.argv[1])
market = MarketData(Store(a["home"]))
targets = select_targets(market, a["targets"], min(pd.Timestamp(a["end"]), market.end))
methods = {"all": list(METHODS), "default": None}.get(a["methods"])
if methods is None and a["methods"] != "default":
    methods = a["methods"].split(",")
config = BacktestConfig.create(targets, a["start"], a["end"], methods)
t0 = time.perf_counter()
run_backtest(config, market, a["out"], workers=a["workers"])
print(json.dumps({"seconds": time.perf_counter() - t0, "targets": len(targets),
                  "methods": list(config.methods)}))
"""


def _reference_src(rev: str, into: Path, packages: list[str]) -> Path:
    """The working tree's ``src`` with ``src/hedgekit/<package>`` of each of ``packages``
    taken from ``rev``."""
    src = into / "src"
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    for package in packages:
        shutil.rmtree(src / "hedgekit" / package)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, *(f"src/hedgekit/{p}" for p in packages)],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return src


def _run(src: Path, args: argparse.Namespace, out: Path, workers: int | None) -> dict:
    payload = {
        "home": str(args.home),
        "targets": args.targets,
        "start": args.start,
        "end": args.end,
        "methods": args.methods,
        "out": str(out),
        "workers": workers,
    }
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(payload)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _records(out: Path):
    import sqlite3

    import pandas as pd

    con = sqlite3.connect(out / "results.sqlite")
    try:
        frame = pd.read_sql_query("SELECT * FROM periods", con)
    finally:
        con.close()
    return frame.sort_values(["target", "rebalance", "method"]).reset_index(drop=True)


def _per_method(frame) -> dict[str, float]:
    return frame.groupby("method")["seconds"].mean().to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=os.environ.get("HEDGEKIT_DATA"))
    parser.add_argument("--targets", default="random:50:42")
    parser.add_argument("--start", default="2022-12-30")
    parser.add_argument("--end", default="2023-12-29")
    parser.add_argument("--methods", default="default")
    parser.add_argument("--reference", default="76ac909")
    parser.add_argument("--swap", default="backtest,hedge", help="packages taken from --reference")
    parser.add_argument("--workers", default="", help="e.g. 1,2: also time dask clusters")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run directories")
    args = parser.parse_args()
    if args.home is None:
        parser.error("pass --home STORE or set HEDGEKIT_DATA")

    tmp = Path(tempfile.mkdtemp(prefix="bench_wf_"))
    root = args.keep or tmp
    runs: dict[str, tuple[dict, Path]] = {}
    if not args.skip_reference:
        swap = [p.strip() for p in args.swap.split(",") if p.strip()]
        ref_src = _reference_src(args.reference, tmp / "reference", swap)
        out = root / "reference"
        runs["reference"] = (_run(ref_src, args, out, None), out)
        print(
            f"reference engine ({args.reference}), serial: {runs['reference'][0]['seconds']:.1f} s"
        )
    out = root / "batched"
    runs["batched"] = (_run(REPO / "src", args, out, None), out)
    info = runs["batched"][0]
    print(f"working tree, serial: {info['seconds']:.1f} s")
    print(
        f"{info['targets']} targets, {args.start}..{args.end} monthly, "
        f"methods {', '.join(info['methods'])} (+ bound)"
    )
    for w in [int(x) for x in args.workers.split(",") if x.strip()]:
        out = root / f"workers{w}"
        runs[f"workers{w}"] = (_run(REPO / "src", args, out, w), out)
        print(f"working tree, {w} dask worker(s): {runs[f'workers{w}'][0]['seconds']:.1f} s")

    frames = {k: _records(v[1]) for k, v in runs.items()}
    new = frames["batched"]
    if "reference" in frames:
        ref = frames["reference"]
        ratio = runs["reference"][0]["seconds"] / info["seconds"]
        print(f"\nspeed-up working tree vs reference (serial wall time): {ratio:.2f}x")
        cols = [c for c in new.columns if c != "seconds"]
        same = ref[cols].equals(new[cols])
        print(f"identical records ({len(new)} x {len(cols)} columns): {same}")
        a, b = _per_method(ref), _per_method(new)
        print("\n| method | reference s per (target, date) | working tree | ratio |")
        print("|---|---:|---:|---:|")
        for m in sorted(b, key=lambda m: -a.get(m, 0.0)):
            print(f"| `{m}` | {a.get(m, float('nan')):.4f} | {b[m]:.4f} | {a[m] / b[m]:.2f}x |")
    for k in [k for k in runs if k.startswith("workers")]:
        cols = [c for c in new.columns if c != "seconds"]
        print(f"{k}: identical to the serial run: {frames[k][cols].equals(new[cols])}")
    if args.keep is None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
