"""Semantic peers (hedgekit.text): embedding speed, cache speed, memory, and the evaluation.

Two modes, both on the real bundle (default ``../shared/data/us_equities``, imported into a
temporary store unless ``--home`` names an existing one):

``speed``
    Each step runs in a fresh child process (so its peak RSS is its own):

    1. fresh embedding of every description known at 2022-12-30 (~515 companies) with the
       packaged all-MiniLM-L6-v2 and the default chunking (128-token windows, 32 overlap),
       empty cache: model load time, embedding time, peak memory;
    2. the same with ``num_threads=1`` (one torch thread; faster on a busy machine);
    3. the same call again with the cache filled: time of ``EmbeddingIndex.from_market``
       (descriptions read from the store, keys hashed, vectors read; no model load);
    4. TF-IDF + SVD of the same descriptions (whole texts).

``eval``
    :func:`hedgekit.text.evaluate_embeddings` on the S&P 500 members of 2022-12-01 (the
    descriptions of the 2022-12-01 vintage), k = 10, for MiniLM (default chunking, and with
    the company-name header), TF-IDF, and nomic-embed-text-v1.5 (reported as not run when it
    cannot be loaded). It prints two tables: the development window (the 252 trading days
    up to 2022-12-01) used for every choice, and the test window (the 252 trading days
    after), reported once.

Run::

    python benchmarks/bench_text.py speed [--home STORE] [--json OUT]
    python benchmarks/bench_text.py eval  [--home STORE] [--json OUT]

Targets (issue 5): 500 companies re-read from the cache <= 1 s; embedded fresh <= 60 s on
2 CPU cores with the default model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AS_OF_SPEED = "2022-12-30"
AS_OF_EVAL = "2022-12-01"


def _child(code: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; it fills the dict ``out``, printed as JSON."""
    wrapper = textwrap.dedent(
        """
        import json, os, resource, time
        out = {}
        {body}
        out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["load_average"] = os.getloadavg()[0]
        print("JSON" + json.dumps(out))
        """
    ).replace("{body}", textwrap.dedent(code))
    proc = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("JSON"))
    return dict(json.loads(line[4:]))


def _store(args: argparse.Namespace) -> tuple[Path, tempfile.TemporaryDirectory[str] | None]:
    if args.home is not None:
        return args.home, None
    from hedgekit.data import Store, import_bundle

    tmp = tempfile.TemporaryDirectory()
    import_bundle(args.data, Store(tmp.name))
    return Path(tmp.name), tmp


def speed(args: argparse.Namespace) -> list[dict[str, object]]:
    home, tmp = _store(args)
    cache_dir = tempfile.mkdtemp(prefix="hk-text-cache-")
    common = f"""
        from hedgekit.data import MarketData, Store
        from hedgekit.text import EmbeddingCache, EmbeddingIndex, SentenceTransformerEmbedder
        market = MarketData(Store({str(home)!r}))
        market.as_of("{AS_OF_SPEED}").descriptions()
        cache = EmbeddingCache({cache_dir!r})
    """
    fresh = _child(
        common
        + """
        import torch
        out["torch_threads"] = torch.get_num_threads()
        emb = SentenceTransformerEmbedder()
        t0 = time.perf_counter(); emb._load(); out["model_load_s"] = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        idx = EmbeddingIndex.from_market(market, "AS_OF", embedder=emb, cache=cache)
        out["embed_s"] = time.perf_counter() - t0
        out["embed_cpu_s"] = time.process_time() - c0
        out["companies"] = len(idx); out["chunks"] = int(idx.info["n_chunks"].sum())
        out["tokens"] = int(idx.info["n_tokens"].sum()); out["cache_hits"] = idx.cache_hits
        """.replace("AS_OF", AS_OF_SPEED)
    )
    warm = _child(
        common
        + """
        emb = SentenceTransformerEmbedder()
        t0 = time.perf_counter()
        idx = EmbeddingIndex.from_market(market, "AS_OF", embedder=emb, cache=cache)
        out["reread_s"] = time.perf_counter() - t0
        out["companies"] = len(idx); out["cache_hits"] = idx.cache_hits
        out["model_loaded"] = emb._model is not None
        t0 = time.perf_counter()
        for _ in range(5):
            EmbeddingIndex.from_market(market, "AS_OF", embedder=emb, cache=cache)
        out["reread_warm_process_s"] = (time.perf_counter() - t0) / 5
        """.replace("AS_OF", AS_OF_SPEED)
    )
    cache_dir_1 = tempfile.mkdtemp(prefix="hk-text-cache-")
    one = _child(
        common.replace(cache_dir, cache_dir_1)
        + """
        emb = SentenceTransformerEmbedder(num_threads=1)
        emb._load()
        t0, c0 = time.perf_counter(), time.process_time()
        idx = EmbeddingIndex.from_market(market, "AS_OF", embedder=emb, cache=cache)
        out["embed_s"] = time.perf_counter() - t0
        out["embed_cpu_s"] = time.process_time() - c0
        out["companies"] = len(idx)
        """.replace("AS_OF", AS_OF_SPEED)
    )
    tfidf = _child(
        common
        + """
        t0 = time.perf_counter()
        idx = EmbeddingIndex.from_market(market, "AS_OF", embedder="tfidf", cache=cache)
        out["embed_s"] = time.perf_counter() - t0
        out["companies"] = len(idx)
        """.replace("AS_OF", AS_OF_SPEED)
    )
    rows: list[dict[str, object]] = [
        {"step": "MiniLM fresh (empty cache)", **fresh},
        {"step": "MiniLM fresh, num_threads=1 (empty cache)", **one},
        {"step": "MiniLM re-read from cache (new process)", **warm},
        {"step": "TF-IDF + SVD (no cache by design)", **tfidf},
    ]
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("| step | companies | seconds | peak RSS MiB | load average | notes |")
    print("|---|---|---|---|---|---|")
    print(
        f"| MiniLM fresh, empty cache | {fresh['companies']} | "
        f"**{fresh['embed_s']:.1f}** (+ {fresh['model_load_s']:.1f} model load; "
        f"{fresh['embed_cpu_s']:.0f} CPU-s) | "
        f"{fresh['peak_rss_mib']:.0f} | {fresh['load_average']:.1f} | {fresh['chunks']} chunks, "
        f"{fresh['tokens']} tokens, {fresh['torch_threads']} torch threads |"
    )
    print(
        f"| MiniLM fresh, empty cache, `num_threads=1` | {one['companies']} | "
        f"**{one['embed_s']:.1f}** ({one['embed_cpu_s']:.0f} CPU-s) | "
        f"{one['peak_rss_mib']:.0f} | {one['load_average']:.1f} | same work, one torch thread |"
    )
    print(
        f"| MiniLM re-read from cache, new process | {warm['companies']} | "
        f"**{warm['reread_s']:.2f}** (warm process: {warm['reread_warm_process_s']:.2f}) | "
        f"{warm['peak_rss_mib']:.0f} | {warm['load_average']:.1f} | "
        f"{warm['cache_hits']} hits, model loaded: {warm['model_loaded']} |"
    )
    print(
        f"| TF-IDF + SVD, whole texts | {tfidf['companies']} | **{tfidf['embed_s']:.2f}** | "
        f"{tfidf['peak_rss_mib']:.0f} | {tfidf['load_average']:.1f} | fitted on the corpus |"
    )
    for d in (cache_dir, cache_dir_1):
        shutil.rmtree(d, ignore_errors=True)
    if tmp is not None:
        tmp.cleanup()
    return rows


