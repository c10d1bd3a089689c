"""Maps of clusters in three formats: a PNG (matplotlib), a plotly HTML page, an SVG HTML page.

The PNG needs matplotlib (``pip install 'hedgekit[plot]'``); the HTML map uses plotly when
installed and a small hand-written SVG page otherwise, both self-contained (they work
offline). :class:`ClusterResult` and :class:`AIExperimentResult` call these functions from
their ``plot_png`` / ``plot_html`` methods.
"""

from __future__ import annotations

import colorsys
import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit._optional import import_optional, optional_module
from hedgekit.text.cluster._common import PathLike

if TYPE_CHECKING:
    from hedgekit.text.cluster._experiment import AIExperimentResult
    from hedgekit.text.cluster._result import ClusterResult

logger = logging.getLogger(__name__)

HtmlEngine = Literal["auto", "plotly", "svg"]

_TAB20 = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
    "#393b79",
    "#637939",
)
_NOISE_COLOUR = "#b8b8b8"


def _palette(n: int) -> list[str]:
    """``n`` distinct hex colours: tab20 first, then golden-ratio hues."""
    out = list(_TAB20[:n])
    i = 0
    while len(out) < n:
        hue = (0.13 + i * 0.618033988749895) % 1.0
        light = 0.35 if i % 2 else 0.55
        r, g, b = colorsys.hls_to_rgb(hue, light, 0.75)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
        i += 1
    return out


def _matplotlib_figure(width: float, height: float, ncols: int = 1) -> tuple[Any, list[Any]]:
    """A Figure on an Agg canvas (no pyplot, no global backend change) and its axes."""
    figure = import_optional("matplotlib.figure", extra="plot", purpose="plotting")
    agg = import_optional("matplotlib.backends.backend_agg", extra="plot", purpose="plotting")
    fig = figure.Figure(figsize=(width, height), layout="constrained")
    agg.FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


# ---------------------------------------------------------------------- cluster maps
def _title(result: ClusterResult) -> str:
    when = "" if result.as_of is None else f" on {result.as_of:%Y-%m-%d}"
    return (
        f"{len(result.labels)} companies{when}, {result.embedder or 'vectors'} -> "
        f"{result.reducer.upper()} + HDBSCAN: {result.n_clusters} clusters, "
        f"{result.noise_share:.0%} noise"
    )


def _cluster_names(result: ClusterResult, n_terms: int = 3) -> dict[int, str]:
    names = {}
    for pos, c in enumerate(int(c) for c in result.clusters.index.to_numpy()):
        row = result.clusters.iloc[pos]
        terms = ", ".join(list(row["top_terms"])[:n_terms])
        label = "noise" if int(c) < 0 else f"{int(c)}"
        names[int(c)] = f"{label}: {terms}" if terms and int(c) >= 0 else label
    return names


def _colours(result: ClusterResult) -> dict[int, str]:
    ids = sorted(c for c in result.labels.unique() if c >= 0)
    out = dict(zip(ids, _palette(len(ids)), strict=True))
    out[-1] = _NOISE_COLOUR
    return out


