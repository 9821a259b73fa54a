"""`ringtrace intel`: indicators traded with other providers (STIX 2.1 files, TAXII 2.1 collections)."""
from __future__ import annotations

from pathlib import Path

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.core.rights import cli_actor


@click.group()
def intel() -> None:
    """Import partners' STIX 2.1 reports, publish a confirmed case's indicators, pull from TAXII 2.1.

    The TAXII server comes from RINGTRACE_TAXII_URL (API root), RINGTRACE_TAXII_COLLECTION (id or title),
    RINGTRACE_TAXII_USER and RINGTRACE_TAXII_PASSWORD. The custom form for cards, devices and other
    identifiers is described in docs/intel.md."""


def print_import(result, out=None) -> None:
    # deferred: rich (the terminal) adds 0.03 s to every CLI start
    from ringtrace.cli.terminal import console, escape, print_table

    out = out or console()
    r = result.report
    out.print(escape(f"Report '{r.name}'" + (f" from {r.partner}" if r.partner else "") +
                     f": {len(r.items)} indicator(s) of {r.objects} object(s), {len(result.matched)} found in "
                     f"the graph, {len(result.alerts)} new alert(s)."))
    for stix_id, why in r.skipped:
        out.print(escape(f"Skipped {stix_id}: {why}"))
    for stix_id, why in r.loose:
        out.print(escape(f"Matched loosely {stix_id}: {why}"))
    if result.alerts:
        print_table(out, None, ("alert", "accounts", "what"),
                    [(a["alert_id"], len(a["accounts"]), a["summary"]) for a in result.alerts], id_columns=("alert",))


@intel.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def intel_import(file: Path) -> None:
    """Match a partner's STIX 2.1 bundle against the graph; hits become alerts naming the report.

    A malformed bundle is refused whole, with the reason, and nothing is written."""
    friendly_errors(_import)(file)


def _import(file: Path) -> None:
    # deferred: graph.db and workflows.intel add 0.64 s to every CLI start
    from graph.db import connect
    from workflows import intel as intel_flow

    payload = file.read_bytes()
    with connect() as g:
        result = intel_flow.import_report(g, cli_actor(), payload, file.name, f"file:{file.name}")
    print_import(result)


@intel.command("export")
@click.option("--case", "case_id", required=True, help="A confirmed case.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write JSON.")
def intel_export(case_id: str, out: Path) -> None:
    """Write a confirmed case's watched items as a STIX 2.1 bundle (a report and its indicators)."""
    friendly_errors(_export)(case_id, out)


def _export(case_id: str, out: Path) -> None:
    # deferred: graph.db and workflows.intel add 0.64 s to every CLI start
    from graph.db import connect
    from workflows import intel as intel_flow

    with connect() as g:
        indicators = intel_flow.export_case(g, cli_actor(), case_id, out)
    click.echo(f"Wrote {indicators} indicator(s) of case {case_id} to {out}")


@intel.command("publish")
@click.option("--case", "case_id", required=True, help="A confirmed case.")
def intel_publish(case_id: str) -> None:
    """Send a confirmed case's indicators to the configured TAXII 2.1 collection.

    The same objects as `intel export`; publishing a case again sends the same ids. The server:
    RINGTRACE_TAXII_URL, RINGTRACE_TAXII_COLLECTION, RINGTRACE_TAXII_USER and RINGTRACE_TAXII_PASSWORD."""
    friendly_errors(_publish)(case_id)


def _publish(case_id: str) -> None:
    # deferred: graph.db and workflows.intel add 0.64 s to every CLI start
    from graph.db import connect
    from workflows import intel as intel_flow

    with connect() as g:
        result = intel_flow.publish(g, cli_actor(), case_id)
    click.echo(f"Published {result.objects} object(s) of case {case_id} to TAXII collection {result.collection}: "
               f"{result.status}, {result.succeeded} accepted, {result.failed} refused.")


@intel.command("pull")
def intel_pull() -> None:
    """Import every report added to the configured TAXII 2.1 collection since the last pull.

    Each report's items are matched against the graph (alerts name the report) and stay watched for later
    loads. A malformed object is skipped and listed (the rest is imported); more than RINGTRACE_TAXII_MAX_PAGES
    pages or RINGTRACE_TAXII_MAX_BYTES, a paging loop, a redirect or a timeout refuses the pull whole. The
    server: RINGTRACE_TAXII_URL, RINGTRACE_TAXII_COLLECTION, RINGTRACE_TAXII_USER and RINGTRACE_TAXII_PASSWORD."""
    friendly_errors(_pull)()


def _pull() -> None:
    # deferred: graph.db, workflows.intel and rich (the terminal) add 1.11 s to every CLI start
    from graph.db import connect
    from ringtrace.cli.terminal import console, escape
    from workflows import intel as intel_flow

    with connect() as g:
        pulled = intel_flow.pull(g, cli_actor())
    if not pulled.results and not pulled.skipped:
        click.echo("Nothing new in the TAXII collection.")
    for result in pulled.results:
        print_import(result)
    for why in pulled.skipped:
        console().print(escape(f"Skipped {why}"))
