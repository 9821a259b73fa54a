"""Terminal output for the CLI: data is never read as rich markup, and ids are never cut."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

__all__ = ["console", "escape", "print_table"]


def console(**kwargs: Any) -> Console:
    """A console that does not colour numbers or paths by guesswork (data stays as it is)."""
    return Console(highlight=False, **kwargs)


def print_table(out: Console, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                id_columns: Sequence[str] = ()) -> None:
    """A table whose cells are plain text; ids and other cells without spaces keep their full width."""
    rows = [[("" if v is None else str(v)) for v in r] for r in rows]
    table = Table(title=Text(title) if title else None)
    for i, name in enumerate(columns):
        cells = [r[i] for r in rows]
        if name in id_columns or not any(" " in c for c in cells):  # ids and numbers stay whole
            width = max([len(name)] + [len(c) for c in cells])
            table.add_column(name, no_wrap=True, min_width=width, overflow="ignore")
        else:
            table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(*(Text(v) for v in r))
    # wider than the terminal rather than crop a column: whole ids matter more than a tidy screen
    needed = Measurement.get(out, out.options, table).minimum
    out.print(table, width=max(out.width, needed))
