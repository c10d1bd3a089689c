"""Small helpers shared by the checks: counted nouns and safe shares."""

from __future__ import annotations


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else float("nan")
