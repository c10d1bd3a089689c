"""Benchmark the data layer against plain-library reference methods, in one run.

Measures, on the real bundle (default ``../shared/data/us_equities``):

1. import of the whole bundle (validation, repairs, aliases, atomic commit): wall time and
   peak memory of a fresh child process, next to the reference floor: reading every file
   with pandas and writing it back to Parquet, with no checks at all;
2. one year of daily returns for 500 index members, point in time, warm (panels already in
   memory), next to two references that answer the same question from the Parquet file:
   pandas (``read_parquet`` with filters, pivot, ``pct_change``) and DuckDB (SQL window
   over the file, pivot in pandas).

Run (DuckDB comes with the bench extra, ``pip install -e '.[bench]'``, or ``make bench``)::

    python benchmarks/bench_data.py [--data DIR] [--repeat 20] [--json OUT]

Targets (issue "Foundation"): import <= 60 s and <= 2 GiB; returns <= 0.3 s warm.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _child(code: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; it prints JSON with its timing."""
    wrapper = textwrap.dedent(
        """
        import json, resource, time
        t0 = time.perf_counter()
        {body}
        secs = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"seconds": secs, "peak_mib": peak}}))
        """
    ).format(body=textwrap.indent(textwrap.dedent(code), "").strip())
    out = subprocess.run(
        [sys.executable, "-c", wrapper], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_import(data: Path, home: Path) -> dict[str, dict[str, float]]:
    """Import time and peak memory, hedgekit versus the no-checks floor."""
    hk = _child(
        f"""
from hedgekit.data import Store, import_bundle
import_bundle({str(data)!r}, Store({str(home / "hk")!r}))
"""
    )
    floor = _child(
        f"""
import pandas as pd, pathlib
out = pathlib.Path({str(home / "floor")!r}); out.mkdir(parents=True, exist_ok=True)
for f in sorted(pathlib.Path({str(data)!r}).glob("*.parquet")):
    pd.read_parquet(f).to_parquet(out / f.name, compression="zstd")
"""
    )
    return {"hedgekit import_bundle": hk, "reference: pandas read+write, no checks": floor}


def _timeit(fn, repeat: int) -> dict[str, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def bench_returns(data: Path, home: Path, repeat: int) -> dict[str, dict[str, float]]:
    """One year of daily returns for 500 names as of 2023-12-29."""
    import duckdb
    import pandas as pd

    from hedgekit.data import MarketData, Store

    market = MarketData(Store(home / "hk"))
    date = "2023-12-29"
    t0 = time.perf_counter()
    market._panels  # noqa: B018 - cold load of the panels, reported separately
    cold = time.perf_counter() - t0
    names = market.as_of(date).members()[:500]
    start = pd.Timestamp(date) - pd.Timedelta(days=400)
    prices = str(data / "prices.parquet")

    def hedgekit() -> None:
        out = market.as_of(date).returns(names, window=252)
        assert out.shape == (252, len(names))

    def pandas_ref() -> None:
        df = pd.read_parquet(
            prices,
            columns=["date", "ticker", "adj_close"],
            filters=[
                ("date", ">=", start),
                ("date", "<=", pd.Timestamp(date)),
                ("ticker", "in", names),
            ],
        )
        wide = df.pivot(index="date", columns="ticker", values="adj_close")
        out = wide.pct_change(fill_method=None).iloc[-252:]
        assert out.shape[0] == 252

    con = duckdb.connect()

    def duckdb_ref() -> None:
        df = con.execute(
            f"""
            SELECT date, ticker,
                   adj_close / lag(adj_close) OVER (PARTITION BY ticker ORDER BY date) - 1 AS r
            FROM read_parquet('{prices}')
            WHERE date BETWEEN ? AND ? AND ticker IN (SELECT unnest(?))
            """,
            [start.to_pydatetime(), pd.Timestamp(date).to_pydatetime(), names],
        ).df()
        out = df.pivot(index="date", columns="ticker", values="r").iloc[-252:]
        assert out.shape[0] == 252

    return {
        "hedgekit as_of().returns (warm)": _timeit(hedgekit, repeat),
        "reference: pandas read_parquet+pivot": _timeit(pandas_ref, repeat),
        "reference: DuckDB SQL+pivot": _timeit(duckdb_ref, repeat),
        "hedgekit panels cold load (once)": {"median_s": cold, "min_s": cold, "max_s": cold},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=REPO.parent / "shared" / "data" / "us_equities"
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        results = {
            "machine": {
                "python": platform.python_version(),
                "cpu_count": __import__("os").cpu_count(),
            },
            "import": bench_import(args.data, home),
            "returns_500x252": bench_returns(args.data, home, args.repeat),
        }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
