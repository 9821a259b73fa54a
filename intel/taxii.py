"""Publish a case's indicators to, and pull partners' reports from, a TAXII 2.1 collection (taxii2-client).

The API root URL, the collection (id or title) and the credentials come from the configuration
(`RINGTRACE_TAXII_URL`, `RINGTRACE_TAXII_COLLECTION`, `RINGTRACE_TAXII_USER`, `RINGTRACE_TAXII_PASSWORD`).
Plain http is allowed to a loopback server only: the credentials and the indicators travel with each request.
Each pull asks only for what was added since the last one (`added_after`, kept on an `IntelFeed` node).

Every request goes through `ringtrace.core.outbound.Session`: to the API root's server only, no redirect followed,
answered within RINGTRACE_TAXII_TIMEOUT, and one pull reads at most RINGTRACE_TAXII_MAX_BYTES in all pages and
at most RINGTRACE_TAXII_MAX_PAGES pages; a `next` seen before (a loop) or missing while the server says there is
more is refused. Beyond a limit the pull is refused whole and the feed's position is kept. A malformed object is
skipped and listed (`PullResult.skipped`, or the report's skipped objects); the pull goes on.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot

from graph.db import Graph
from intel import case_indicators, reports, stix_in
from ringtrace.core import config, outbound
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor

PAGE_OBJECTS = 500
CONTEXT_TYPES = ("identity", "marking-definition")  # sent with every report, never a report of their own
PUBLISH_TIMEOUT_S = 60
MAX_NEXT_CHARS = 1024  # a `next` token longer than this is not one a server needs
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
    collection_id: str


@dataclass
class PullResult:
    """What a pull imported (one result per report) and what it left out, with the reason."""

    collection_id: str
    results: list[reports.ImportResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    objects: int = 0


def settings() -> config.TaxiiSettings:
    found = config.taxii_settings()
    if found is None or not found.collection:
        raise RingtraceError("No TAXII server configured: set RINGTRACE_TAXII_URL (the API root, e.g. "
                             "https://taxii.example/api1/) and RINGTRACE_TAXII_COLLECTION (its id or title), "
                             "plus RINGTRACE_TAXII_USER and RINGTRACE_TAXII_PASSWORD.")
    return replace(found, api_root=outbound.check_url(found.api_root, "RINGTRACE_TAXII_URL"))


def _connection(found: config.TaxiiSettings) -> Any:
    """taxii2-client's connection over a bounded session (`ringtrace.core.outbound.Session`)."""
    conn = _HTTPConnection(version="2.1")
    conn.session.close()
    conn.session = outbound.Session(found.api_root, "RINGTRACE_TAXII_URL",
                                    f"TAXII server {outbound.redact(found.api_root)}", config.TAXII_TIMEOUT_S,
                                    config.TAXII_MAX_BYTES)
    if found.user and found.password:
        conn.session.auth = (found.user, found.password)
    return conn


def _answer_error(found: config.TaxiiSettings, exc: Exception) -> RingtraceError:
    return RingtraceError(f"TAXII server {outbound.redact(found.api_root)} did not answer as a TAXII 2.1 API "
                          f"root: {outbound.scrub(str(exc), found.api_root)[:300]}. Check RINGTRACE_TAXII_URL and "
                          "the credentials.")


