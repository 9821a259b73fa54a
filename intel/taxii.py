"""Publish a case's indicators to, and pull partners' reports from, a TAXII 2.1 collection (taxii2-client).

The API root URL, the collection (id or title) and the credentials come from the configuration
(`RINGTRACE_TAXII_URL`, `RINGTRACE_TAXII_COLLECTION`, `RINGTRACE_TAXII_USER`, `RINGTRACE_TAXII_PASSWORD`).
Plain http is allowed to a loopback server only: the credentials and the indicators travel with each request.
Each pull asks only for what was added since the last one (`added_after`, kept on an `IntelFeed` node).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from graph.db import Graph
from intel import case_indicators, reports, stix_in
from monitoring.webhook import check_url
from ringtrace import audit, config
from ringtrace.errors import RingtraceError
from ringtrace.rights import Actor, require

PAGE_OBJECTS = 500
CONTEXT_TYPES = ("identity", "marking-definition")  # sent with every report, never a report of their own
PUBLISH_TIMEOUT_S = 60
FEED_STATE = """
MERGE (f:IntelFeed {feed_id: $feed_id})
RETURN f.last_added AS last_added
"""
SAVE_FEED_STATE = """
MERGE (f:IntelFeed {feed_id: $feed_id})
SET f.api_root = $api_root, f.collection = $collection, f.last_added = $last_added, f.pulled_at = datetime()
"""


@dataclass
class PublishResult:
    collection: str
    status: str
    objects: int
    succeeded: int
    failed: int


def settings() -> config.TaxiiSettings:
    found = config.taxii_settings()
    if found is None or not found.collection:
        raise RingtraceError("No TAXII server configured: set RINGTRACE_TAXII_URL (the API root, e.g. "
                             "https://taxii.example/api1/) and RINGTRACE_TAXII_COLLECTION (its id or title), "
                             "plus RINGTRACE_TAXII_USER and RINGTRACE_TAXII_PASSWORD.")
    check_url(found.api_root, "RINGTRACE_TAXII_URL")
    return found


def collection(found: config.TaxiiSettings) -> Any:
    """The configured collection, or an error listing the ones the server offers."""
    from taxii2client.exceptions import TAXIIServiceException
    from taxii2client.v21 import ApiRoot

    try:
        root = ApiRoot(found.api_root, user=found.user, password=found.password)
        offered = root.collections
    except (TAXIIServiceException, OSError, ValueError) as exc:
        raise RingtraceError(f"TAXII server {found.api_root} did not answer as a TAXII 2.1 API root: {exc}. "
                             "Check RINGTRACE_TAXII_URL and the credentials.") from None
    for c in offered:
        if found.collection in (c.id, c.title):
            return c
    names = ", ".join(f"{c.title} ({c.id})" for c in offered) or "none"
    raise RingtraceError(f"TAXII collection {found.collection!r} is not offered by {found.api_root}; "
                         f"available: {names}.")


def publish(graph: Graph, actor: Actor, case_id: str) -> PublishResult:
    """Send the case's indicators (case_indicators.case_bundle) to the configured collection."""
    require(actor, "intel")
    bundle = case_indicators.case_bundle(graph, case_id)
    found = settings()
    target = collection(found)
    if not target.can_write:
        raise RingtraceError(f"TAXII collection {target.title} is read-only for {found.user or 'this user'}.")
    status = target.add_objects({"objects": bundle["objects"]}, wait_for_completion=True,
                                timeout=PUBLISH_TIMEOUT_S)
    audit.record(actor.name, "intel_publish", {"case_id": case_id, "collection": target.id,
                                               "objects": len(bundle["objects"]), "status": status.status})
    return PublishResult(target.title, status.status, len(bundle["objects"]), status.success_count,
                         status.failure_count)


def _bundles(objects: list[dict[str, Any]], collection_title: str) -> list[tuple[str, dict[str, Any]]]:
    """One bundle per report pulled (with the objects it refers to, and the identities and markings that give
    it its sender and TLP), plus one for the rest."""
    by_id = {o.get("id"): o for o in objects}
    identities = [o for o in objects if o.get("type") in CONTEXT_TYPES]
    used: set[str] = set()
    out = []
    for report in (o for o in objects if o.get("type") == "report"):
        refs = [by_id[r] for r in report.get("object_refs", []) if r in by_id]
        used.update([report["id"], *(r["id"] for r in refs)])
        out.append((f"TAXII {collection_title}", {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                                  "objects": [*identities, report, *refs]}))
    rest = [o for o in objects if o.get("id") not in used and o.get("type") not in CONTEXT_TYPES]
    if rest:
        out.append((f"TAXII {collection_title}", {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                                  "objects": [*identities, *rest]}))
    return out


def pull(graph: Graph, actor: Actor) -> list[reports.ImportResult]:
    """Import every report added to the collection since the last pull; alerts name each report."""
    from taxii2client.v21 import as_pages

    require(actor, "intel")
    found = settings()
    source = collection(found)
    if not source.can_read:
        raise RingtraceError(f"TAXII collection {source.title} cannot be read by {found.user or 'this user'}.")
    feed_id = f"{found.api_root}|{source.id}"
    last = graph.write(FEED_STATE, {"feed_id": feed_id})[0]["last_added"]
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    objects: list[dict[str, Any]] = []
    kwargs = {"added_after": last} if last else {}
    for envelope in as_pages(source.get_objects, per_request=PAGE_OBJECTS, **kwargs):
        objects += envelope.get("objects", [])
    parsed = [stix_in.parse(json.dumps(b), name) for name, b in _bundles(objects, source.title)]  # all or nothing
    results = [reports.import_report(graph, actor, report, f"taxii:{source.id}") for report in parsed]
    graph.write(SAVE_FEED_STATE, {"feed_id": feed_id, "api_root": found.api_root, "collection": source.id,
                                  "last_added": started})
    audit.record(actor.name, "intel_pull", {"collection": source.id, "objects": len(objects),
                                            "reports": len(parsed)})
    return results
