"""Loading a dataset: rights, the load, the alerts it raises (new accounts touching watched items), audit."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.db import Graph, connect
from loaders.load import LoadSummary, load_dataset
from monitoring.alerts import check_load
from ringtrace.core import audit
from ringtrace.core.progress import Progress
from ringtrace.core.rights import Actor
from ringtrace.server import home_lock
from workflows.guard import authorise


@dataclass
class Loaded:
    """A finished load and the alerts it raised."""

    summary: LoadSummary
    alerts: list[dict[str, Any]] = field(default_factory=list)


def load(actor: Actor, dataset: Path, rejects: Path | None = None, mode: str = "auto",
         progress: Progress | None = None, graph: Graph | None = None) -> Loaded:
    """Load `dataset` (into `graph`, else a new connection made under the home's load lock: a bulk load in
    another process may have stopped the server) and raise the alerts its new accounts trigger."""
    authorise(actor, "load", "load", {"dataset": str(dataset)})
    with home_lock.hold("ringtrace load"), (contextlib.nullcontext(graph) if graph is not None else connect()) as g:
        summary = load_dataset(g, dataset, rejects, progress=progress, mode=mode)
        raised = check_load(g, summary.run_id)
    audit.record(actor.name, "load", {"dataset": str(dataset), "run_id": summary.run_id, "mode": summary.mode,
                                      "loaded": summary.loaded, "rejected": summary.rejected,
                                      "alerts": [a["alert_id"] for a in raised]})
    return Loaded(summary, raised)
