"""Evidence bundles (a cluster, a campaign, the Explore canvas, a case): rights, the bundle, audit."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bundles import export as bundles
from cases import store
from graph.cluster_ids import resolve_campaign_id, resolve_cluster_id
from graph.db import Graph
from ringtrace.core import audit
from ringtrace.core.rights import Actor
from workflows.cases import audited
from workflows.guard import authorise


def _audited(actor: Actor, subject: dict[str, Any], out: Path, redact: bool, analyst: str,
             manifest: dict[str, Any]) -> dict[str, Any]:
    audit.record(actor.name, "export", {**subject, "out": str(out), "redacted": redact, "analyst": analyst,
                                        "bundle_id": manifest["bundle_id"]})
    return manifest


def export_cluster(graph: Graph, actor: Actor, cluster_id: str, out: Path, redact: bool = False,
                   signing_key: Path | None = None, analyst: str | None = None) -> dict[str, Any]:
    """A cluster's bundle (full or short id); the manifest names `analyst` (default: the actor)."""
    authorise(actor, "export", "export", {"cluster_id": cluster_id})
    cluster_id, analyst = resolve_cluster_id(graph, cluster_id), analyst or actor.name
    manifest = bundles.export_cluster(graph, cluster_id, out, analyst, redact, signing_key)
    return _audited(actor, {"cluster_id": cluster_id}, out, redact, analyst, manifest)


def export_campaign(graph: Graph, actor: Actor, campaign_id: str, out: Path, redact: bool = False,
                    signing_key: Path | None = None, analyst: str | None = None) -> dict[str, Any]:
    """A campaign's bundle (full or short id), every cluster of it inside."""
    authorise(actor, "export", "export", {"campaign_id": campaign_id})
    campaign_id, analyst = resolve_campaign_id(graph, campaign_id), analyst or actor.name
    manifest = bundles.export_campaign(graph, campaign_id, out, analyst, redact, signing_key)
    return _audited(actor, {"campaign_id": campaign_id}, out, redact, analyst, manifest)


def export_canvas(graph: Graph, actor: Actor, nodes: dict[str, dict[str, Any]], edges: set[tuple[str, str, str]],
                  out: Path, redact: bool = False) -> dict[str, Any]:
    """A bundle of what the workbench's Explore canvas shows."""
    authorise(actor, "export", "export", {"canvas_nodes": len(nodes)})
    manifest = bundles.export_canvas(graph, nodes, edges, out, actor.name, redact)
    return _audited(actor, {"canvas_nodes": len(nodes)}, out, redact, actor.name, manifest)


def export_case(graph: Graph, actor: Actor, case_id: str, out: Path, redact: bool = False,
                signing_key: Path | None = None) -> dict[str, Any]:
    """A case's bundle (its campaign's or cluster's, with case.json inside), remembered on the case; audited as
    the case's history entry (case_export)."""
    authorise(actor, "export", "export", {"case_id": case_id})
    case_id = store.resolve_case_id(graph, case_id)
    kind, origin, record = store.bundle_record(graph, case_id)
    writer = bundles.export_campaign if kind == "campaign" else bundles.export_cluster
    manifest = writer(graph, origin, Path(out), actor.name, redact, signing_key, extra_files={"case.json": record})
    store.record_bundle(graph, actor, case_id, manifest, str(out), audited(actor))
    return manifest
