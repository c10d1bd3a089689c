"""The notebooks in ``notebooks/`` run end to end: every one on the demo market, the hedge
comparison on the real data. Each runs in its own kernel (``scripts/run_notebooks.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytest.importorskip("jupytext", reason="pip install jupytext to run the notebook tests")
pytest.importorskip("nbclient", reason="pip install nbclient ipykernel to run the notebook tests")
pytest.importorskip("ipykernel", reason="pip install ipykernel to run the notebook tests")


def _runner():
    spec = importlib.util.spec_from_file_location(
        "run_notebooks", REPO / "scripts" / "run_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _runner()
NOTEBOOKS = runner.notebook_paths()


def test_every_issue_notebook_exists():
    stems = {p.stem for p in NOTEBOOKS}
    assert {
        "00_data_quality",
        "01_factor_model",
        "02_embeddings_and_peers",
        "03_hedge_comparison",
        "04_clustering",
        "05_performance_hedger_tour",
        "06_monitor_and_rebalance",
    } <= stems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_demo_market(path: Path):
    runner.run_notebook(path, "demo", timeout=300)


@pytest.mark.realdata
def test_hedge_comparison_runs_on_real_data(real_data_dir: Path):
    path = REPO / "notebooks" / "03_hedge_comparison.py"
    runner.run_notebook(path, str(real_data_dir), timeout=600)


@pytest.mark.realdata
def test_monitor_and_rebalance_runs_on_real_data(real_data_dir: Path):
    """Issue 16: WDC hedged on 2022-06-30, monitored every quarter for 18 months."""
    path = REPO / "notebooks" / "06_monitor_and_rebalance.py"
    runner.run_notebook(path, str(real_data_dir), timeout=900)


def test_failing_cell_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    bad = tmp_path / "99_bad.py"
    bad.write_text('# %%\nx = 1\n\n# %%\nraise ValueError("boom from cell two")\n')
    with pytest.raises(runner.NotebookError, match="boom from cell two"):
        runner.run_notebook(bad, "demo", timeout=60)
