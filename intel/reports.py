"""Partner reports in the graph: a parsed STIX bundle becomes an IntelReport naming Indicators, and every
account that touches one of them raises an alert naming the report.

    (:IntelReport {report_key, report_id, sender, name, partner, tlp, source, imported_at, imported_by,
                   objects, skipped, loose})
      -[:NAMES {stix_id}]->(:Indicator {indicator_id: 'kind:value', kind, value})

A report is kept under its sender and its STIX id (`report_key`, `Report.key`): a bundle from another sender
that reuses the id is another report, and cannot rewrite the first one's partner, TLP or indicators.

Indicators stay on the watchlist: a later load whose new accounts touch one alerts too
(`monitoring.alerts.check_load`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from graph.db import Graph, plain
from graph.item_kinds import accounts_touching
from intel.stix_in import Report
from monitoring.alerts import Watched, raise_alerts
from ringtrace.core.rights import Actor

SAVE_REPORT = """
MERGE (r:IntelReport {report_key: $report_key})
SET r.report_id = $report_id, r.sender = $sender, r.name = $name, r.partner = $partner, r.tlp = $tlp,
    r.source = $source, r.imported_at = datetime(), r.imported_by = $by,
    r.objects = $objects, r.skipped = $skipped, r.loose = $loose
WITH r
UNWIND $items AS item
MERGE (i:Indicator {indicator_id: item.kind + ':' + item.value})
ON CREATE SET i.kind = item.kind, i.value = item.value
MERGE (r)-[n:NAMES]->(i)
SET n.stix_id = item.stix_id
"""
LIST_REPORTS = """
MATCH (r:IntelReport)
RETURN r.report_key AS report_key, r.report_id AS report_id, r.name AS name, r.partner AS partner, r.tlp AS tlp,
       r.source AS source,
       r.imported_at AS imported_at, COUNT { (r)-[:NAMES]->() } AS indicators,
       COUNT { (:Alert)-[:FROM_REPORT]->(r) } AS alerts
ORDER BY imported_at DESC
"""


@dataclass
class ImportResult:
    report: Report
    matched: dict[tuple[str, str], list[str]]  # (kind, value) -> accounts touching it
    alerts: list[dict[str, Any]]


def import_report(graph: Graph, actor: Actor, report: Report, source: str) -> ImportResult:
    """Save the report and its indicators, match them against the whole graph and raise alerts (rights and the
    audit record are the workflow's: workflows/intel.py)."""
    graph.write(SAVE_REPORT, {
        "report_key": report.key, "report_id": report.report_id, "sender": report.sender, "name": report.name,
        "partner": report.partner, "tlp": report.tlp, "source": source,
        "by": actor.name, "objects": report.objects, "skipped": [f"{i}: {why}" for i, why in report.skipped],
        "loose": [f"{i}: {why}" for i, why in report.loose],
        "items": [{"kind": it.kind, "value": it.value, "stix_id": it.stix_id} for it in report.items]})
    by_kind: dict[str, list[str]] = defaultdict(list)
    for it in report.items:
        by_kind[it.kind].append(it.value)
    matched: dict[tuple[str, str], list[str]] = {}
    for kind, values in by_kind.items():
        for value, accounts in accounts_touching(graph, kind, values).items():
            matched[(kind, value)] = sorted(accounts)
    hits = [(Watched("intel", report.key, report.name, kind, value, partner=report.partner), accounts)
            for (kind, value), accounts in sorted(matched.items())]
    alerts = raise_alerts(graph, hits, f"report {report.name}")
    return ImportResult(report, matched, alerts)


def list_reports(graph: Graph) -> list[dict[str, Any]]:
    return [plain(r) for r in graph.read(LIST_REPORTS)]
