"""Tracing a whole detection run and writing its attributions as CSV (the CLI and the workbench share these)."""
from __future__ import annotations

import time
from pathlib import Path

from graph.cluster_ids import short_cluster_id
from graph.db import Graph
from ringtrace.core import safecsv
from ringtrace.core.progress import Progress, reporter
from tracing import attribution, campaigns
from tracing.attribution import Attribution

CSV_COLUMNS = ("cluster_id", "rank", "target_kind", "target_id", "confidence", "evidence", "campaign_id")
CAMPAIGN_CSV_COLUMNS = ("campaign_id", "rank", "target_kind", "target_id", "confidence", "clusters", "evidence")


def trace_all(graph: Graph, run_id: str, progress: Progress | None = None) -> list[Attribution]:
    """Trace and save every flagged cluster of a detection run, then rank per campaign (saved too); each
    cluster's and campaign's top candidates are reported to `progress` as lines."""
    out = reporter(progress)
    started = time.monotonic()
    results = []
    campaign_of = campaigns.campaign_of(graph, run_id)
    flagged = attribution.flagged_clusters(graph, run_id)
    task = out.add_task("tracing flagged clusters", total=len(flagged))
    for cid in flagged:
        result = attribution.trace_cluster(graph, cid)
        result.campaign_id = campaign_of.get(cid)
        attribution.save(graph, result)
        results.append(result)
        out.advance(task)
        top = result.organisations[0] if result.organisations else None
        person = result.people[0] if result.people else None
        line = f"{cid}: organisation {top.name} ({top.confidence:.2f})" if top else f"{cid}: no organisation"
        out.note(line + (f"; person {person.name} ({person.confidence:.2f})" if person else ""))
    out.remove_task(task)
    for k in campaigns.combine(results, campaign_of):
        campaigns.save(graph, k)
        if len(k.cluster_ids) > 1 and k.candidates:
            top = k.candidates[0]
            out.note(f"campaign {short_cluster_id(k.campaign_id)} ({len(k.cluster_ids)} clusters): "
                     f"{top.target_kind} {top.name} ({top.confidence:.2f}, from {len(top.by_cluster)} of its "
                     "clusters)")
    out.note(f"Traced {len(results)} flagged clusters in {time.monotonic() - started:.1f} s")
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
                            c.evidence_text(), r.campaign_id or ""])
    return path


def write_campaign_csv(results: list[Attribution], out: Path) -> Path:
    """campaign_attribution.csv: one row per candidate of each campaign, naming the clusters behind it."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "campaign_attribution.csv"
    combined = campaigns.combine(results, {r.cluster_id: r.campaign_id for r in results if r.campaign_id})
    with open(path, "w", newline="") as fh:
        w = safecsv.writer(fh)
        w.writerow(CAMPAIGN_CSV_COLUMNS)
        for k in combined:
            for c in k.candidates:
                w.writerow([k.campaign_id, c.rank, c.target_kind, c.target_id, f"{c.confidence:.4f}",
                            " ".join(sorted(c.by_cluster)), c.evidence_text()])
    return path
