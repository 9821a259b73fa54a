"""`ringtrace similar`: more accounts like these, ranked by how they call the API."""
from __future__ import annotations

import click

from ringtrace.cli.commands.common import format_option, friendly_errors
from ringtrace.core.rights import cli_actor


@click.command()
@click.option("--case", "case_id", default=None, help="Seed with a case's accounts.")
@click.option("--cluster", "cluster_id", default=None, help="Seed with a cluster's accounts (c0001: latest run).")
@click.option("--accounts", default=None, help="Seed with these accounts (comma-separated ids).")
@click.option("--top", type=click.IntRange(1, 10_000), default=20, show_default=True, help="How many to list.")
@format_option
def similar(case_id: str | None, cluster_id: str | None, accounts: str | None, top: int, fmt: str) -> None:
    """Rank every other account by behavioural similarity to the seeds (co-activity first), with reasons."""
    friendly_errors(_similar)(case_id, cluster_id, accounts, top, fmt)


def _similar(case_id: str | None, cluster_id: str | None, accounts: str | None, top: int, fmt: str) -> None:
    # deferred: detection.similar, graph.db and rich (the terminal) add 1.54 s to every CLI start
    from detection import similar as sim
    from graph.db import connect
    from ringtrace.cli.terminal import console as make_console
    from ringtrace.cli.terminal import emit, print_table

    with connect() as g:
        seeds, source = sim.seed_source(g, case_id, cluster_id, accounts)
        search_id, ranked = sim.search(g, seeds, source, top, cli_actor().name)
    columns = ("rank", "account_id", "decades", "shared_waves", "similarity", "reasons")
    rows = [(i + 1, r.account, r.decades, r.shared_waves, r.similarity, r.reasons) for i, r in enumerate(ranked)]
    emit(fmt, [dict(zip(columns, r)) for r in rows],
         lambda: print_table(make_console(), f"{len(ranked)} accounts most like the {len(seeds):,} seeds "
                                              f"(stored as {search_id}: `ringtrace query similar_accounts`)", columns,
                             rows, id_columns=("account_id",)), columns)
