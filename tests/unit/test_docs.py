"""The documented input format (docs/input-format.md) is the loader's contract, table by table."""
from __future__ import annotations

import re
from pathlib import Path

from loaders.contract import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "input-format.md"
README = Path(__file__).resolve().parents[2] / "README.md"


def _documented() -> dict[str, dict[str, tuple[bool, str]]]:
    tables: dict[str, dict[str, tuple[bool, str]]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^## (\w+)$", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current is not None and len(cells) == 5 and cells[1] in ("yes", "no"):
            current[cells[0]] = (cells[1] == "yes", cells[3])
    return tables


def test_documented_tables_and_columns_match_the_loader():
    documented = _documented()
    assert set(documented) == {t.name for t in TABLES}
    for t in TABLES:
        expected = {c.name: (c.required, c.references or "") for c in t.columns}
        assert documented[t.name] == expected, t.name


def test_readme_points_into_the_repository_for_the_input_format():
    text = README.read_text()
    assert "docs/input-format.md" in text
    assert "../shared" not in text
