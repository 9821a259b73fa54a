"""`ringtrace load` and `ringtrace sample`: datasets in, synthetic datasets out."""
from __future__ import annotations

from pathlib import Path

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import cli_actor

ALERTS_SHOWN = 20  # alerts printed after a load; `ringtrace alerts` lists them all


def print_load_summary(summary) -> None:
    # deferred: rich (the terminal) adds 0.03 s to every CLI start
    from ringtrace.cli.terminal import console as make_console
    from ringtrace.cli.terminal import escape, print_table

    console = make_console()
    rows = [(t.table, t.file, f"{t.read:,}", f"{t.loaded:,}", f"{t.rejected:,}", f"{t.seconds:.1f}")
            for t in summary.tables]
    rows.append(("total", "", f"{summary.read:,}", f"{summary.loaded:,}", f"{summary.rejected:,}", ""))
    print_table(console, f"Load {summary.run_id}", ("table", "file", "read", "loaded", "rejected", "seconds"), rows,
                id_columns=("table", "file"))
    path = f"Path: {summary.mode}"
    if summary.import_seconds is not None:
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in summary.phases.items())
        path += f" ({steps}; importer peak RSS {summary.import_peak_rss / 2**30:.2f} GB)"
    elif summary.mode_reason:
        path += f" ({summary.mode_reason})"
    console.print(escape(path), highlight=False)
    for t in summary.failed_files:
        console.print(f"[red]Error:[/red] {escape(t.error)}")
    for name, why in summary.ignored_files:
        console.print(escape(f"Ignored {name}: {why}"))
    for t in summary.tables:
        for column, n in t.tokenised.items():
            console.print(escape(f"{t.file}: {n:,} {column} value(s) looked like card numbers (13-19 digits passing "
                                 "the Luhn check) and are stored as keyed tokens (tok-...), never as numbers; the "
                                 "same id gives the same token in every table (docs/input-format.md)"),
                          highlight=False)
        if t.renamed:
            console.print(escape(f"{t.file}: extra column(s) named like a property ringtrace writes are stored "
                                 "renamed, so they cannot pass for it: " +
                                 ", ".join(f"{c} as {n}" for c, n in t.renamed.items())), highlight=False)
        if t.shared_emails:
            console.print(escape(f"{t.file}: {t.shared_emails:,} sign-up email address(es) shared by two or more "
                                 "accounts became identifiers of kind email (evidence, as account_identifiers "
                                 "rows of kind email are)"), highlight=False)
    if summary.rejected:
        console.print(escape(f"{summary.rejected:,} rejected rows, each with its reason, in {summary.rejects_file}"))


def print_alerts(raised: list[dict]) -> None:
    """The alerts a load raised (new accounts touching watched items)."""
    # deferred: rich (the terminal) adds 0.04 s to every CLI start
    from ringtrace.cli.terminal import console as make_console
    from ringtrace.cli.terminal import escape

    console = make_console()
    for a in raised[:ALERTS_SHOWN]:
        console.print(escape(f"[{a['alert_id']}] {a['summary']}" + (f" (webhook: {a['webhook']})"
                                                                    if a.get("webhook") else "")))
    if raised:
        console.print(escape(f"{len(raised)} alert(s): `ringtrace alerts` lists them."))


@click.command()
@click.argument("dataset", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the rejects CSV (default: under the ringtrace home).")
@click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
@click.option("--mode", type=click.Choice(config.LOAD_MODES), default="auto", show_default=True,
              help="bulk: a new graph written offline by neo4j-admin import (only into an empty database of the "
                   "local server, which stops meanwhile); incremental: written through the server, into any "
                   "graph; auto: bulk for a large input into an empty local database, else incremental.")
@click.option("--profile", is_flag=True, help="Also print the server's time per loader statement.")
def load(dataset: Path, rejects: Path | None, no_progress: bool, mode: str, profile: bool) -> None:
    """Load a dataset directory (docs/input-format.md) into Neo4j."""
    friendly_errors(_load)(dataset, rejects, not no_progress, mode, profile)


def _load(dataset: Path, rejects: Path | None, progress: bool, mode: str = "auto", profile: bool = False) -> None:
    # deferred: workflows.load and rich (the terminal) add 0.95 s to every CLI start
    from ringtrace.cli.terminal import rich_progress
    from workflows.load import load as run_load

    with rich_progress(progress) as bars:
        loaded = run_load(cli_actor(), dataset, rejects, mode, bars)
    summary, raised = loaded.summary, loaded.alerts
    print_load_summary(summary)
    if profile:
        for name, (seconds, rows) in summary.statements.items():
            click.echo(f"  {name}: {seconds:.1f} s, {rows:,} rows")
    print_alerts(raised)
    for t in summary.poor_tables:
        click.secho(f"Error: {t.poor_message()}. Fix the file (each reject is in {summary.rejects_file}) and "
                    "load it again.", fg="red", err=True)
    if summary.failed_files or summary.poor_tables:
        raise SystemExit(1)


@click.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--accounts", type=int, default=5000, show_default=True, help="Number of accounts.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--no-truth", is_flag=True, help="Leave out the truth table.")
@click.option("--scenario", type=click.Choice(list(config.SAMPLE_SCENARIOS)), default="campaigns",
              show_default=True,
              help="campaigns: distillation campaigns through proxy services (the sample); marketplace: rings of "
                   "2-10 accounts sharing devices, phones, addresses and bank accounts, no request log; "
                   "fragmented: each campaign run as many card groups of ~30 accounts.")
def sample(out: Path, accounts: int, seed: int, no_truth: bool, scenario: str) -> None:
    """Write a synthetic dataset (fictional organisations and people only)."""
    # deferred: the generators (pandas, numpy) add 0.35 s to every CLI start
    from sample_data.generators.scenarios import generate

    try:
        counts = generate(out, accounts, seed, truth=not no_truth, scenario=scenario)
    except ValueError as exc:
        raise RingtraceError(str(exc)) from exc
    click.echo(", ".join(f"{k}: {v:,}" for k, v in counts.items()))
