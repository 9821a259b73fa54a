"""`ringtrace demo`: the whole job on the committed sample."""
from __future__ import annotations

import click

from ringtrace import config
from ringtrace.commands.common import friendly_errors
from ringtrace.commands.data import print_load_summary
from ringtrace.commands.workbench import _app


@click.command()
@click.option("--no-app", is_flag=True, help="Stop after detection; do not open the workbench.")
def demo(no_app: bool) -> None:
    """Start the local Neo4j, load the sample, detect, trace, open the workbench."""
    friendly_errors(_demo)(no_app)


SAMPLE_LOADED = """
MATCH (l:LoadRun {dataset: $dataset}) WHERE l.status = 'completed' RETURN count(l) AS n
"""


def _demo(no_app: bool) -> None:
    from detection.run import DetectionParams, write_results
    from detection.run import detect as run_detection
    from graph.db import connect
    from loaders.load import load_dataset
    from tracing.report import trace_all, write_campaign_csv, write_csv

    if not config.external_server():
        from ringtrace import local_neo4j

        st = local_neo4j.start()
        click.echo(f"Neo4j {st.version} running at {st.uri}")
    sample = config.sample_dir()  # package data: the same wherever ringtrace is installed and run from
    results = config.home() / "results"
    with connect() as g:
        if g.read(SAMPLE_LOADED, {"dataset": str(sample.resolve())})[0]["n"] == 0:
            print_load_summary(load_dataset(g, sample, mode="auto"))
        else:
            click.echo(f"Sample already loaded from {sample}.")
        result = run_detection(g, DetectionParams())
        write_results(result, results)
        click.echo(f"Detection {result.run_id}: {len(result.flagged)} flagged of {len(result.clusters)} clusters")
        from ringtrace.terminal import console as make_console

        traced = trace_all(g, result.run_id, make_console())
        write_csv(traced, results)
        write_campaign_csv(traced, results)
    click.echo(f"Results in {results}")
    if not no_app:
        _app("127.0.0.1", 8501)