def evaluate(args: argparse.Namespace) -> list[dict[str, object]]:
    import pandas as pd

    from hedgekit import HedgekitError
    from hedgekit.data import MarketData, Store
    from hedgekit.text import NOMIC_MODEL, ChunkingConfig, evaluate_embeddings, get_embedder

    home, tmp = _store(args)
    market = MarketData(Store(home))
    runs = [
        ("default (auto, no header)", ChunkingConfig(), ["minilm", "tfidf"]),
        ("name header (auto)", ChunkingConfig(header=("name",)), ["minilm", "tfidf"]),
    ]
    nomic = get_embedder(NOMIC_MODEL, truncate_dim=256)
    try:  # load once: without network the hub client retries for about a minute
        nomic._load()  # type: ignore[attr-defined]
        runs.append(("default (auto, no header)", ChunkingConfig(), [nomic]))
    except HedgekitError as exc:
        print(f"{nomic.name}: not run: {exc}")
    out: list[dict[str, object]] = []
    for window in ("before", "after"):
        frames = []
        for label, config, backends in runs:
            table = evaluate_embeddings(
                market,
                backends,
                as_of=AS_OF_EVAL,
                k=10,
                returns_window=window,  # type: ignore[arg-type]
                chunking=config,
                skip_unavailable=True,
            )
            frames.append(table.assign(chunking=label))
            attrs = table.attrs
        full = pd.concat(frames)
        title = "development" if window == "before" else "test (reported once)"
        print(
            f"\n{title}: returns {attrs['returns_start']:%Y-%m-%d}..{attrs['returns_end']:%Y-%m-%d}"
            f" ({attrs['n_returns']} days), descriptions and GICS as of {AS_OF_EVAL}, k=10"
        )
        print(
            "| backend | chunking | silhouette sector | silhouette sub-ind. | kNN top-1 | "
            "kNN majority | precision@10 | corr semantic k=10 | corr semantic matched | "
            "corr sub-industry | corr random | matched - sub-ind. (se) | n | seconds |"
        )
        print("|" + "---|" * 14)
        for backend, r in full.iterrows():
            if r["status"] != "ok":
                print(f"| {backend} | {r['chunking']} | {r['status'][:120]} |" + " |" * 11)
                continue
            print(
                f"| {backend} | {r['chunking']} | {r['silhouette_sector']:.3f} | "
                f"{r['silhouette_sub_industry']:.3f} | {r['knn_top1_sub_industry']:.3f} | "
                f"{r['knn_majority_sub_industry']:.3f} | {r['precision_at_k_sub_industry']:.3f} | "
                f"{r['corr_semantic']:.3f} | {r['corr_semantic_matched']:.3f} | "
                f"{r['corr_sub_industry']:.3f} | {r['corr_random']:.3f} | "
                f"{r['corr_matched_minus_sub_industry']:+.3f} ({r['corr_diff_se']:.3f}) | "
                f"{int(r['n_scored'])} | {r['embed_seconds']:.1f} |"
            )
        for backend, r in full.iterrows():
            out.append({"window": window, "backend": backend, **r.to_dict()})
    if tmp is not None:
        tmp.cleanup()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["speed", "eval"])
    parser.add_argument(
        "--data", type=Path, default=REPO.parent / "shared" / "data" / "us_equities"
    )
    parser.add_argument("--home", type=Path, default=None, help="an existing store")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = speed(args) if args.mode == "speed" else evaluate(args)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
