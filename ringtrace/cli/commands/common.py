"""What every command group shares: errors shown as instructions, and the --format option."""
from __future__ import annotations

import functools
import logging
import sys
from typing import Any, Callable

import click

from ringtrace.core.errors import RingtraceError

log = logging.getLogger("ringtrace")
FORMATS = ("table", "csv", "json")


def format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--format table|csv|json` for a list command (its value arrives as `fmt`; ringtrace.cli.terminal.emit)."""
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="table: for reading (never cut when piped); csv or json: every field whole, for "
                             "scripts and spreadsheets.")(fn)


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn RingtraceError (and a lost server) into a short message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RingtraceError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)
        except (SystemExit, KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # never a stack trace for the user; the log has it
            # deferred: the neo4j driver adds 0.46 s to every command; only a failed one needs its error types
            from neo4j.exceptions import Neo4jError, ServiceUnavailable

            if isinstance(exc, ServiceUnavailable):
                click.secho(f"Error: lost the connection to Neo4j ({exc}). Check the server "
                            "(`ringtrace neo4j status`) and run the command again.", fg="red", err=True)
            elif isinstance(exc, Neo4jError):
                click.secho(f"Error from Neo4j: {exc.code}: {exc.message}", fg="red", err=True)
            else:
                log.debug("unexpected error", exc_info=True)
                click.secho(f"Unexpected error: {type(exc).__name__}: {exc}. Run with `ringtrace -v ...` "
                            "for details, and report it with the command you ran.", fg="red", err=True)
            sys.exit(1)

    return wrapper

