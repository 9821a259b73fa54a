"""The `ringtrace` command: the tool's whole surface, mirrored by the workbench."""
from __future__ import annotations

import functools
import logging
import sys
from typing import Any, Callable

import click

from ringtrace import __version__, config
from ringtrace.errors import RingtraceError

log = logging.getLogger("ringtrace")


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn RingtraceError (and a lost server) into a short message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        try:
            return fn(*args, **kwargs)
        except RingtraceError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)
        except ServiceUnavailable as exc:
            click.secho(f"Error: lost the connection to Neo4j ({exc}). Check the server "
                        "(`ringtrace neo4j status`) and run the command again.", fg="red", err=True)
            sys.exit(1)
        except Neo4jError as exc:
            click.secho(f"Error from Neo4j: {exc.code}: {exc.message}", fg="red", err=True)
            sys.exit(1)
        except (SystemExit, KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # never a stack trace for the user; the log has it
            log.debug("unexpected error", exc_info=True)
            click.secho(f"Unexpected error: {type(exc).__name__}: {exc}. Run with `ringtrace -v ...` "
                        "for details, and report it with the command you ran.", fg="red", err=True)
            sys.exit(1)

    return wrapper


@click.group()
@click.version_option(__version__, prog_name="ringtrace")
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
def main(verbose: bool) -> None:
    """ringtrace: find coordinated account-fraud clusters in a Neo4j graph and trace them."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    config.ensure_private_home()


# --- neo4j -------------------------------------------------------------------------

@main.group()
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
    from ringtrace import local_neo4j

    st = local_neo4j.start(port=port)
    click.echo(f"Neo4j {st.version} running (pid {st.pid}) at {st.uri}; data in {st.data_dir}")


@neo4j.command("stop")
@friendly_errors
def neo4j_stop() -> None:
    """Shut the local server down cleanly."""
    from ringtrace import local_neo4j

    click.echo("Neo4j stopped." if local_neo4j.stop() else "Neo4j was not running.")


@neo4j.command("status")
@friendly_errors
def neo4j_status() -> None:
    """Whether the server runs, where its data lives, and its version."""
    external = config.external_server()
    if external:
        from graph.db import connect

        with connect(external) as g:
            click.echo(f"Using external Neo4j at {external.uri} (database {external.database}), "
                       f"version {g.server_version()}")
        return
    from ringtrace import local_neo4j

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
    from ringtrace import local_neo4j

    paths = config.local_paths()
    if local_neo4j.gds_installed(paths) and not force:
        click.echo(f"Graph Data Science {config.GDS_VERSION} is already installed in {paths.plugins_dir}.")
        return
    was_running = local_neo4j.status().running
    copied = local_neo4j.install_gds(paths, force=True)
    click.echo(f"Graph Data Science {config.GDS_VERSION} installed ({copied} jars) in {paths.plugins_dir}.")
    if was_running:
        local_neo4j.stop()
        st = local_neo4j.start()
        click.echo(f"Neo4j restarted with GDS (pid {st.pid}) at {st.uri}.")


@neo4j.command("env")
@friendly_errors
def neo4j_env() -> None:
    """Print `export NEO4J_...` lines for pointing other tools at the local server."""
    from ringtrace import local_neo4j

    for line in local_neo4j.env_lines():
        click.echo(line)


# --- commands that later work fills in ----------------------------------------------

def not_built(name: str, issue: int) -> Callable[..., None]:
    def command(**_: Any) -> None:
        click.secho(f"`ringtrace {name}` is not built yet (tracked in issue {issue}).", fg="yellow", err=True)
        sys.exit(2)

    return command


def _register_later(name: str, issue: int, help_text: str) -> None:
    main.command(name, help=f"{help_text} [not built yet: issue {issue}]",
                 context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(
        not_built(name, issue))


def _register_optional_commands() -> None:
    """Attach the commands whose modules exist; the rest say honestly that they are missing."""
    from ringtrace import commands

    commands.register(main)
    planned = {"load": (3, "Load a dataset directory into Neo4j."),
               "detect": (4, "Detect coordinated account clusters."),
               "trace": (5, "Trace flagged clusters to organisations and people."),
               "query": (6, "Run saved read-only Cypher queries."),
               "export": (6, "Export a verifiable evidence bundle."),
               "verify": (6, "Verify an evidence bundle."),
               "app": (7, "Open the Streamlit workbench."),
               "demo": (2, "Start Neo4j, load the sample, detect, trace, open the workbench.")}
    for name, (issue, help_text) in planned.items():
        if name not in main.commands:
            _register_later(name, issue, help_text)


_register_optional_commands()


if __name__ == "__main__":
    main()
