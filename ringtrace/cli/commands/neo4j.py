"""`ringtrace neo4j start|stop|status|install-gds|env`: the project-run local server."""
from __future__ import annotations

import sys

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.server import local_neo4j


@click.group()
def neo4j() -> None:
    """Run the local Neo4j server (127.0.0.1 only, password generated at first start)."""


@neo4j.command("start")
@click.option("--port", type=int, default=None, help=f"Bolt port (default {config.DEFAULT_BOLT_PORT}, "
              "or RINGTRACE_NEO4J_PORT).")
@friendly_errors
def neo4j_start(port: int | None) -> None:
    """Fetch Neo4j (first time), start it, and return once Bolt answers."""
    if config.external_server():
        raise RingtraceError("NEO4J_URI is set, so ringtrace uses that server and does not start "
                             "a local one. Unset NEO4J_URI to run the local server.")
    st = local_neo4j.start(port=port)
    click.echo(f"Neo4j {st.version} running (pid {st.pid}) at {st.uri}; data in {st.data_dir}")


@neo4j.command("stop")
@friendly_errors
def neo4j_stop() -> None:
    """Shut the local server down cleanly."""
    click.echo("Neo4j stopped." if local_neo4j.stop() else "Neo4j was not running.")


@neo4j.command("status")
@friendly_errors
def neo4j_status() -> None:
    """Whether the server runs, where its data lives, and its version."""
    external = config.external_server()
    if external:
        # deferred: graph.db adds 0.44 s to every CLI start
        from graph.db import connect

        with connect(external) as g:
            click.echo(f"Using external Neo4j at {external.uri} (database {external.database}), "
                       f"version {g.server_version()}")
        return
    st = local_neo4j.status()
    state = f"running (pid {st.pid})" if st.running else "stopped"
    click.echo(f"Local Neo4j {st.version}: {state}\n  uri:  {st.uri}\n  data: {st.data_dir}")
    if local_neo4j.gds_installed(config.local_paths()):
        click.echo(f"  plugins: Graph Data Science {config.GDS_VERSION}")
    if not st.running:
        sys.exit(3)


@neo4j.command("install-gds")
@click.option("--force", is_flag=True, help="Fetch and copy again even when installed.")
@friendly_errors
def neo4j_install_gds(force: bool) -> None:
    """Add the open Graph Data Science library to the local server (for `detect --engine gds`)."""
    if config.external_server():
        raise RingtraceError("NEO4J_URI is set: install GDS on that server as its administrator; "
                             "ringtrace installs it only into the local server.")
    paths = config.local_paths()
    if local_neo4j.gds_installed(paths) and not force:
        click.echo(f"Graph Data Science {config.GDS_VERSION} is already installed in {paths.plugins_dir}.")
        return
    was_running = local_neo4j.status().running
    copied = local_neo4j.install_gds(paths, force=True)
    click.echo(f"Graph Data Science {config.GDS_VERSION} installed ({copied} jars) in {paths.plugins_dir} "
               f"(those declaring procedures) and {paths.gds_lib_dir}.")
    if was_running:
        local_neo4j.stop()
        st = local_neo4j.start()
        click.echo(f"Neo4j restarted with GDS (pid {st.pid}) at {st.uri}.")


@neo4j.command("env")
@friendly_errors
def neo4j_env() -> None:
    """Print `export NEO4J_...` lines for pointing other tools at the local server."""
    for line in local_neo4j.env_lines():
        click.echo(line)
