"""Indicators traded with other providers: rights, then the import, export, publish or pull (the intel
modules write their own audit records of what they sent or received); refusals are audited here."""
from __future__ import annotations

from pathlib import Path

from cases import store
from graph.db import Graph
from intel import case_indicators, reports, stix_in, taxii
from intel.reports import ImportResult
from ringtrace.core.rights import Actor
from workflows.guard import authorise


def import_report(graph: Graph, actor: Actor, payload: bytes, name: str, source: str) -> ImportResult:
    """Parse a partner's STIX 2.1 bundle (refused whole when malformed) and match it against the graph."""
    authorise(actor, "intel", "intel_import", {"file": name, "source": source})
    return reports.import_report(graph, actor, stix_in.parse(payload, name), source)


def export_case(graph: Graph, actor: Actor, case_id: str, out: Path) -> int:
    """Write a confirmed case's watched items as a STIX 2.1 bundle; returns the number of indicators."""
    authorise(actor, "intel", "intel_export", {"case_id": case_id, "file": str(out)})
    return case_indicators.write_case_bundle(graph, actor, store.resolve_case_id(graph, case_id), out)


def publish(graph: Graph, actor: Actor, case_id: str) -> taxii.PublishResult:
    """Send a confirmed case's indicators to the configured TAXII 2.1 collection."""
    authorise(actor, "intel", "intel_publish", {"case_id": case_id})
    return taxii.publish(graph, actor, store.resolve_case_id(graph, case_id))


def pull(graph: Graph, actor: Actor) -> taxii.PullResult:
    """Import every report added to the configured TAXII 2.1 collection since the last pull."""
    authorise(actor, "intel", "intel_pull", {})
    return taxii.pull(graph, actor)
