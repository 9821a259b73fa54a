"""`ringtrace case`: open, change, annotate, list and export investigation cases."""
from __future__ import annotations

from pathlib import Path

import click

from cases.states import PRIORITIES, STATUSES
from ringtrace.cli.commands.common import format_option, friendly_errors
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import cli_actor


@click.group()
def case() -> None:
    """Investigation cases: a decision about a campaign, cluster or accounts, and its history.

    Changes are made as the local operator, or as the workbench user named by RINGTRACE_USER
    (with that user's role: viewers may only read)."""


CASE_FIELDS = ("case_id", "status", "priority", "assignee", "accounts", "origin", "title", "updated_at",
               "updated_by")


@case.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--assignee", default=None, help="Cases assigned to this user.")
@click.option("--mine", is_flag=True, help="Cases assigned to me (RINGTRACE_USER, else $USER).")
@click.option("--open", "open_only", is_flag=True, help="Only new and investigating cases.")
@format_option
def case_list(status: str | None, assignee: str | None, mine: bool, open_only: bool, fmt: str) -> None:
    """List cases."""
    friendly_errors(_list)(status, assignee, mine, open_only, fmt)


def _list(status: str | None, assignee: str | None, mine: bool, open_only: bool, fmt: str = "table") -> None:
    # deferred: cases.store, graph.db and rich (the terminal) add 0.53 s to every CLI start
    from cases import store
    from graph.db import connect
    from ringtrace.cli.terminal import console, emit, print_table

    if mine:
        assignee = config.cli_user() or config.os_user()
    with connect() as g:
        rows = store.list_cases(g, status, assignee, open_only)
    emit(fmt, rows, lambda: print_table(
        console(), f"{len(rows)} case{'s' if len(rows) != 1 else ''}",
        ("case", "status", "priority", "assignee", "accounts", "from", "title", "updated"),
        [(r["case_id"], r["status"], r["priority"], r["assignee"] or "-", f"{r['accounts']:,}",
          r["origin"] or "-", r["title"], f"{str(r['updated_at'])[:16]} {r['updated_by']}") for r in rows],
        id_columns=("case", "from")), CASE_FIELDS)


@case.command("show")
@click.argument("case_id")
def case_show(case_id: str) -> None:
    """A case's fields, decision, notes and history."""
    friendly_errors(_show)(case_id)


def _show(case_id: str) -> None:
    # deferred: cases.store, graph.db and rich (the terminal) add 0.70 s to every CLI start
    from cases import store
    from graph.db import connect
    from ringtrace.cli.terminal import console, escape, print_table

    with connect() as g:
        view = store.show(g, store.resolve_case_id(g, case_id))
    c, out = view.case, console()
    out.print(escape(f"{c['case_id']}: {c['title']}"))
    out.print(escape(f"status {c['status']}, priority {c['priority']}, assignee {c.get('assignee') or '-'}, "
                     f"{view.accounts:,} accounts, opened from {view.origin or 'accounts'} by {c['created_by']} "
                     f"at {str(c['created_at'])[:19]}"))
    for reason in c.get("evidence") or []:
        out.print(escape(f"  evidence: {reason}"))
    print_table(out, "History", ("at", "by", "action", "detail"),
                [(str(e["at"])[:19], e["by"], e["action"], store.event_text(e)) for e in view.history])


@case.command("open")
@click.option("--title", required=True)
@click.option("--campaign", "campaign_id", default=None, help="Open from a campaign (full id or k0001).")
@click.option("--cluster", "cluster_id", default=None, help="Open from a cluster (full id or c0001).")
@click.option("--accounts", default=None, help="Comma-separated account ids (alone or added to the above).")
@click.option("--priority", type=click.Choice(PRIORITIES), default="medium", show_default=True)
@click.option("--assignee", default=None)
def case_open(title: str, campaign_id: str | None, cluster_id: str | None, accounts: str | None, priority: str,
              assignee: str | None) -> None:
    """Open a case from a campaign, a cluster or accounts."""
    friendly_errors(_open)(title, campaign_id, cluster_id, accounts, priority, assignee)


def _open(title: str, campaign_id: str | None, cluster_id: str | None, accounts: str | None, priority: str,
          assignee: str | None) -> None:
    # deferred: cases.store, graph.db and workflows.cases add 0.56 s to every CLI start
    from cases import store
    from graph.db import connect
    from workflows import cases

    if campaign_id and cluster_id:
        raise RingtraceError("Give --campaign or --cluster, not both.")
    actor = cli_actor()
    listed = [a.strip() for a in (accounts or "").split(",") if a.strip()]
    with connect() as g:
        case_id = cases.open_case(g, actor, title, cases.resolve_origin(g, campaign_id, cluster_id), listed,
                                  priority, assignee)
        view = store.show(g, case_id)
        others = [c for c in store.cases_covering(g, store.accounts_of(g, case_id)) if c["case_id"] != case_id]
    click.echo(f"Opened {case_id} ({view.accounts:,} accounts) as {actor.name}.")
    for c in others:
        click.echo(f"Note: {store.case_text(c)} already covers {c['shared']:,} of these accounts.")


@case.command("set")
@click.argument("case_id")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--assignee", default=None)
@click.option("--priority", type=click.Choice(PRIORITIES), default=None)
@click.option("--title", default=None)
def case_set(case_id: str, status: str | None, assignee: str | None, priority: str | None,
             title: str | None) -> None:
    """Change a case; confirmed or false_positive writes the decision on its accounts."""
    friendly_errors(_set)(case_id, status, assignee, priority, title)


def _set(case_id: str, status: str | None, assignee: str | None, priority: str | None, title: str | None) -> None:
    # deferred: cases.store, graph.db and workflows.cases add 0.56 s to every CLI start
    from cases import store
    from graph.db import connect
    from workflows import cases

    with connect() as g:
        changes = cases.update(g, cli_actor(), case_id, status, assignee, priority, title)
        case_id = store.resolve_case_id(g, case_id)
    click.echo(f"{case_id}: " + (", ".join(f"{k} -> {v}" for k, v in changes.items()) if changes else "no change"))


@case.command("note")
@click.argument("case_id")
@click.argument("text")
def case_note(case_id: str, text: str) -> None:
    """Add a note to a case."""
    friendly_errors(_note)(case_id, text)


def _note(case_id: str, text: str) -> None:
    # deferred: graph.db and workflows.cases add 0.79 s to every CLI start
    from graph.db import connect
    from workflows import cases

    with connect() as g:
        case_id = cases.add_note(g, cli_actor(), case_id, text)
    click.echo(f"{case_id}: note added")


@case.command("export")
@click.argument("case_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="FILE.zip")
@click.option("--redact", is_flag=True, help="Mask emails, names and card digits for sharing outside the team.")
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=lambda: config.signing_key(),
              help="Ed25519 private key (PEM) to sign the manifest (or RINGTRACE_SIGNING_KEY).")
def case_export(case_id: str, out: Path, redact: bool, signing_key: Path | None) -> None:
    """Export the case's evidence bundle (its campaign or cluster, with case.json inside)."""
    friendly_errors(_export)(case_id, out, redact, signing_key)


def _export(case_id: str, out: Path, redact: bool, signing_key: Path | None) -> None:
    # deferred: graph.db and workflows.export add 1.27 s to every CLI start
    from graph.db import connect
    from workflows import export as bundles

    with connect() as g:
        manifest = bundles.export_case(g, cli_actor(), case_id, out, redact, signing_key)
    click.echo(f"Wrote {out}: {len(manifest['files'])} files, bundle {manifest['bundle_id']}, "
               f"manifest sha256 {manifest['manifest_sha256']}")
