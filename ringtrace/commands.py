"""Subcommands built on the loaders, detection, tracing, queries and the workbench."""
from __future__ import annotations

from pathlib import Path

import click

from ringtrace import config


SAMPLE_DIR = config.PROJECT_ROOT / "sample_data" / "small"


def register(main: click.Group) -> None:
    """Attach the built subcommands to the `ringtrace` group."""
    for command in (demo, load, sample, detect, trace):
        main.add_command(command)


def _friendly(fn):
    from ringtrace.cli import friendly_errors

    return friendly_errors(fn)


def print_load_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Load {summary.run_id}")
    for col in ("table", "file", "read", "loaded", "rejected", "seconds"):
        table.add_column(col, justify="right" if col in ("read", "loaded", "rejected", "seconds") else "left")
    for t in summary.tables:
        table.add_row(t.table, t.file, f"{t.read:,}", f"{t.loaded:,}", f"{t.rejected:,}", f"{t.seconds:.1f}")
    table.add_row("total", "", f"{summary.read:,}", f"{summary.loaded:,}", f"{summary.rejected:,}", "")
    console = Console()
    console.print(table)
    for t in summary.failed_files:
        console.print(f"[red]Error:[/red] {t.error}")
    if summary.rejected:
        console.print(f"{summary.rejected:,} rejected rows, each with its reason, in {summary.rejects_file}")


@click.command()
@click.argument("dataset", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the rejects CSV (default: under the ringtrace home).")
@click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
def load(dataset: Path, rejects: Path | None, no_progress: bool) -> None:
    """Load a dataset directory (see shared data contract) into Neo4j."""
    _friendly(_load)(dataset, rejects, not no_progress)


def _load(dataset: Path, rejects: Path | None, progress: bool) -> None:
    from graph.db import connect
    from loaders.load import load_dataset

    with connect() as g:
        summary = load_dataset(g, dataset, rejects, progress=progress)
    print_load_summary(summary)
    if summary.failed_files:
        raise SystemExit(1)


@click.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--accounts", type=int, default=5000, show_default=True, help="Number of accounts.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--no-truth", is_flag=True, help="Leave out the truth table.")
def sample(out: Path, accounts: int, seed: int, no_truth: bool) -> None:
    """Write a synthetic dataset (fictional organisations and people only)."""
    from ringtrace.synthetic import generate

    counts = generate(out, accounts, seed, truth=not no_truth)
    click.echo(", ".join(f"{k}: {v:,}" for k, v in counts.items()))


@click.command()
@click.option("--no-app", is_flag=True, help="Stop after detection; do not open the workbench.")
def demo(no_app: bool) -> None:
    """Start the local Neo4j, load the sample, detect, trace, open the workbench."""
    from ringtrace.cli import friendly_errors

    friendly_errors(_demo)(no_app)


def _demo(no_app: bool) -> None:
    if not config.external_server():
        from ringtrace import local_neo4j

        st = local_neo4j.start()
        click.echo(f"Neo4j {st.version} running at {st.uri}")
    steps = [name for name in ("load", "detect", "trace", "app") if name not in _BUILT]
    if steps:
        click.secho(f"Not built yet, skipped: {', '.join(steps)}.", fg="yellow")


_BUILT: set[str] = set()


@click.command()
@click.option("--resolution", type=float, default=1.0, show_default=True, help="Louvain resolution (higher: smaller clusters).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same input and seed: same clusters).")
@click.option("--engine", type=click.Choice(["python", "gds"]), default="python", show_default=True)
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write flagged_accounts.csv and clusters.csv here.")
@click.option("--no-progress", is_flag=True)
def detect(resolution: float, seed: int, engine: str, results: Path | None, no_progress: bool) -> None:
    """Find coordinated account clusters, score them with reasons, save the run in Neo4j."""
    _friendly(_detect)(resolution, seed, engine, results, not no_progress)


def _detect(resolution: float, seed: int, engine: str, results: Path | None, progress: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from detection.run import DetectionParams, detect as run_detection, write_results
    from graph.db import connect

    with connect() as g:
        result = run_detection(g, DetectionParams(resolution=resolution, seed=seed), engine, progress)
    console = Console()
    table = Table(title=f"Detection {result.run_id}: {len(result.flagged)} flagged of {len(result.clusters)} clusters")
    for col in ("cluster", "size", "score", "top reasons"):
        table.add_column(col)
    for cid, c in result.flagged:
        table.add_row(cid.rsplit("-", 1)[1], f"{len(c.members):,}", f"{c.score:.1f}", "; ".join(c.reasons[:3]))
    console.print(table)
    console.print("Timings (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items()))
    if results:
        f, c = write_results(result, results)
        console.print(f"Wrote {f} and {c}")


@click.command()
@click.option("--cluster", "cluster_id", default=None, help="Trace one cluster and print the ranking.")
@click.option("--all", "all_flagged", is_flag=True, help="Trace every flagged cluster of the run.")
@click.option("--run", "run_id", default=None, help="Detection run (default: the latest).")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --all: write attribution.csv here.")
def trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    """Trace flagged clusters back to organisations and people, with evidence."""
    _friendly(_trace)(cluster_id, all_flagged, run_id, results)


def _trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    from rich.console import Console

    from graph.db import connect
    from ringtrace.errors import RingtraceError
    from tracing import attribution, report

    if bool(cluster_id) == bool(all_flagged):
        raise RingtraceError("Give either --cluster ID or --all.")
    console = Console()
    with connect() as g:
        if cluster_id:
            result = attribution.trace_cluster(g, cluster_id)
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
        console.print(f"Wrote {path}")
