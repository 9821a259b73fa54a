"""`ringtrace trace`: rank the organisations and people behind clusters."""
from __future__ import annotations

from pathlib import Path

import click

from ringtrace.commands.common import friendly_errors


@click.command()
@click.option("--cluster", "cluster_id", default=None, help="Trace one cluster and print the ranking.")
@click.option("--all", "all_flagged", is_flag=True, help="Trace every flagged cluster of the run.")
@click.option("--run", "run_id", default=None, help="Detection run (default: the latest).")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --all: write attribution.csv and campaign_attribution.csv here.")
def trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    """Trace flagged clusters back to organisations and people, with evidence."""
    friendly_errors(_trace)(cluster_id, all_flagged, run_id, results)


def _trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    from graph.cluster_ids import resolve_cluster_id
    from graph.db import connect
    from ringtrace.errors import RingtraceError
    from ringtrace.terminal import console as make_console
    from ringtrace.terminal import escape
    from tracing import attribution, report

    if bool(cluster_id) == bool(all_flagged):
        raise RingtraceError("Give either --cluster ID or --all.")
    console = make_console()
    with connect() as g:
        if cluster_id:
            result = attribution.trace_cluster(g, resolve_cluster_id(g, cluster_id))
            attribution.save(g, result)
            report.print_attribution(console, result)
            return
        from detection.run import latest_run

        if run_id is None:
            latest = latest_run(g)
            if latest is None:
                raise RingtraceError("No detection run yet: run `ringtrace detect` first.")
            run_id = latest["run_id"]
        results_all = report.trace_all(g, run_id, console)
    if results:
        path = report.write_csv(results_all, results)
        by_campaign = report.write_campaign_csv(results_all, results)
        console.print(escape(f"Wrote {path} and {by_campaign}"))
