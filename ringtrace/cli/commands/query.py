"""`ringtrace query NAME|list|save`: saved read-only Cypher."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from queries.library import load_library
from ringtrace.cli.commands.common import format_option, friendly_errors
from ringtrace.core import config, safecsv
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import cli_actor


class _QueryGroup(click.Group):
    """`ringtrace query NAME ...` runs a saved query; `list` and `save` are subcommands."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)


QUERY_RUN_HELP = f"""\b
Running a saved query: ringtrace query NAME [OPTIONS]
  -p, --param KEY=VALUE          a parameter of the query (repeat); `ringtrace query list` shows them;
                                 a cluster takes its full or short id (c0001)
  --format [table|csv|json]      output format (default: table)
  --timeout SECONDS              stop the query after this long (default: {config.QUERY_TIMEOUT_S:g})
  --row-cap N                    at most N rows (default: {config.QUERY_ROW_CAP})
"""


@click.group(cls=_QueryGroup, epilog=QUERY_RUN_HELP)
def query() -> None:
    """Run saved read-only Cypher queries: `ringtrace query NAME --param k=v`, `list`, `save FILE`."""


def _print_result(result, fmt: str) -> None:
    # deferred: graph.db and rich (the terminal) add 0.45 s to every CLI start
    from graph.db import plain
    from ringtrace.cli.terminal import console as make_console
    from ringtrace.cli.terminal import print_table

    rows = [{k: plain(v) for k, v in r.items()} for r in result.rows]  # times as ISO 8601 text
    if fmt == "json":
        click.echo(json.dumps({"columns": result.columns, "rows": rows, "truncated": result.truncated},
                              default=str, indent=1))
    elif fmt == "csv":
        w = safecsv.DictWriter(sys.stdout, fieldnames=result.columns)
        w.writeheader()
        for r in rows:
            w.writerow({k: v if isinstance(v, (str, int, float)) or v is None else json.dumps(v, default=str)
                        for k, v in r.items()})
    else:  # never cut: ids stay whole, and piped output keeps every cell on one line (ringtrace.cli.terminal)
        ids = [c for c in result.columns if c.endswith("_id") or c in ("id", "ip", "domain")]
        print_table(make_console(), None, result.columns, [[r[c] for c in result.columns] for r in rows],
                    id_columns=ids)
    if result.truncated:
        click.secho(f"Showing the first {result.row_cap:,} rows (row cap); raise --row-cap for more.",
                    fg="yellow", err=True)


@query.command("run", hidden=True)
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, help="key=value (repeat).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--timeout", type=float, default=lambda: config.QUERY_TIMEOUT_S,
              show_default=config.described("QUERY_TIMEOUT_S"), help="Seconds.")
@click.option("--row-cap", type=int, default=lambda: config.QUERY_ROW_CAP, show_default=config.described("QUERY_ROW_CAP"))
def query_run(name: str, params: tuple[str, ...], fmt: str, timeout: float, row_cap: int) -> None:
    """Run saved query NAME."""
    friendly_errors(_query_run)(name, params, fmt, timeout, row_cap)


def _query_run(name: str, params: tuple[str, ...], fmt: str, timeout: float, row_cap: int) -> None:
    # deferred: graph.db and workflows.query add 0.55 s to every CLI start
    from graph.db import connect
    from workflows import query as queries

    raw = {}
    for p in params:
        if "=" not in p:
            raise RingtraceError(f"--param {p!r} must look like key=value.")
        k, v = p.split("=", 1)
        raw[k.strip()] = v
    actor = cli_actor()
    with connect() as g:
        result = queries.run_saved(g, actor, name, raw, timeout, row_cap)
    _print_result(result, fmt)


@query.command("list")
@format_option
def query_list(fmt: str) -> None:
    """List the shipped and saved queries with their parameters."""
    # deferred: rich (the terminal) adds 0.03 s to every CLI start
    from ringtrace.cli.terminal import emit

    library = list(load_library().values())

    def text() -> None:
        for q in library:
            params = ", ".join(f"{p.name}:{p.type}={p.default!r}" for p in q.params)
            origin = "shipped" if q.shipped else "saved"
            click.echo(f"{q.name} [{origin}] {q.title}\n    params: {params or 'none'}; tags: {', '.join(q.tags)}")

    records = [{"name": q.name, "origin": "shipped" if q.shipped else "saved", "title": q.title,
                "params": [{"name": p.name, "type": p.type, "default": p.default} for p in q.params],
                "tags": list(q.tags)} for q in library]
    emit(fmt, records, text)


@query.command("save")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def query_save(file: Path) -> None:
    """Validate a .cypher file (header + read-only checks) and add it to your library."""
    friendly_errors(_query_save)(file)


def _query_save(file: Path) -> None:
    # deferred: graph.db and workflows.query add 0.55 s to every CLI start
    from graph.db import connect
    from workflows import query as queries

    actor = cli_actor()
    with connect() as g:
        q = queries.save_query(g, actor, file.read_text(), str(file))
    click.echo(f"Saved {q.name} to {q.path}")