def collection(found: config.TaxiiSettings) -> Any:
    """The configured collection, or an error listing the ones the server offers."""
    try:
        root = ApiRoot(found.api_root, conn=_connection(found))
        offered = root.collections
    except (TAXIIServiceException, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _answer_error(found, exc) from None
    for c in offered:
        if found.collection in (c.id, c.title):
            return c
    names = ", ".join(f"{c.title} ({c.id})" for c in offered) or "none"
    raise RingtraceError(f"TAXII collection {found.collection!r} is not offered by {outbound.redact(found.api_root)}; "
                         f"available: {names}.")


def publish(graph: Graph, case_id: str) -> PublishResult:
    """Send the case's indicators (case_indicators.case_bundle) to the configured collection."""
    bundle = case_indicators.case_bundle(graph, case_id)
    found = settings()
    target = collection(found)
    if not target.can_write:
        raise RingtraceError(f"TAXII collection {target.title} is read-only for {found.user or 'this user'}.")
    try:
        status = target.add_objects({"objects": bundle["objects"]}, wait_for_completion=True,
                                    timeout=PUBLISH_TIMEOUT_S)
    except (TAXIIServiceException, OSError, ValueError, KeyError, TypeError) as exc:
        raise _answer_error(found, exc) from None
    return PublishResult(target.title, status.status, len(bundle["objects"]), status.success_count,
                         status.failure_count, target.id)


def _usable(objects: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The pulled objects a bundle can hold, and each other one with the reason it is skipped."""
    usable, skipped = [], []
    for n, obj in enumerate(objects, 1):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not isinstance(obj.get("type"), str):
            skipped.append(f"object {n} of the pull: malformed, not imported: not a STIX object with a string "
                           "type and id")
        elif stix_in.too_deep(obj, stix_in.MAX_JSON_DEPTH - 2):  # inside a bundle's objects list
            skipped.append(f"{obj['id']}: malformed, not imported: nested deeper than {stix_in.MAX_JSON_DEPTH} "
                           "levels")
        else:
            usable.append(obj)
    return usable, skipped


def _bundles(objects: list[dict[str, Any]], collection_title: str) -> list[tuple[str, dict[str, Any]]]:
    """One bundle per report pulled (with the objects it refers to, and the identities and markings that give
    it its sender and TLP), plus one for the rest."""
    by_id = {o["id"]: o for o in objects}
    identities = [o for o in objects if o["type"] in CONTEXT_TYPES]
    used: set[str] = set()
    out = []
    for report in (o for o in objects if o["type"] == "report"):
        wanted = report.get("object_refs")
        refs = [by_id[r] for r in (wanted if isinstance(wanted, list) else []) if isinstance(r, str) and r in by_id]
        used.update([report["id"], *(r["id"] for r in refs)])
        out.append((f"TAXII {collection_title}", {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                                  "objects": [*identities, report, *refs]}))
    rest = [o for o in objects if o["id"] not in used and o["type"] not in CONTEXT_TYPES]
    if rest:
        out.append((f"TAXII {collection_title}", {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                                  "objects": [*identities, *rest]}))
    return out


def _pages(source: Any, title: str, kwargs: dict[str, Any]) -> list[Any]:
    """Every object of every page, within the page cap; a repeated or missing `next` is refused."""
    objects: list[Any] = []
    seen: set[str] = set()
    token: str | None = None
    pages = 0
    while True:
        envelope = source.get_objects(limit=PAGE_OBJECTS, **({"next": token} if token else {}), **kwargs)
        pages += 1
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects", []), list):
            raise RingtraceError(f"TAXII collection {title}: page {pages} is not a TAXII envelope. Nothing was "
                                 "imported.")
        objects += envelope.get("objects", [])
        if not envelope.get("more"):
            return objects
        if pages >= config.TAXII_MAX_PAGES:
            raise RingtraceError(f"TAXII collection {title} has more than {config.TAXII_MAX_PAGES} pages "
                                 f"({PAGE_OBJECTS} objects each) to send in one pull: nothing was imported. Raise "
                                 "RINGTRACE_TAXII_MAX_PAGES if the collection really holds that much.")
        token = envelope.get("next")
        if not isinstance(token, str) or not token or len(token) > MAX_NEXT_CHARS:
            raise RingtraceError(f"TAXII collection {title} says page {pages} has more after it but gives no "
                                 "`next` to ask for it: nothing was imported.")
        if token in seen:
            raise RingtraceError(f"TAXII collection {title} sent `next` {token[:80]!r} twice: it would send a "
                                 "page again (a loop). Nothing was imported.")
        seen.add(token)


def pull(graph: Graph, actor: Actor,
         on_import: Callable[[reports.ImportResult, str], None] | None = None) -> PullResult:
    """Import every report added to the collection since the last pull (each one's result and source handed to
    `on_import` once it is in the graph); alerts name each report."""
    found = settings()
    source = collection(found)
    if not source.can_read:
        raise RingtraceError(f"TAXII collection {source.title} cannot be read by {found.user or 'this user'}.")
    feed_id = f"{outbound.redact(found.api_root)}|{source.id}"
    last = graph.write(FEED_STATE, {"feed_id": feed_id})[0]["last_added"]
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kwargs = {"added_after": last} if last else {}
    try:
        pulled = _pages(source, source.title, kwargs)
    except (TAXIIServiceException, OSError, ValueError, KeyError, TypeError) as exc:
        raise _answer_error(found, exc) from None
    objects, skipped = _usable(pulled)
    result = PullResult(source.id, skipped=skipped, objects=len(pulled))
    for name, bundle in _bundles(objects, source.title):
        try:
            report = stix_in.parse(json.dumps(bundle), name, lenient=True)
        except RingtraceError as exc:
            result.skipped.append(str(exc))
            continue
        imported = reports.import_report(graph, actor, report, f"taxii:{source.id}")
        result.results.append(imported)
        if on_import is not None:
            on_import(imported, f"taxii:{source.id}")
    graph.write(SAVE_FEED_STATE, {"feed_id": feed_id, "api_root": outbound.redact(found.api_root),
                                  "collection": source.id, "last_added": started})
    return result
