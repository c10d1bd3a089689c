"""The package's rooms: no package reads another's private modules or names (issue 18).

Each subpackage (``data``, ``estimate``, ``hedge``...) exposes what others need in its
``__init__``; a module of one package importing ``hedgekit.other._module`` or a private name,
or reading a private attribute of the market (``market._panels``), breaks that contract and
fails here. ``hedgekit._errors``, ``_optional`` and ``_json`` are the shared root modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "hedgekit"
#: objects of the data layer other packages hold (a market, a point-in-time view)
_DATA_OBJECTS = re.compile(r"(?:(?<![.\w])|(?<=self\.))(market|view|later|md|data)\._[a-z]\w*")


def _package(path: Path) -> str | None:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else None


def _violations(path: Path) -> list[str]:
    pkg = _package(path)
    found = []
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module):
            continue
        parts = node.module.split(".")
        if parts[0] != "hedgekit" or len(parts) < 2 or parts[1].startswith("_"):
            continue
        if parts[1] == pkg:
            continue
        if len(parts) >= 3 and parts[2].startswith("_"):
            found.append(f"imports private module {node.module}")
        found += [
            f"imports private name {node.module}.{a.name}"
            for a in node.names
            if a.name.startswith("_")
        ]
    if pkg != "data":
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if not line.lstrip().startswith("#") and _DATA_OBJECTS.search(line):
                found.append(f"line {i} reads a private attribute: {line.strip()}")
    return found


def test_no_package_reads_another_packages_private_names():
    bad = {str(p.relative_to(SRC)): v for p in sorted(SRC.rglob("*.py")) if (v := _violations(p))}
    assert not bad, "\n".join(f"{k}: {'; '.join(v)}" for k, v in bad.items())


def test_the_check_catches_a_private_import(tmp_path, monkeypatch):
    pkg = tmp_path / "hedge"
    pkg.mkdir()
    mod = pkg / "_x.py"
    mod.write_text(
        "from hedgekit.data._market import MarketData\n"
        "from hedgekit.risk import _secret\n"
        "n = market._panels\n"
    )
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    assert len(_violations(mod)) == 3


def _readme_layout() -> dict[str, str]:
    """The subpackages of the README's Layout block, with their one-line purpose."""
    readme = (SRC.parents[1] / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    return dict(re.findall(r"^    (\w+)/\s+(.+)$", block, flags=re.MULTILINE))


def test_the_readme_package_map_names_every_subpackage_once():
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    assert set(_readme_layout()) == packages


#: issue 18: a module of more than ~800 lines usually holds several jobs
MAX_MODULE_LINES = 800


def test_no_module_exceeds_the_size_limit():
    sizes = {str(p.relative_to(SRC)): len(p.read_text().splitlines()) for p in SRC.rglob("*.py")}
    big = {k: n for k, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not big, f"split these along their seams: {big}"
