"""Terminal output for the CLI: data is never read as rich markup, ids are never cut, and output that is not a
terminal (a pipe, a file) is never cropped or folded; every list command also writes CSV and JSON."""
from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Callable, Iterable, Iterator, Sequence

import click
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from ringtrace.core import safecsv

__all__ = ["console", "emit", "escape", "print_table", "rich_progress"]


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
    # wider than the terminal rather than crop a column: whole ids matter more than a tidy screen; and when
    # the output is not a terminal (`| grep`, a file) every cell on one line, as wide as it needs
    measured = Measurement.get(out, out.options.update(max_width=1 << 20), table)
    needed = measured.minimum if out.is_terminal else measured.maximum
    if needed <= out.width:
        out.print(table)
        return
    # Console.print lays a renderable out at most as wide as the console: lay it out wider, print it uncropped
    lines = out.render(table, out.options.update(width=needed))
    out.print(Segments(lines), crop=False, soft_wrap=True)


def _cell(value: Any) -> Any:
    return value if isinstance(value, (str, int, float)) or value is None else json.dumps(value, default=str)


def emit(fmt: str, records: Sequence[dict[str, Any]], table: Callable[[], None],
         columns: Sequence[str] | None = None) -> None:
    """A list command's rows (`--format`, ringtrace.cli.commands.common.format_option): `table()` draws the table;
    csv and json write `records` (plain values, one dict per row, keys in `columns` order when given) to
    standard output."""
    if fmt == "table":
        table()
        return
    # deferred: graph.db (the neo4j driver) adds 0.44 s to every CLI start; only csv and json output need it
    from graph.db import plain

    rows = [{k: plain(v) for k, v in r.items()} for r in records]
    names = list(columns or dict.fromkeys(k for r in rows for k in r))
    if fmt == "json":
        click.echo(json.dumps([{k: r.get(k) for k in names} for r in rows], default=str, indent=1,
                              ensure_ascii=False))
        return
    w = safecsv.DictWriter(sys.stdout, fieldnames=names, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in names})


class RichProgress:
    """A job's progress (ringtrace.core.progress.Progress) drawn as Rich bars, its notes printed as plain lines."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar

    def add_task(self, description: str, total: float | None = None) -> Any:
        return self._bar.add_task(description, total=total)

    def advance(self, task: Any, amount: float = 1) -> None:
        self._bar.advance(task, amount)

    def update(self, task: Any, completed: float | None = None, total: float | None = None) -> None:
        self._bar.update(task, completed=completed, total=total)

    def remove_task(self, task: Any) -> None:
        self._bar.remove_task(task)

    def note(self, text: str) -> None:
        self._bar.console.print(escape(text), highlight=False)


@contextlib.contextmanager
def rich_progress(enabled: bool = True) -> Iterator[RichProgress | None]:
    """Bars on the terminal while a job runs (None when `enabled` is false: the job reports to nothing)."""
    if not enabled:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console(), transient=True) as bar:
        yield RichProgress(bar)
