"""`ringtrace requests`: the individual requests behind the aggregates."""
from __future__ import annotations

import sys

import click

from ringtrace.cli.commands.common import format_option
from ringtrace.core import safecsv


@click.command()
@click.argument("account_ids", nargs=-1, required=True)
@click.option("--limit", type=int, default=100, show_default=True)
@format_option
def requests(account_ids: tuple[str, ...], limit: int, fmt: str) -> None:
    """The individual requests of accounts, newest first, from the request-log store."""
    # deferred: loaders.logstore adds 0.37 s to every CLI start
    from loaders import logstore

    rows = logstore.requests_of(list(account_ids), limit)
    if fmt == "json":
        click.echo(rows.to_json(orient="records", date_format="iso", indent=1, force_ascii=False))
    elif rows.empty:
        click.echo("No stored requests for these accounts.")
    elif fmt == "csv":
        safecsv.frame_to_csv(rows, sys.stdout)
    else:
        # deferred: pandas adds 0.50 s to every CLI start
        import pandas as pd

        with pd.option_context("display.width", None, "display.max_columns", None, "display.max_colwidth", None):
            click.echo(rows.to_string(index=False))
