"""Cluster the companies by their business descriptions: maps, GICS agreement, AI experiment.

Embeds the descriptions known on ``--as-of`` (default 2023-12-29) with each backend of
``--embedders`` (default MiniLM and TF-IDF), clusters them with
:func:`hedgekit.text.cluster_market` (UMAP + HDBSCAN, default parameters), runs
the "AI makers versus AI users" experiment (:func:`~hedgekit.text.ai_experiment`),
writes the figures of ``docs/clusters.md`` and prints its tables as markdown::

    python scripts/make_cluster_report.py --data /work/shared/data/us_equities --out docs

    docs/img/clusters.png      2-D map of the first backend, by cluster and by GICS sector
    docs/img/clusters.html     the same map, interactive (self-contained, works offline)
    docs/img/ai_clusters.png   the AI experiment's map, makers and users marked

The HTML map of the docs is written with the small SVG engine (``--html-engine svg``,
~0.1 MB) unless asked otherwise; the plotly version (plotly.js inlined, ~5 MB) goes to
``--plotly-html`` (default under /tmp), or into the docs when it is smaller than
``--html-max-mb``. The bundle is imported into a temporary store unless ``--store`` names
an existing data home (whose embedding cache then saves the ~2.5 minutes MiniLM takes).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.data import MarketData, Store, import_bundle
from hedgekit.text import ClusterResult, EmbeddingIndex, ai_experiment, cluster_market


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("/work/shared/data/us_equities"))
    p.add_argument("--store", type=Path, default=None, help="existing data home (skips import)")
    p.add_argument("--out", type=Path, default=Path("docs"), help="docs folder (figures in img/)")
    p.add_argument("--as-of", default="2023-12-29")
    p.add_argument("--embedders", nargs="+", default=["minilm", "tfidf"])
    p.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44, 45, 46])
    p.add_argument("--html-engine", choices=["auto", "plotly", "svg"], default="svg")
    p.add_argument(
        "--plotly-html",
        type=Path,
        default=Path(tempfile.gettempdir()) / "hedgekit_cluster_report" / "clusters_plotly.html",
    )
    p.add_argument("--html-max-mb", type=float, default=5.0)
    p.add_argument("--no-sensitivity", action="store_true", help="skip the parameter grid")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float | np.floating):
        return "" if not np.isfinite(value) else f"{value:.{digits}f}"
    return str(value)


def _md(frame: pd.DataFrame, digits: int = 3) -> str:
    """A DataFrame as a GitHub markdown table (index as the first column)."""
    head = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in frame.iterrows():
        cells = [str(idx)] + [_fmt(v, digits).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _nmi_chance(result: ClusterResult, reference: str, draws: int = 50) -> float:
    """Mean NMI of the same cluster sizes assigned at random (noise excluded)."""
    from sklearn.metrics import normalized_mutual_info_score

    frame = result.to_frame()
    frame = frame[(frame["cluster"] >= 0) & frame[reference].notna()]
    rng = np.random.default_rng(0)
    labels = frame["cluster"].to_numpy()
    ref = frame[reference].astype(str).to_numpy()
    return float(
        np.mean([normalized_mutual_info_score(ref, rng.permutation(labels)) for _ in range(draws)])
    )


def _score_rows(name: str, result: ClusterResult, seeds: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for ref in ("gics_sector", "gics_sub_industry"):
        s = result.scores.loc[ref]
        spread = seeds[f"ari_{ref}"]
        rows.append(
            {
                "backend": name,
                "reference": ref.removeprefix("gics_"),
                "clusters": result.n_clusters,
                "noise": f"{result.noise_share:.0%}",
                "ARI": s["ari"],
                "NMI": s["nmi"],
                "NMI, random labels": _nmi_chance(result, ref),
                "ARI, noise as label": s["ari_with_noise"],
                "NMI, noise as label": s["nmi_with_noise"],
                f"ARI over {len(seeds)} seeds": (
                    f"{spread.mean():.2f} [{spread.min():.2f}, {spread.max():.2f}]"
                ),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )
    img = args.out / "img"
    img.mkdir(parents=True, exist_ok=True)
    tmp = None
    if args.store is None:
        tmp = Path(tempfile.mkdtemp(prefix="hk_cluster_report_"))
        store = Store(tmp)
        import_bundle(args.data, store)
    else:
        store = Store(args.store)
    try:
        market = MarketData(store)
        score_rows: list[dict[str, Any]] = []
        ai_rows: dict[str, pd.Series] = {}
        grid_rows: list[dict[str, Any]] = []
        timings: dict[str, float] = {}
        first: ClusterResult | None = None
        first_ai = None
        for name in args.embedders:
            t0 = time.perf_counter()
            index = EmbeddingIndex.from_market(market, args.as_of, embedder=name)
            timings[f"{name}: embed"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = cluster_market(market, args.as_of, index=index, seed=args.seeds[0])
            timings[f"{name}: cluster (first call includes numba JIT)"] = time.perf_counter() - t0
            seed_rows = []
            t0 = time.perf_counter()
            for seed in args.seeds:
                r = result
                if seed != args.seeds[0]:
                    r = cluster_market(market, args.as_of, index=index, seed=seed)
                seed_rows.append(
                    {
                        f"ari_{k}": r.scores.at[k, "ari"]
                        for k in ("gics_sector", "gics_sub_industry")
                    }
                )
            timings[f"{name}: {len(args.seeds) - 1} more seeds"] = time.perf_counter() - t0
            score_rows += _score_rows(index.embedder, result, pd.DataFrame(seed_rows))
            if not args.no_sensitivity:
                for mcs in (5, 8, 15):
                    for method in ("eom", "leaf"):
                        r = cluster_market(
                            market,
                            args.as_of,
                            index=index,
                            min_cluster_size=mcs,
                            cluster_selection_method=method,
                            seed=args.seeds[0],
                        )
                        grid_rows.append(
                            {
                                "backend": index.embedder,
                                "min_cluster_size": mcs,
                                "selection": method,
                                "clusters": r.n_clusters,
                                "noise": f"{r.noise_share:.0%}",
                                "largest": int(r.clusters.loc[r.clusters.index >= 0, "size"].max()),
                                "ARI sector": r.scores.at["gics_sector", "ari"],
                                "ARI sub-industry": r.scores.at["gics_sub_industry", "ari"],
                                "NMI sub-industry": r.scores.at["gics_sub_industry", "nmi"],
                            }
                        )
            t0 = time.perf_counter()
            exp = ai_experiment(index, market, args.as_of, seed=args.seeds[0])
            timings[f"{name}: AI experiment"] = time.perf_counter() - t0
            ai_rows[index.embedder] = exp.summary()
            if first is None:
                first, first_ai = result, exp

        assert first is not None and first_ai is not None
        first.plot_png(img / "clusters.png")
        html_path = img / "clusters.html"
        if args.html_engine == "svg":
            first.plot_html(html_path, engine="svg")
            args.plotly_html.parent.mkdir(parents=True, exist_ok=True)
            try:
                first.plot_html(args.plotly_html, engine="plotly")
                print(f"plotly map: {args.plotly_html}", file=sys.stderr)
            except ImportError as exc:
                print(f"no plotly map: {exc}", file=sys.stderr)
        else:
            first.plot_html(html_path, engine=args.html_engine)
            size = html_path.stat().st_size / 1e6
            if size > args.html_max_mb:
                args.plotly_html.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(html_path, args.plotly_html)
                first.plot_html(html_path, engine="svg")
                print(
                    f"{size:.1f} MB > {args.html_max_mb} MB: moved to {args.plotly_html}, "
                    f"wrote the SVG map to {html_path}",
                    file=sys.stderr,
                )
        first_ai.plot_png(img / "ai_clusters.png")

        print(f"## Agreement with GICS ({args.as_of})\n")
        print(_md(pd.DataFrame(score_rows).set_index("backend")))
        print(f"\n## Largest clusters ({first.embedder})\n")
        print(_md(first.summary(n_terms=6, n_members=10).head(12)))
        noise = list(first.labels.index[first.labels < 0])
        print(f"\nnoise ({len(noise)}): {', '.join(noise)}")
        if grid_rows:
            print("\n## Sensitivity (one seed)\n")
            print(_md(pd.DataFrame(grid_rows).set_index("backend")))
        print("\n## AI makers versus AI users\n")
        ai_table = pd.DataFrame(ai_rows).astype(object)
        counts = ["n", "n_makers", "n_users", "k", "hdbscan_n_clusters", "n_permutations"]
        counts.append("n_look_ahead")
        ai_table.loc[counts] = ai_table.loc[counts].map(int)
        print(_md(ai_table))
        print("\nkeyword matches (makers / users):\n")
        print(_md(first_ai.keywords))
        print(f"\ncompanies ({first_ai.embedder}):\n")
        cols = ["name", "gics_sub_industry", "group", "keywords", "knn_same_group", "kmeans"]
        print(_md(first_ai.companies[cols].sort_values(["group", "kmeans"]), 1))
        print("\n## Run times (s)\n")
        print(_md(pd.Series(timings, name="seconds").to_frame(), 1))
        for path in (img / "clusters.png", html_path, img / "ai_clusters.png"):
            print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)", file=sys.stderr)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