def plot_clusters_png(
    result: ClusterResult,
    path: PathLike,
    *,
    title: str | None = None,
    by_sector: bool | None = None,
    annotate: bool = True,
    dpi: int = 130,
) -> Path:
    """Write the map of :meth:`ClusterResult.plot_png` (see there for the parameters)."""
    has_sector = "gics_sector" in result.info.columns and result.info["gics_sector"].notna().any()
    two = has_sector if by_sector is None else bool(by_sector and has_sector)
    fig, axes = _matplotlib_figure(14.0 if two else 8.0, 7.0, 2 if two else 1)
    frame = result.to_frame()
    colours = _colours(result)
    names = _cluster_names(result)
    ax = axes[0]
    noise = frame[frame["cluster"] < 0]
    ax.scatter(noise["x"], noise["y"], s=8, c=_NOISE_COLOUR, alpha=0.6, lw=0, label="noise")
    for c in sorted(c for c in frame["cluster"].unique() if c >= 0):
        part = frame[frame["cluster"] == c]
        ax.scatter(part["x"], part["y"], s=18, c=colours[c], alpha=0.9, lw=0)
        if annotate:
            ax.annotate(
                names[c],
                (float(part["x"].median()), float(part["y"].median())),
                fontsize=7,
                ha="center",
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "fc": "white",
                    "ec": colours[c],
                    "alpha": 0.8,
                },
            )
    ax.set_title("HDBSCAN clusters (grey: noise)", fontsize=10)
    if two:
        sec_ax = axes[1]
        sectors = frame["gics_sector"].fillna("unknown")
        kinds = sorted(sectors.unique())
        sector_colour = dict(zip(kinds, _palette(len(kinds)), strict=True))
        for s in kinds:
            part = frame[sectors == s]
            sec_ax.scatter(
                part["x"], part["y"], s=14, c=sector_colour[s], alpha=0.85, lw=0, label=s
            )
        sec_ax.legend(fontsize=7, markerscale=1.5, loc="best", framealpha=0.8)
        sec_ax.set_title("GICS sector", fontsize=10)
    for a in axes:
        a.set_xticks([])
        a.set_yticks([])
        a.set_xlabel(f"{result.reducer.upper()} 1", fontsize=8)
        a.set_ylabel(f"{result.reducer.upper()} 2", fontsize=8)
    fig.suptitle(title or _title(result), fontsize=11)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    return out


def _hover_rows(result: ClusterResult) -> pd.DataFrame:
    frame = result.to_frame()
    names = _cluster_names(result)
    for col in ("name", "gics_sector", "gics_sub_industry"):
        if col not in frame.columns:
            frame[col] = ""
    frame[["name", "gics_sector", "gics_sub_industry"]] = (
        frame[["name", "gics_sector", "gics_sub_industry"]].astype("object").fillna("")
    )
    frame["cluster_name"] = frame["cluster"].map(names)
    return frame


def plot_clusters_html(
    result: ClusterResult, path: PathLike, *, title: str | None = None, engine: HtmlEngine = "auto"
) -> Path:
    """Write the page of :meth:`ClusterResult.plot_html` (see there for the parameters)."""
    if engine not in ("auto", "plotly", "svg"):
        raise ConfigurationError(f"engine={engine!r} must be 'auto', 'plotly' or 'svg'")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    heading = title or _title(result)
    if engine in ("auto", "plotly"):
        go = (
            import_optional(
                "plotly.graph_objects",
                extra="cluster",
                purpose="the plotly HTML map",
                alternative="or pass engine='svg'",
            )
            if engine == "plotly"
            else optional_module("plotly.graph_objects")
        )
        if go is None:
            logger.info("plotly is not installed; writing the SVG version of the map")
        else:
            fig = _plotly_figure(result, go, heading)
            fig.write_html(out, include_plotlyjs=True, full_html=True, div_id="hedgekit-map")
            return out
    out.write_text(_svg_page(result, heading), encoding="utf-8")
    return out


