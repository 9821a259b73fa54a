"""The `ringtrace` command: the tool's whole surface, mirrored by the workbench.

Each command group lives in its own module under `ringtrace/commands/`; this module only makes
the top-level group and attaches them."""
from __future__ import annotations

import logging

import click

from ringtrace import __version__, config
from ringtrace.commands import register
from ringtrace.commands.common import friendly_errors

__all__ = ["main", "friendly_errors"]


@click.group()
@click.version_option(__version__, prog_name="ringtrace")
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
def main(verbose: bool) -> None:
    """ringtrace: find coordinated account-fraud clusters in a Neo4j graph and trace them."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    config.ensure_private_home()


register(main)


if __name__ == "__main__":
    main()
