"""`ringtrace trace`: rank the organisations and people behind clusters."""
from __future__ import annotations

from pathlib import Path

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import cli_actor


@click.command()
@click.option("--cluster", "cluster_id", default=None, help="Trace one cluster and print the ranking.")
@click.option("--all", "all_flagged", is_flag=True, help="Trace every flagged cluster of the run.")
@click.option("--run", "run_id", default=None, help="Detection run (default: the latest).")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --all: write attribution.csv and campaign_attribution.csv here.")
def trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    """Trace flagged clusters back to organisations and people, with evidence."""
    friendly_errors(_trace)(cluster_id, all_flagged, run_id, results)


TOP_SHOWN = 5


def print_attribution(console, result) -> None:
    """One cluster's ranked organisations and people (the top few), and the infrastructure it used."""
    # deferred: tracing.attribution and rich (the terminal) add 0.52 s to every CLI start
    from ringtrace.cli.terminal import escape, print_table
    from tracing import attribution

    state = "flagged" if result.flagged else f"not flagged: confidence capped at {attribution.NOT_FLAGGED_CAP}"
    console.print(f"[bold]Cluster {escape(result.cluster_id)}[/bold] ({escape(state)})")
    for title, cands in (("Organisations", result.organisations), ("People", result.people)):
        print_table(console, title, ("rank", "id", "name", "confidence", "evidence"),
                    [(c.rank, c.target_id, c.name, f"{c.confidence:.2f}", c.evidence_text()) for c in cands[:TOP_SHOWN]],
                    id_columns=("id",))
    if result.infrastructure:
        infra = ", ".join(f"{r['service']} ({r['accounts']} accounts, {r['exit_nodes']} exit nodes)"
                          for r in result.infrastructure)
        console.print(f"Infrastructure used (not the originator): {escape(infra)}")


def _trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    # deferred: graph.db, workflows.trace and rich (the terminal) add 1.93 s to every CLI start
    from graph.db import connect
    from ringtrace.cli.terminal import console as make_console
    from ringtrace.cli.terminal import escape, rich_progress
    from workflows import trace as tracing

    if bool(cluster_id) == bool(all_flagged):
        raise RingtraceError("Give either --cluster ID or --all.")
    actor, console = cli_actor(), make_console()
    with connect() as g:
        if cluster_id:
            print_attribution(console, tracing.trace_cluster(g, actor, cluster_id))
            return
        with rich_progress() as bars:
            traced = tracing.trace_run(g, actor, run_id, bars, results)
    if traced.written:
        console.print(escape(f"Wrote {traced.written[0]} and {traced.written[1]}"))
