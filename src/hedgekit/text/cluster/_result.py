"""The result of a clustering: labels, the 2-D map, cluster tables and GICS scores."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hedgekit._json import jsonable as _jsonable
from hedgekit.text.cluster._agreement import cluster_agreement
from hedgekit.text.cluster._common import PathLike
from hedgekit.text.cluster._plot import HtmlEngine, plot_clusters_html, plot_clusters_png

__all__ = ["ClusterResult"]


@dataclass(frozen=True)
class ClusterResult:
    """Clusters of companies, their 2-D map, summaries and agreement with GICS.

    Attributes
    ----------
    labels : Series of int
        Cluster per ticker; ``-1`` is noise. Clusters are numbered by size, largest first.
    probabilities : Series of float
        HDBSCAN membership strength in [0, 1] (0 for noise).
    coords : DataFrame
        Columns ``x`` and ``y``: the 2-D map (UMAP or PCA), per ticker.
    info : DataFrame
        Per ticker: ``name``, GICS columns when given, ``look_ahead`` when known.
    clusters : DataFrame
        One row per cluster (noise last, as ``-1``): ``size``, ``share``, ``top_terms``
        (tuple), ``top_sector``, ``top_sector_share``, ``top_sub_industry``,
        ``top_sub_industry_share`` (shares among members with a known GICS),
        ``n_sub_industries``, ``mean_probability`` and ``members`` (tuple of tickers, the
        strongest members first).
    scores : DataFrame
        Indexed by reference (``gics_sector``, ``gics_sub_industry``): the columns of
        :func:`cluster_agreement` and ``n_reference_labels``. Empty without GICS.
    params : dict
        The parameters used (after clipping to the sample size) and ``reducer``.
    reducer : str
        ``'umap'`` or ``'pca'`` (the fallback, or asked for).
    embedder : str
        The backend of the vectors.
    as_of : Timestamp or None
        The date of the vectors.
    timings : dict
        Seconds spent per step (``reduce``, ``cluster``, ``terms``; ``embed`` when
        :func:`cluster_market` built the index).
    """

    labels: pd.Series
    probabilities: pd.Series
    coords: pd.DataFrame
    info: pd.DataFrame
    clusters: pd.DataFrame
    scores: pd.DataFrame
    params: dict[str, Any]
    reducer: str
    embedder: str = ""
    as_of: pd.Timestamp | None = None
    timings: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ numbers
    @property
    def tickers(self) -> tuple[str, ...]:
        """Tickers, in the order of the index that was clustered."""
        return tuple(str(t) for t in self.labels.index)

    @property
    def n_clusters(self) -> int:
        """Number of clusters (noise not counted)."""
        return int((self.labels.unique() >= 0).sum())

    @property
    def noise_share(self) -> float:
        """Share of the companies labelled noise (``-1``)."""
        return float((self.labels < 0).mean()) if len(self.labels) else float("nan")

    def agreement(self, reference: pd.Series | Mapping[str, Hashable]) -> dict[str, float]:
        """:func:`cluster_agreement` of the labels with a reference, per ticker."""
        ref = reference if isinstance(reference, pd.Series) else pd.Series(dict(reference))
        return cluster_agreement(self.labels, ref)

    # ------------------------------------------------------------------ tables
    def _cluster_rows(self) -> list[tuple[int, pd.Series]]:
        """``(cluster id, row of clusters)`` pairs, in table order."""
        ids = [int(c) for c in self.clusters.index.to_numpy()]
        return [(c, self.clusters.iloc[pos]) for pos, c in enumerate(ids)]

    def to_frame(self) -> pd.DataFrame:
        """One row per ticker: ``cluster``, ``probability``, ``x``, ``y`` and ``info``."""
        out = pd.DataFrame(
            {
                "cluster": self.labels,
                "probability": self.probabilities,
                "x": self.coords["x"],
                "y": self.coords["y"],
            }
        )
        return out.join(self.info)

    def summary(
        self, n_terms: int = 6, n_members: int = 10, *, include_noise: bool = False
    ) -> pd.DataFrame:
        """Display table of the clusters (strings), largest first.

        Parameters
        ----------
        n_terms : int
            Top terms shown per cluster.
        n_members : int
            Members shown per cluster (the strongest first; ``+k`` counts the rest).
        include_noise : bool
            Add the noise row (``-1``).

        Returns
        -------
        DataFrame
            Indexed by ``cluster``: ``size``, ``top_terms``, ``gics_sub_industry`` (the most
            common one and its share), ``gics_sector`` (likewise), ``members``.
        """
        rows = []
        for c, row in self._cluster_rows():
            if int(c) < 0 and not include_noise:
                continue
            members = list(row["members"])
            shown = ", ".join(members[:n_members])
            if len(members) > n_members:
                shown += f" (+{len(members) - n_members})"
            rows.append(
                {
                    "cluster": int(c),
                    "size": int(row["size"]),
                    "top_terms": ", ".join(list(row["top_terms"])[:n_terms]),
                    "gics_sub_industry": _with_share(
                        row["top_sub_industry"], row["top_sub_industry_share"]
                    ),
                    "gics_sector": _with_share(row["top_sector"], row["top_sector_share"]),
                    "members": shown,
                }
            )
        columns = ["size", "top_terms", "gics_sub_industry", "gics_sector", "members"]
        if not rows:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="cluster"))
        return pd.DataFrame(rows).set_index("cluster")[columns]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: settings, scores, clusters and one record per company."""
        clusters = []
        for c, row in self._cluster_rows():
            rec = {"cluster": int(c), **{k: row[k] for k in self.clusters.columns}}
            clusters.append(rec)
        companies = self.to_frame().reset_index().to_dict(orient="records")
        return _jsonable(
            {
                "as_of": self.as_of,
                "embedder": self.embedder,
                "reducer": self.reducer,
                "params": self.params,
                "n_companies": len(self.labels),
                "n_clusters": self.n_clusters,
                "noise_share": self.noise_share,
                "scores": {str(k): dict(v) for k, v in self.scores.to_dict(orient="index").items()},
                "timings": self.timings,
                "clusters": clusters,
                "companies": companies,
            }
        )

    def __repr__(self) -> str:
        when = "" if self.as_of is None else f", as_of={self.as_of:%Y-%m-%d}"
        return (
            f"ClusterResult(n={len(self.labels)}, n_clusters={self.n_clusters}, "
            f"noise_share={self.noise_share:.2f}, reducer={self.reducer!r}, "
            f"embedder={self.embedder!r}{when})"
        )

    # ------------------------------------------------------------------ plots
    def plot_png(
        self,
        path: PathLike,
        *,
        title: str | None = None,
        by_sector: bool | None = None,
        annotate: bool = True,
        dpi: int = 130,
    ) -> Path:
        """Save the 2-D map as a PNG, coloured by cluster (and a panel by GICS sector).

        Parameters
        ----------
        path : str or path-like
        title : str, optional
            Figure title (default: what was clustered, how, and the result).
        by_sector : bool, optional
            Add a second panel coloured by GICS sector (default: when sectors are known).
        annotate : bool
            Write ``id: top terms`` at the median point of each cluster.
        dpi : int

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        MissingDependencyError
            matplotlib is not installed (``pip install 'hedgekit[plot]'``).
        """
        return plot_clusters_png(
            self, path, title=title, by_sector=by_sector, annotate=annotate, dpi=dpi
        )

    def plot_html(
        self, path: PathLike, *, title: str | None = None, engine: HtmlEngine = "auto"
    ) -> Path:
        """Save the 2-D map as a self-contained interactive HTML page.

        Hovering a point shows its ticker, name, GICS sub-industry and cluster (with its top
        terms); points are coloured by cluster, and a control switches to GICS sector.

        Parameters
        ----------
        path : str or path-like
        title : str, optional
        engine : {'auto', 'plotly', 'svg'}
            ``'plotly'``: plotly with plotly.js inlined (``include_plotlyjs=True``, ~5 MB,
            works offline); ``'svg'``: a small hand-written SVG + JavaScript page (~0.1 MB);
            ``'auto'`` (default): plotly when it is installed, else SVG.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        MissingDependencyError
            ``engine='plotly'`` and plotly is not installed (``pip install 'hedgekit[cluster]'``).
        """
        return plot_clusters_html(self, path, title=title, engine=engine)


def _with_share(label: object, share: object) -> str:
    if not isinstance(label, str) or not label:
        return ""
    return f"{label} ({float(share):.0%})" if isinstance(share, float | int) else label
