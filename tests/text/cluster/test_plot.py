"""The maps: PNG, plotly HTML and SVG HTML, self-contained, and the missing-extra errors."""

from __future__ import annotations

import re
import sys

import pytest

from hedgekit.text import MissingDependencyError


def test_png_and_html_maps_are_written(planted_result, tmp_path):
    result, _ = planted_result
    png = result.plot_png(tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = result.plot_html(tmp_path / "map_svg.html", engine="svg").read_text()
    assert "<svg" in svg and "T000 Company T000" in svg and "cluster 0" in svg
    assert "http" not in svg  # self-contained: nothing fetched
    pytest.importorskip("plotly")
    page = result.plot_html(tmp_path / "map.html").read_text()
    assert 'id="hedgekit-map"' in page and "T000" in page and "colour: GICS sector" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)  # plotly.js inlined, nothing fetched
    assert not re.search(r"<script[^>]*\bsrc=", svg)


def test_html_falls_back_to_svg_and_png_names_the_extra(planted_result, tmp_path, monkeypatch):
    result, _ = planted_result
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    assert "<svg" in result.plot_html(tmp_path / "a.html").read_text()
    with pytest.raises(MissingDependencyError, match=r"plotly.*hedgekit\[cluster\].*'svg'"):
        result.plot_html(tmp_path / "b.html", engine="plotly")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hedgekit\[plot\]'"):
        result.plot_png(tmp_path / "a.png")
