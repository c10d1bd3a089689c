"""Small pieces the cluster modules share: the path alias and the integer check."""

from __future__ import annotations

import os

import numpy as np

from hedgekit._errors import ConfigurationError

PathLike = str | os.PathLike[str]


def _check_int(name: str, value: object, minimum: int, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigurationError(
            f"{name}={value!r} must be an integer >= {minimum}, e.g. {example}"
        )
    return int(value)
