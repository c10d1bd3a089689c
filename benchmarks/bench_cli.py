"""`hedgekit hedge` as a whole process: kept price panels against a cold pivot, one run.

Issue 15 asks for a plain CLI hedge in about a second. This times, as separate processes on
the same store and in the same run (so machine load affects all alike):

- ``help``: ``hedgekit --help`` (interpreter start plus the CLI's imports);
- ``hedge, panels kept``: ``hedgekit hedge WDC=1000000 --date D`` with the price panels kept
  in the data home (every run after the first on a snapshot);
- ``hedge, cold``: the same after deleting the kept panels (what every run paid before);
- ``python + pandas``: ``python -c "import pandas"``, the floor any such process pays.

Run::

    HEDGEKIT_DATA=STORE python benchmarks/bench_cli.py [--repeat 3] [--date 2023-12-29]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--date", default="2023-12-29")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from hedgekit.data import shared_market

    market = shared_market()
    kept = market.store.home / "cache" / "panels"
    exe = [sys.executable, "-m", "hedgekit"]
    hedge = [*exe, "hedge", "WDC=1000000", "--date", args.date]
    runs: dict[str, list[float]] = {
        "help": [],
        "hedge, panels kept": [],
        "hedge, cold": [],
        "python + pandas": [],
    }
    _time(hedge)  # the panels are kept
    for _ in range(args.repeat):
        runs["help"].append(_time([*exe, "--help"]))
        runs["hedge, panels kept"].append(_time(hedge))
        shutil.rmtree(kept, ignore_errors=True)
        runs["hedge, cold"].append(_time(hedge))
        runs["python + pandas"].append(_time([sys.executable, "-c", "import pandas"]))
    out = {k: round(statistics.median(v), 2) for k, v in runs.items()}
    out["cold_over_kept"] = round(out["hedge, cold"] / out["hedge, panels kept"], 2)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
