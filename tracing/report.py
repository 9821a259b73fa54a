"""Printing and exporting attributions (the CLI and the workbench share these)."""
from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from graph.db import Graph
from ringtrace import safecsv
from ringtrace.terminal import escape, print_table
from tracing import attribution
from tracing.attribution import Attribution

CSV_COLUMNS = ("cluster_id", "rank", "target_kind", "target_id", "confidence", "evidence")
TOP_SHOWN = 5


def print_attribution(console: Console, result: Attribution) -> None:
    state = "flagged" if result.flagged else f"not flagged: confidence capped at {attribution.NOT_FLAGGED_CAP}"
    console.print(f"[bold]Cluster {escape(result.cluster_id)}[/bold] ({escape(state)})")
    for title, cands in (("Organisations", result.organisations), ("People", result.people)):
        print_table(console, title, ("rank", "id", "name", "confidence", "evidence"),
                    [(c.rank, c.target_id, c.name, f"{c.confidence:.2f}", c.evidence_text()) for c in cands[:TOP_SHOWN]],
                    id_columns=("id",))
    if result.infrastructure:
        infra = ", ".join(f"{r['service']} ({r['accounts']} accounts, {r['exit_nodes']} exit nodes)"
                          for r in result.infrastructure)
        console.print(f"Infrastructure used (not the originator): {escape(infra)}")


def trace_all(graph: Graph, run_id: str, console: Console | None = None) -> list[Attribution]:
    """Trace and save every flagged cluster of a detection run."""
    started = time.monotonic()
    results = []
    for cid in attribution.flagged_clusters(graph, run_id):
        result = attribution.trace_cluster(graph, cid)
        attribution.save(graph, result)
        results.append(result)
        if console:
            top = result.organisations[0] if result.organisations else None
            person = result.people[0] if result.people else None
            console.print(escape(f"{cid}: organisation {top.name} ({top.confidence:.2f})" if top
                                 else f"{cid}: no organisation"), end="")
            if console and person:
                console.print(escape(f"; person {person.name} ({person.confidence:.2f})"))
            elif console:
                console.print("")
    if console:
        console.print(f"Traced {len(results)} flagged clusters in {time.monotonic() - started:.1f} s")
    return results


def write_csv(results: list[Attribution], out: Path) -> Path:
    """attribution.csv: one row per reported candidate of each traced cluster."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "attribution.csv"
    with open(path, "w", newline="") as fh:
        w = safecsv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for r in results:
            for c in r.reported():
                w.writerow([r.cluster_id, c.rank, c.target_kind, c.target_id, f"{c.confidence:.4f}",
                            c.evidence_text()])
    return path
