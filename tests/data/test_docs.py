"""The bundle format document lists every table and column of the schema."""

from __future__ import annotations

from pathlib import Path

from hedgekit.data import BUNDLE_FILES, TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "bundle_format.md"


def test_bundle_format_doc_covers_the_schema():
    text = DOC.read_text()
    for stem in BUNDLE_FILES:
        assert f"`{stem}`" in text or f"{stem}.parquet" in text, stem
    for name, spec in TABLES.items():
        assert f"store table `{name}`" in text, name
        for column in spec.columns:
            assert f"`{column}`" in text, (name, column)
