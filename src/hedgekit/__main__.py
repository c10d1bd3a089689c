"""``python -m hedgekit``: the same as the ``hedgekit`` command."""

from __future__ import annotations

from hedgekit.cli import main

if __name__ == "__main__":
    main()