def _plotly_figure(result: ClusterResult, go: Any, heading: str) -> Any:
    frame = _hover_rows(result)
    colours = _colours(result)
    traces = []
    hover = (
        "<b>%{customdata[0]}</b> %{customdata[1]}<br>%{customdata[2]}<br>"
        "sector: %{customdata[3]}<br>cluster %{customdata[4]}<extra></extra>"
    )
    custom = ["ticker", "name", "gics_sub_industry", "gics_sector", "cluster_name"]
    ids = sorted(frame["cluster"].unique(), key=lambda c: (c < 0, c))
    for c in ids:
        part = frame[frame["cluster"] == c].reset_index()
        traces.append(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=f"{_cluster_names(result)[c]} ({len(part)})",
                marker={"color": colours[c], "size": 6 if c < 0 else 8, "opacity": 0.85},
                customdata=part[custom].to_numpy(),
                hovertemplate=hover,
                visible=True,
            )
        )
    sectors = frame["gics_sector"].replace("", "unknown")
    kinds = sorted(sectors.unique())
    for s, colour in zip(kinds, _palette(len(kinds)), strict=True):
        part = frame[sectors == s].reset_index()
        traces.append(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=f"{s} ({len(part)})",
                marker={"color": colour, "size": 8, "opacity": 0.85},
                customdata=part[custom].to_numpy(),
                hovertemplate=hover,
                visible=False,
            )
        )
    n_c = len(ids)
    buttons = [
        {
            "label": "colour: cluster",
            "method": "update",
            "args": [{"visible": [True] * n_c + [False] * len(kinds)}],
        },
        {
            "label": "colour: GICS sector",
            "method": "update",
            "args": [{"visible": [False] * n_c + [True] * len(kinds)}],
        },
    ]
    fig = go.Figure(traces)
    fig.update_layout(
        title={"text": html.escape(heading), "font": {"size": 14}, "y": 0.97},
        template="plotly_white",
        height=760,
        legend={"font": {"size": 10}, "itemsizing": "constant"},
        xaxis={"showticklabels": False, "title": f"{result.reducer.upper()} 1"},
        yaxis={"showticklabels": False, "title": f"{result.reducer.upper()} 2"},
        margin={"t": 110},
        updatemenus=[
            {
                "type": "buttons",
                "buttons": buttons,
                "direction": "left",
                "x": 0,
                "xanchor": "left",
                "y": 1.02,
                "yanchor": "bottom",
            }
        ],
    )
    return fig


def _svg_page(result: ClusterResult, heading: str) -> str:
    frame = _hover_rows(result)
    colours = _colours(result)
    sectors = frame["gics_sector"].replace("", "unknown")
    kinds = sorted(sectors.unique())
    sector_colour = dict(zip(kinds, _palette(len(kinds)), strict=True))
    width, height, pad = 900.0, 700.0, 20.0
    x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    span_x = max(float(np.ptp(x)), 1e-9) if len(x) else 1.0
    span_y = max(float(np.ptp(y)), 1e-9) if len(y) else 1.0
    px = pad + (x - (x.min() if len(x) else 0.0)) / span_x * (width - 2 * pad)
    py = height - pad - (y - (y.min() if len(y) else 0.0)) / span_y * (height - 2 * pad)
    circles = []
    for i, (ticker, row) in enumerate(frame.iterrows()):
        c = int(row["cluster"])
        tip = (
            f"{ticker} {row['name']}\n{row['gics_sub_industry']}\n"
            f"sector: {row['gics_sector']}\ncluster {row['cluster_name']}"
        )
        circles.append(
            f'<circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="{3 if c < 0 else 4.5}" '
            f'fill="{colours[c]}" data-c="{colours[c]}" '
            f'data-s="{sector_colour[sectors.iloc[i]]}" data-k="{c}">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
    names = _cluster_names(result)
    legend_c = "".join(
        f'<li data-k="{c}"><span style="background:{colours[c]}"></span>'
        f"{html.escape(names[c])} ({int((frame['cluster'] == c).sum())})</li>"
        for c in sorted(frame["cluster"].unique(), key=lambda c: (c < 0, c))
    )
    legend_s = "".join(
        f'<li><span style="background:{sector_colour[s]}"></span>{html.escape(str(s))} '
        f"({int((sectors == s).sum())})</li>"
        for s in kinds
    )
    return _SVG_TEMPLATE.format(
        title=html.escape(heading),
        width=int(width),
        height=int(height),
        circles="\n".join(circles),
        legend_c=legend_c,
        legend_s=legend_s,
    )


_SVG_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 12px; }}
#wrap {{ display: flex; gap: 16px; align-items: flex-start; }}
svg {{ border: 1px solid #ddd; max-width: 70vw; height: auto; }}
circle {{ stroke: white; stroke-width: 0.5; }}
circle.dim {{ opacity: 0.12; }}
ul {{ list-style: none; padding: 0; margin: 0; font-size: 12px; }}
li {{ cursor: pointer; margin: 2px 0; }}
li span {{ display: inline-block; width: 10px; height: 10px; margin-right: 5px; }}
#tip {{ position: fixed; pointer-events: none; background: #fff; border: 1px solid #999;
        padding: 4px 6px; font-size: 12px; white-space: pre; display: none; }}
