"""``hedgekit peers``, ``hedgekit cluster`` and ``hedgekit text ...``: business descriptions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hedgekit.cli._common import (
    HomeOption,
    JsonOption,
    _market,
    _print_json,
    check_output,
    console,
    progress_bars,
    user_warnings,
)
from hedgekit.cli._render import NUMBER, TEXT, _fmt, pd_date, print_fitted

__all__ = ["cluster", "peers", "text_app"]

text_app = typer.Typer(help="Business-description embeddings.", no_args_is_help=True)

EmbedderOption = Annotated[
    str,
    typer.Option(help="Backend: auto (MiniLM if installed, else tfidf), minilm, tfidf or a model."),
]


def peers(
    ticker: Annotated[str, typer.Argument(help="The company whose peers to find.")],
    date: Annotated[
        str | None, typer.Option(help="As-of date (default: the data's last date).")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Number of peers.")] = 10,
    embedder: EmbedderOption = "auto",
    universe: Annotated[
        str | None, typer.Option(help="Index (SPX) or comma-separated tickers; default: all.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Semantic peers: the companies whose business descriptions are closest."""
    from hedgekit.text import semantic_peers

    market = _market(home)
    when = date or f"{market.end:%Y-%m-%d}"
    uni: str | list[str] | None = None
    if universe:
        items = [u.strip() for u in universe.split(",") if u.strip()]
        uni = items[0] if len(items) == 1 and items[0].upper() in ("SPX", "SP500") else items
    with user_warnings(), progress_bars("finding semantic peers"):
        table = semantic_peers(market, ticker, when, k=k, embedder=embedder, universe=uni)
    attrs = table.attrs
    if as_json:
        _print_json(
            {
                "ticker": attrs.get("ticker"),
                "as_of": when,
                "embedder": attrs.get("embedder"),
                "look_ahead": bool(attrs.get("look_ahead", False)),
                "sub_industry": attrs.get("target_gics_sub_industry"),
                "peers": table.reset_index().to_dict("records"),
            }
        )
        return
    t = Table(
        title=f"Semantic peers of {attrs.get('ticker', ticker)} on {when} "
        f"({attrs.get('embedder', embedder)}; its sub-industry: "
        f"{attrs.get('target_gics_sub_industry') or '-'})"
    )
    for col in ("rank", "ticker", "name", "similarity", "sub-industry", "description"):
        t.add_column(col, **(NUMBER if col in ("rank", "similarity") else TEXT))
    for tick, row in table.iterrows():
        t.add_row(
            str(row["rank"]),
            str(tick),
            _fmt(row.get("name")),
            f"{float(row['similarity']):.3f}",
            _fmt(row.get("gics_sub_industry")),
            ("later vintage" if bool(row.get("look_ahead")) else "")
            or f"{pd_date(row.get('description_as_of'))}",
        )
    console.print(t)
    if attrs.get("look_ahead"):
        console.print(
            "[yellow]the target's description was published after the date (look-ahead)[/]"
        )


@text_app.command("eval")
def text_eval(
    date: Annotated[
        str, typer.Option(help="As-of date: descriptions, members and GICS known then.")
    ] = "2022-12-30",
    embedders: Annotated[
        str,
        typer.Option(
            help="Comma-separated backends to compare: minilm (packaged), tfidf, a+b "
            "(concatenated), a local model folder, or a hub name such as nomic (needs "
            "--allow-download)."
        ),
    ] = "minilm,tfidf",
    k: Annotated[int, typer.Option("-k", help="Neighbours per stock.")] = 10,
    window: Annotated[int, typer.Option(help="Trading days of returns after the date.")] = 252,
    allow_download: Annotated[
        bool,
        typer.Option(
            "--allow-download",
            help="Let hub models (nomic, any org/name) reach the Hugging Face hub to download "
            "or check the model; without it nothing touches the network.",
        ),
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """One table per backend: silhouette on GICS, kNN sub-industry accuracy, and the realised
    return correlation with semantic neighbours versus sub-industry peers and random stocks.

    Offline by default: the packaged MiniLM and TF-IDF; a hub model only with --allow-download.
    """
    from hedgekit.text import evaluate_embeddings

    market = _market(home)
    names = [e.strip() for e in embedders.split(",") if e.strip()]
    with user_warnings(), progress_bars(f"evaluating {len(names)} backend(s)"):
        table = evaluate_embeddings(
            market, names, as_of=date, k=k, window=window, skip_unavailable=True,
            allow_download=allow_download,
        )  # fmt: skip
    if as_json:
        _print_json(table.reset_index().to_dict("records"))
        return
    numbers = table.drop(columns=["status"])
    print_fitted(
        f"Embedding backends on {date} (k={k}, returns: {window} days after)",
        ["measure", *[str(name) for name in table.index]],
        [
            [
                str(col),
                *[
                    f"{v:.3f}" if isinstance(v, float) and v == v else _fmt(v)
                    for v in numbers[col].to_numpy()
                ],
            ]
            for col in numbers.columns
        ],
        text=("measure",),
    )
    for name, status in table["status"].items():  # a reason is text: a line, not a cell
        if status != "ok":
            console.print(f"[yellow]{escape(str(name))}:[/yellow] {escape(str(status))}")


def cluster(
    date: Annotated[
        str | None, typer.Option(help="As-of date (default: the data's last date).")
    ] = None,
    embedder: EmbedderOption = "auto",
    png: Annotated[Path | None, typer.Option(help="Write the 2-D map as PNG here.")] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write the interactive 2-D map (HTML) here.")
    ] = None,
    min_cluster_size: Annotated[
        int, typer.Option("--min-cluster-size", help="HDBSCAN's smallest cluster.")
    ] = 8,
    seed: Annotated[int, typer.Option(help="UMAP seed.")] = 42,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """UMAP + HDBSCAN clusters of the business descriptions, with ARI against GICS."""
    # the output files before the (slow) embedding and clustering
    check_output(png, "--png", (".png",), stem="clusters")
    check_output(html, "--html", (".html", ".htm"), stem="clusters")
    from hedgekit.text import cluster_market

    market = _market(home)
    when = date or f"{market.end:%Y-%m-%d}"
    with user_warnings(), progress_bars("embedding and clustering"):
        result = cluster_market(
            market,
            when,
            embedder,
            png=png,
            html=html,
            min_cluster_size=min_cluster_size,
            seed=seed,
        )
    if as_json:
        _print_json(result.to_dict())
        return
    console.print(
        f"{len(result.labels)} companies on {when} ({result.embedder}, {result.reducer}): "
        f"{result.n_clusters} clusters, {result.noise_share:.0%} noise"
    )
    sc = Table(title="Agreement with GICS")
    sc.add_column("reference")
    for col in result.scores.columns:
        sc.add_column(str(col), **NUMBER)
    for ref, row in result.scores.iterrows():
        sc.add_row(str(ref), *[_fmt(v) for v in row.to_numpy()])
    console.print(sc)
    summary = result.summary()
    t = Table(title="Clusters (largest first)")
    t.add_column("cluster", **NUMBER)
    for col in summary.columns:
        t.add_column(str(col))
    for c, row in summary.iterrows():
        t.add_row(str(c), *[_fmt(v) for v in row.to_numpy()])
    console.print(t)
    for path in (png, html):
        if path is not None:
            console.print(f"wrote {path}")
