"""The CLI's command groups, one module each; `ringtrace.cli` attaches them to the `ringtrace` group."""
from __future__ import annotations

import click

from ringtrace.cli.commands import (
    bundle,
    case,
    data,
    demo,
    detect,
    intel,
    monitor,
    neo4j,
    query,
    requests,
    similar,
    trace,
)
from ringtrace.cli.commands import workbench as workbench_commands


def register(main: click.Group) -> None:
    """Attach every command group to the `ringtrace` group."""
    for command in (neo4j.neo4j, demo.demo, data.load, data.sample, detect.detect, trace.trace, query.query,
                    bundle.export, bundle.verify, case.case, monitor.changes, monitor.alerts, intel.intel,
                    workbench_commands.app, workbench_commands.user, requests.requests,
                    similar.similar):
        main.add_command(command)