</style></head><body>
<h3>{title}</h3>
<p>Hover a point for the company; click a cluster in the legend to highlight it.
<label><input type="checkbox" id="bysector"> colour by GICS sector</label></p>
<div id="wrap">
<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}">
{circles}
</svg>
<div><ul id="lc">{legend_c}</ul><ul id="ls" style="display:none">{legend_s}</ul></div>
</div>
<div id="tip"></div>
<script>
(function () {{
  var tip = document.getElementById("tip"), pts = document.querySelectorAll("circle");
  pts.forEach(function (p) {{
    var text = p.querySelector("title").textContent;
    p.addEventListener("mousemove", function (e) {{
      tip.textContent = text; tip.style.display = "block";
      tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px";
    }});
    p.addEventListener("mouseleave", function () {{ tip.style.display = "none"; }});
  }});
  var chosen = null;
  document.querySelectorAll("#lc li").forEach(function (li) {{
    li.addEventListener("click", function () {{
      chosen = chosen === li.dataset.k ? null : li.dataset.k;
      pts.forEach(function (p) {{
        p.classList.toggle("dim", chosen !== null && p.dataset.k !== chosen);
      }});
    }});
  }});
  document.getElementById("bysector").addEventListener("change", function (e) {{
    var s = e.target.checked;
    pts.forEach(function (p) {{ p.setAttribute("fill", s ? p.dataset.s : p.dataset.c); }});
    document.getElementById("lc").style.display = s ? "none" : "";
    document.getElementById("ls").style.display = s ? "" : "none";
  }});
}})();
</script>
</body></html>
"""


# ---------------------------------------------------------------------- AI experiment map
def plot_experiment_png(
    result: AIExperimentResult, path: PathLike, *, title: str | None = None, dpi: int = 130
) -> Path:
    """Write the map of :meth:`AIExperimentResult.plot_png`."""
    fig, (ax,) = _matplotlib_figure(9.0, 7.5)
    frame = result.companies
    style = {"maker": ("#d62728", "^"), "user": ("#1f77b4", "o")}
    for group, (colour, marker) in style.items():
        part = frame[frame["group"] == group]
        label = f"{group}s ({len(part)})"
        ax.scatter(part["x"], part["y"], s=46, c=colour, marker=marker, lw=0, label=label)
        for ticker, row in part.iterrows():
            ax.annotate(
                str(ticker),
                (row["x"], row["y"]),
                fontsize=7,
                xytext=(3, 2),
                textcoords="offset points",
                color=colour,
            )
    m = result.metrics
    ax.legend(loc="best", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    reducer = result.clustering.reducer.upper()
    ax.set_xlabel(f"{reducer} 1", fontsize=8)
    ax.set_ylabel(f"{reducer} 2", fontsize=8)
    ax.set_title(
        title
        or (
            f"AI makers vs users, {result.embedder}, {result.as_of:%Y-%m-%d}: "
            f"silhouette {m['silhouette']:.2f}, {int(m['k'])}-NN purity "
            f"{m['knn_purity']:.2f} (chance {m['knn_purity_chance']:.2f}), "
            f"2-means ARI {m['kmeans2_ari']:.2f}"
        ),
        fontsize=10,
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    return out
