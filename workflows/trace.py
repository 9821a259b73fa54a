"""Tracing clusters to organisations and people: rights, the trace, saving ATTRIBUTED_TO (what the Overview,
bundles and STIX read), the optional CSV results, audit."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detection.run import latest_run
from graph.cluster_ids import resolve_cluster_id
from graph.db import Graph
from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.progress import Progress, reporter
from ringtrace.core.rights import Actor
from tracing import attribution, report
from tracing.attribution import Attribution
from workflows.guard import authorise


@dataclass
class TracedRun:
    """Every flagged cluster of a run traced and saved, and the CSV files written (if any)."""

    run_id: str
    results: list[Attribution]
    written: tuple[Path, Path] | None = None


def trace_cluster(graph: Graph, actor: Actor, cluster_id: str, progress: Progress | None = None) -> Attribution:
    """Trace one cluster (full or short id) and save its attribution."""
    authorise(actor, "trace", "trace", {"cluster_id": cluster_id})
    cluster_id = resolve_cluster_id(graph, cluster_id)
    out = reporter(progress)
    task = out.add_task(f"tracing {cluster_id}")
    result = attribution.trace_cluster(graph, cluster_id)
    attribution.save(graph, result)
    out.remove_task(task)
    audit.record(actor.name, "trace", {"cluster_id": cluster_id, "candidates": len(result.reported())})
    return result


def stored_cluster(graph: Graph, cluster_id: str) -> Attribution | None:
    """The attribution a trace saved for a cluster (what the Overview, bundles and STIX show), or None when
    it was never traced. Reading it needs no right beyond seeing the cluster."""
    return attribution.stored(graph, resolve_cluster_id(graph, cluster_id))


def preview_cluster(graph: Graph, cluster_id: str) -> Attribution:
    """A cluster's attribution computed and not saved: what a reader (a viewer) may see."""
    return attribution.trace_cluster(graph, resolve_cluster_id(graph, cluster_id))


def trace_run(graph: Graph, actor: Actor, run_id: str | None = None, progress: Progress | None = None,
              results: Path | None = None) -> TracedRun:
    """Trace and save every flagged cluster of a run (default: the latest) and its campaigns."""
    authorise(actor, "trace", "trace", {"run_id": run_id})
    if run_id is None:
        latest = latest_run(graph)
        if latest is None:
            raise RingtraceError("No detection run yet: run `ringtrace detect` first.")
        run_id = latest["run_id"]
    traced = report.trace_all(graph, run_id, progress)
    written = (report.write_csv(traced, results), report.write_campaign_csv(traced, results)) if results else None
    audit.record(actor.name, "trace", {"run_id": run_id, "clusters": len(traced)})
    return TracedRun(run_id, traced, written)
