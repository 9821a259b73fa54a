"""`ringtrace changes` and `ringtrace alerts`: what moved since the last detection run, and what alerted."""
from __future__ import annotations

import dataclasses
import json

import click

from ringtrace.cli.commands.common import format_option, friendly_errors
from ringtrace.core.errors import RingtraceError

ALERT_SOURCES = ("case", "intel")


def print_changes(changes, out=None) -> None:
    """The changes summary, then a table per kind of change (shared by `detect` and `changes`)."""
    # deferred: graph.cluster_ids and rich (the terminal) add 0.67 s to every CLI start
    from graph.cluster_ids import short_cluster_id
    from ringtrace.cli.terminal import console, escape, print_table

    out = out or console()
    for line in changes.summary():
        out.print(escape(line))
    tables = (("New flagged clusters", changes.new), ("Newly flagged", changes.newly_flagged))
    for title, rows in tables:
        if rows:
            print_table(out, title, ("cluster", "size", "campaign", "continues"),
                        [(short_cluster_id(r["cluster_id"]), r["size"], r["campaign_id"] or "-",
                          " ".join(r["continues"]) or "-") for r in rows], id_columns=("cluster", "campaign"))
    if changes.grew:
        print_table(out, "Grew", ("cluster", "size", "campaign", "new accounts"),
                    [(short_cluster_id(r["cluster_id"]), r["size"], r["campaign_id"] or "-",
                      f"{len(r['new_accounts'])}: " + " ".join(r["new_accounts"][:20])) for r in changes.grew],
                    id_columns=("cluster", "campaign"))
    if changes.gone:
        print_table(out, "Gone", ("cluster", "size", "why", "now"),
                    [(r["cluster_id"], r["size"], r["why"], r["now"] or "-") for r in changes.gone],
                    id_columns=("cluster", "now"))
    if changes.joined:
        print_table(out, "Joined a case's campaign", ("case", "status", "campaign or cluster", "continues",
                                                      "accounts"),
                    [(r["case_id"], r["status"], r["group"], " ".join(r["continues"]) or "-", " ".join(r["accounts"]))
                     for r in changes.joined], id_columns=("case", "campaign or cluster", "continues"))


@click.command()
@click.option("--since", default=None, help="Compare with this detection run (default: the run before).")
@click.option("--run", "run_id", default=None, help="The later run (default: the latest).")
@click.option("--list", "list_runs", is_flag=True, help="List the detection runs and stop.")
@format_option
def changes(since: str | None, run_id: str | None, list_runs: bool, fmt: str) -> None:
    """What changed between detection runs: new, grown and gone clusters, and accounts that joined a
    campaign under an open or confirmed case. Clusters are matched across runs by majority containment
    (docs/monitoring.md). --format csv lists the runs (--list); json gives either."""
    friendly_errors(_changes)(since, run_id, list_runs, fmt)


def _changes(since: str | None, run_id: str | None, list_runs: bool, fmt: str = "table") -> None:
    # deferred: graph.db, monitoring.changes and rich (the terminal) add 0.55 s to every CLI start
    from graph.db import connect, plain
    from monitoring import changes as changes_mod
    from ringtrace.cli.terminal import console, emit, print_table

    if fmt == "csv" and not list_runs:
        raise RingtraceError("The changes between two runs are several tables: use --format json, or --list "
                             "--format csv for the runs.")
    with connect() as g:
        if list_runs:
            rows = changes_mod.runs(g)
            emit(fmt, rows, lambda: print_table(
                console(), f"{len(rows)} detection run(s)", ("run", "started", "clusters", "flagged"),
                [(r["run_id"], str(r["started_at"])[:19], r["clusters"], r["flagged"]) for r in rows],
                id_columns=("run",)), ("run_id", "started_at", "clusters", "flagged"))
            return
        found = changes_mod.compare(g, run_id, since)
    if fmt == "json":
        click.echo(json.dumps({"summary": found.summary(), **plain(dataclasses.asdict(found))}, default=str,
                              indent=1, ensure_ascii=False))
        return
    print_changes(found)


@click.command()
@click.option("--case", "case_id", default=None, help="Only alerts from this case's watchlist.")
@click.option("--source", type=click.Choice(ALERT_SOURCES), default=None,
              help="case: a confirmed case's watched item; intel: a partner's indicator.")
@click.option("--watchlist", "show_watchlist", is_flag=True, help="List the watched items instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (what the webhook receives); as --format json.")
@click.option("--limit", type=int, default=200, show_default=True)
@format_option
def alerts(case_id: str | None, source: str | None, show_watchlist: bool, as_json: bool, limit: int,
           fmt: str) -> None:
    """Alerts raised when new accounts (after a load) or a partner's report touch a watched item; newest first.

    Confirmed cases watch the items most of whose holders are their accounts (docs/monitoring.md);
    RINGTRACE_ALERT_WEBHOOK, when set, receives every new alert as JSON."""
    friendly_errors(_alerts)(case_id, source, show_watchlist, "json" if as_json else fmt, limit)


def _alerts(case_id: str | None, source: str | None, show_watchlist: bool, fmt: str, limit: int) -> None:
    # deferred: these imports (store, watchlist, db, alerts, terminal) add 0.55 s to every CLI start
    from cases import store, watchlist
    from graph.db import connect
    from monitoring.alerts import as_json as to_json
    from monitoring.alerts import list_alerts
    from ringtrace.cli.terminal import console, emit, print_table

    with connect() as g:
        if case_id:
            case_id = store.resolve_case_id(g, case_id)
        if show_watchlist:
            rows = watchlist.watchlist(g, case_id)
            table = lambda: print_table(  # noqa: E731
                console(), f"{len(rows)} watched item(s)", ("case", "kind", "value", "held by case / all"),
                [(r["case_id"], r["kind"], r["value"], f"{r['case_holders']}/{r['holders']}") for r in rows],
                id_columns=("case", "value"))
        else:
            rows = list_alerts(g, case_id, source, limit)
            table = lambda: print_table(  # noqa: E731
                console(), f"{len(rows)} alert(s)", ("alert", "raised", "from", "accounts", "what", "webhook"),
                [(r["alert_id"], str(r["raised_at"])[:19], r["case_id"] or r["report"], len(r["accounts"]),
                  r["summary"], r["webhook"]) for r in rows], id_columns=("alert",))
    if fmt == "json":
        click.echo(to_json(rows))  # what the webhook receives
        return
    emit(fmt, rows, table)
