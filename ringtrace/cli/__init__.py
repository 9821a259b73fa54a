"""The `ringtrace` command: the tool's whole surface, mirrored by the workbench.

Each command group lives in its own module under `ringtrace/cli/commands/`; this module only makes
the top-level group and attaches them. Nothing outside ringtrace.cli imports it (tests/unit/test_floors.py)."""
from __future__ import annotations

import logging

import click

from ringtrace import __version__
from ringtrace.cli.commands import register
from ringtrace.cli.commands.common import friendly_errors
from ringtrace.core import config

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

