"""Indicators traded with other providers: rights, then the import, export, publish or pull, then the audit
record of what was sent or received (`intel_import`, `intel_export`, `intel_publish`, `intel_pull`); refusals
are audited once. The intel modules check no rights and audit nothing."""
from __future__ import annotations

from pathlib import Path

from cases import store
from graph.db import Graph
from intel import case_indicators, reports, stix_in, taxii
from intel.reports import ImportResult
from ringtrace.core import audit
from ringtrace.core.rights import Actor
from workflows.guard import authorise


def _imported(actor: Actor, result: ImportResult, source: str) -> None:
    audit.record(actor.name, "intel_import", {"report_id": result.report.report_id, "source": source,
                                              "indicators": len(result.report.items), "alerts": len(result.alerts)})


def import_report(graph: Graph, actor: Actor, payload: bytes, name: str, source: str) -> ImportResult:
    """Parse a partner's STIX 2.1 bundle (refused whole when malformed) and match it against the graph."""
    authorise(actor, "intel", "intel_import", {"file": name, "source": source})
    result = reports.import_report(graph, actor, stix_in.parse(payload, name), source)
    _imported(actor, result, source)
    return result


def export_case(graph: Graph, actor: Actor, case_id: str, out: Path) -> int:
    """Write a confirmed case's watched items as a STIX 2.1 bundle; returns the number of indicators."""
    authorise(actor, "intel", "intel_export", {"case_id": case_id, "file": str(out)})
    case_id = store.resolve_case_id(graph, case_id)
    indicators = case_indicators.write_case_bundle(graph, case_id, out)
    audit.record(actor.name, "intel_export", {"case_id": case_id, "file": str(out)})
    return indicators


def publish(graph: Graph, actor: Actor, case_id: str) -> taxii.PublishResult:
    """Send a confirmed case's indicators to the configured TAXII 2.1 collection."""
    authorise(actor, "intel", "intel_publish", {"case_id": case_id})
    case_id = store.resolve_case_id(graph, case_id)
    result = taxii.publish(graph, case_id)
    audit.record(actor.name, "intel_publish", {"case_id": case_id, "collection": result.collection_id,
                                               "objects": result.objects, "status": result.status})
    return result


def pull(graph: Graph, actor: Actor) -> taxii.PullResult:
    """Import every report added to the configured TAXII 2.1 collection since the last pull (each report
    audited as it is imported, then the pull)."""
    authorise(actor, "intel", "intel_pull", {})
    result = taxii.pull(graph, actor, on_import=lambda imported, source: _imported(actor, imported, source))
    audit.record(actor.name, "intel_pull", {"collection": result.collection_id, "objects": result.objects,
                                            "reports": len(result.results), "skipped": len(result.skipped)})
    return result
