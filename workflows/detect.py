"""A detection run: rights, detection, the comparison with the last run (saving the cross-run CONTINUES
links), the optional CSV results, audit."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detection.run import DetectionParams, DetectionResult, write_results
from detection.run import detect as run_detection
from graph.db import Graph
from monitoring.changes import Changes, compare
from ringtrace.core import audit
from ringtrace.core.progress import Progress
from ringtrace.core.rights import Actor
from workflows.guard import authorise


@dataclass
class Detected:
    """A saved detection run, what changed since the run before, and the CSV files written (if any)."""

    result: DetectionResult
    changes: Changes
    written: tuple[Path, Path] | None = None


def detect(graph: Graph, actor: Actor, params: DetectionParams | None = None, engine: str = "python",
           progress: Progress | None = None, results: Path | None = None) -> Detected:
    """Detect, save the run, compare it with the run before (saving CONTINUES), write CSVs to `results`."""
    params = params or DetectionParams()
    authorise(actor, "detect", "detect", {"engine": engine})
    result = run_detection(graph, params, engine, progress)
    changes = compare(graph, result.run_id, save=True)
    written = write_results(result, results) if results else None
    audit.record(actor.name, "detect", {"run_id": result.run_id, "engine": engine, "clusters": len(result.clusters),
                                        "flagged": len(result.flagged)})
    return Detected(result, changes, written)
