"""Subcommands built on the loaders, detection, tracing, queries and the workbench."""
from __future__ import annotations

import click

from ringtrace import config


def register(main: click.Group) -> None:
    """Attach the built subcommands to the `ringtrace` group."""
    main.add_command(demo)


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
