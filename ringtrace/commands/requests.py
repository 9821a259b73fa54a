"""`ringtrace requests`: the individual requests behind the aggregates."""
from __future__ import annotations

import click

from ringtrace import safecsv


@click.command()
@click.argument("account_ids", nargs=-1, required=True)
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def requests(account_ids: tuple[str, ...], limit: int, fmt: str) -> None:
    """The individual requests of accounts, newest first, from the request-log store."""
    import sys

    from loaders import logstore

    rows = logstore.requests_of(list(account_ids), limit)
    if rows.empty:
        click.echo("No stored requests for these accounts.")
    elif fmt == "csv":
        safecsv.frame_to_csv(rows, sys.stdout)
    else:
        click.echo(rows.to_string(index=False))
