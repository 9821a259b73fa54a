"""`ringtrace demo`: the whole job on the committed sample."""
from __future__ import annotations

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.cli.commands.data import print_alerts, print_load_summary
from ringtrace.cli.commands.monitor import print_changes
from ringtrace.cli.commands.workbench import _app
from ringtrace.core import config
from ringtrace.core.rights import cli_actor
from ringtrace.server import local_neo4j


@click.command()
@click.option("--no-app", is_flag=True, help="Stop after detection; do not open the workbench.")
def demo(no_app: bool) -> None:
    """Start the local Neo4j, load the sample, detect, trace, open the workbench."""
    friendly_errors(_demo)(no_app)


SAMPLE_LOADED = """
MATCH (l:LoadRun {dataset: $dataset}) WHERE l.status = 'completed' RETURN count(l) AS n
"""


def _demo(no_app: bool) -> None:
    # deferred: these imports (db, terminal, detect, load, trace) add 1.62 s to every CLI start
    from graph.db import connect
    from ringtrace.cli.terminal import rich_progress
    from workflows.detect import detect
    from workflows.load import load
    from workflows.trace import trace_run

    if not config.external_server():
        st = local_neo4j.start()
        click.echo(f"Neo4j {st.version} running at {st.uri}")
    actor = cli_actor()
    sample = config.sample_dir()  # package data: the same wherever ringtrace is installed and run from
    results = config.home() / "results"
    with connect() as g:
        if g.read(SAMPLE_LOADED, {"dataset": str(sample.resolve())})[0]["n"] == 0:
            with rich_progress() as bars:
                loaded = load(actor, sample, mode="auto", progress=bars, graph=g)
            print_load_summary(loaded.summary)
            print_alerts(loaded.alerts)
        else:
            click.echo(f"Sample already loaded from {sample}.")
        with rich_progress() as bars:
            detected = detect(g, actor, progress=bars, results=results)
        result = detected.result
        click.echo(f"Detection {result.run_id}: {len(result.flagged)} flagged of {len(result.clusters)} clusters")
        print_changes(detected.changes)
        with rich_progress() as bars:
            trace_run(g, actor, result.run_id, bars, results)
    click.echo(f"Results in {results}")
    if not no_app:
        _app("127.0.0.1", 8501)
