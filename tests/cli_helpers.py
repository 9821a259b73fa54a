"""The CLI run in-process as a user runs it, for the unit and integration tests of the command line."""
from __future__ import annotations

from click.testing import CliRunner

from ringtrace.cli import main as cli


def run_cli(*args: str, columns: int = 80) -> tuple[int, str]:
    """Exit code and output of `ringtrace ARGS` in a terminal COLUMNS wide."""
    res = CliRunner().invoke(cli, list(args), env={"COLUMNS": str(columns)})
    return res.exit_code, res.output
