"""The documentation site builds with ``mkdocs build --strict``: no broken link, no page left
out of the nav, no docstring mkdocstrings cannot render."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _missing() -> list[str]:
    """Docs-site packages that are not installed."""
    modules = {
        "mkdocs": "mkdocs",
        "material": "mkdocs-material",
        "mkdocstrings": "mkdocstrings",
        "mkdocstrings_handlers": "mkdocstrings-python",
    }
    return [pkg for module, pkg in modules.items() if importlib.util.find_spec(module) is None]


@pytest.mark.skipif(
    bool(_missing()),
    reason="docs site not checked: pip install mkdocs-material 'mkdocstrings[python]' "
    f"(missing: {', '.join(_missing())})",
)
def test_mkdocs_build_strict(tmp_path: Path):
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-5000:]}"
    assert (site / "index.html").exists()
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "grid_search" in api, "the API page did not render hedgekit.hedge.PerformanceHedge"
