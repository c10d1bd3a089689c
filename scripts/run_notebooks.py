"""Convert the jupytext notebooks in ``notebooks/`` and execute them, one kernel each.

Usage::

    python scripts/run_notebooks.py                          # every notebook, demo market
    python scripts/run_notebooks.py --data ../shared/data/us_equities --only 03_hedge_comparison
    python scripts/run_notebooks.py --out build/notebooks    # also save the executed .ipynb

``--data`` is ``demo`` (default), a bundle directory (imported into a temporary store) or a data
home; the notebooks read it from ``HEDGEKIT_NOTEBOOK_DATA``. Exits 1 with the failing cell's
source and error when a notebook fails.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes of IPython tracebacks


class NotebookError(RuntimeError):
    """A notebook failed; the message names the notebook, the cell and the error."""


def notebook_paths(only: Iterable[str] = ()) -> list[Path]:
    """The notebooks to run, sorted; ``only`` holds stems (``03_hedge_comparison``) or names."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    wanted = {Path(name).stem for name in only}
    if wanted:
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            known = ", ".join(p.stem for p in paths)
            raise SystemExit(f"unknown notebook(s) {sorted(unknown)}; choose from {known}")
        paths = [p for p in paths if p.stem in wanted]
    return paths


def run_notebook(
    path: Path,
    data: str = "demo",
    *,
    timeout: int = 600,
    out: Path | None = None,
    kernel_name: str = "python3",
) -> float:
    """Execute one jupytext notebook in a fresh kernel; returns the seconds it took.

    Raises
    ------
    NotebookError
        When a cell raises: the message holds the notebook, the cell source and the error.
    """
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = jupytext.read(path)
    env = {**os.environ, "HEDGEKIT_NOTEBOOK_DATA": data, "MPLBACKEND": "Agg"}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    try:
        client.execute(env=env)  # a fresh kernel, started with this environment
    except (CellExecutionError, CellTimeoutError) as exc:
        message = ANSI.sub("", str(exc))
        raise NotebookError(f"{path.name} failed on data={data!r}:\n{message}") from None
    finally:
        if out is not None:
            import nbformat

            out.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out / f"{path.stem}.ipynb")
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        default="demo",
        help="'demo' (default), a bundle directory or a data home",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="notebook stem to run (repeatable)"
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    parser.add_argument("--out", type=Path, help="directory for the executed .ipynb files")
    args = parser.parse_args(argv)
    data = args.data
    if data != "demo":
        data = str(Path(data).expanduser().resolve())
        if not Path(data).is_dir():
            print(f"--data {args.data}: no such directory", file=sys.stderr)
            return 2
    failed = 0
    for path in notebook_paths(args.only):
        try:
            seconds = run_notebook(path, data, timeout=args.timeout, out=args.out)
        except NotebookError as exc:
            print(f"FAIL {path.name}\n{exc}", file=sys.stderr)
            failed += 1
        else:
            print(f"ok   {path.name}  {seconds:6.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
