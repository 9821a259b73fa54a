"""Alerts: accounts that touch a watched item (a confirmed case's infrastructure, or a partner's indicator).

    (:Alert {alert_id, raised_at, source, case_id, report_key, report_id, report, kind, value, accounts, trigger,
             summary, webhook})
      -[:ON]->(:Account)
    (:Alert)-[:FROM_CASE]->(:Case)        source 'case': the item is on the case's watchlist
    (:Alert)-[:FROM_REPORT]->(:IntelReport)  source 'intel': a partner's report names the item

`check_load` runs after every load over the accounts that load brought in first (an account's first
`load_runs` entry), so the operator's next wave alerts on the first load that contains it. Importing a
partner's report (`intel`) checks the whole graph for its items. One alert per watched item and trigger
names every account that touched it; accounts the case already covers never alert on it. Alerts are
POSTed to the configured webhook (`webhook.deliver`) and the delivery result is kept on each alert.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from graph.db import Graph, plain
from graph.item_kinds import KINDS, accounts_touching
from monitoring import webhook
from ringtrace.core import config

ALERT_ID_DIGITS = 5

WATCHED_BY_CASES = """
MATCH (c:Case)-[w:WATCHES]->()
RETURN c.case_id AS case_id, c.title AS title, w.kind AS kind, w.value AS value
"""
COVERED_BY_WATCHING_CASES = """
MATCH (c:Case) WHERE EXISTS { (c)-[:WATCHES]->() }
RETURN c.case_id AS case_id, [(c)-[:COVERS]->(a:Account) | a.account_id] AS covered
"""
WATCHED_BY_REPORTS = """
MATCH (r:IntelReport)-[:NAMES]->(i:Indicator)
RETURN r.report_key AS report_key, r.report_id AS report_id, r.name AS report, r.partner AS partner,
       i.kind AS kind, i.value AS value
"""
NEXT_ALERT_NUMBERS = """
MERGE (s:AlertSequence {name: 'alerts'})
ON CREATE SET s.next = 1
WITH s, s.next AS n
SET s.next = n + $count
RETURN n
"""
CREATE_ALERTS = """
UNWIND $rows AS row
CREATE (al:Alert {alert_id: row.alert_id, raised_at: datetime(), source: row.source, case_id: row.case_id,
        report_key: row.report_key, report_id: row.report_id, report: row.report, partner: row.partner,
        kind: row.kind, value: row.value, accounts: row.accounts, trigger: $trigger, summary: row.summary,
        webhook: 'not configured'})
WITH al, row
CALL (al, row) {
  UNWIND row.accounts AS id
  MATCH (a:Account {account_id: id})
  CREATE (al)-[:ON]->(a)
}
CALL (al, row) {
  WITH al, row WHERE row.case_id IS NOT NULL
  MATCH (c:Case {case_id: row.case_id})
  CREATE (al)-[:FROM_CASE]->(c)
}
CALL (al, row) {
  WITH al, row WHERE row.report_key IS NOT NULL
  MATCH (r:IntelReport {report_key: row.report_key})
  CREATE (al)-[:FROM_REPORT]->(r)
}
"""
ALREADY_ALERTED = """
MATCH (al:Alert)-[:ON]->(a:Account)
RETURN coalesce(al.case_id, al.report_key, al.report_id) AS origin, al.kind AS kind, al.value AS value,
       collect(a.account_id) AS accounts
"""
SET_DELIVERY = """
UNWIND $ids AS id
MATCH (al:Alert {alert_id: id})
SET al.webhook = $status
"""
LIST_ALERTS = """
MATCH (al:Alert)
WHERE ($case_id IS NULL OR al.case_id = $case_id) AND ($source IS NULL OR al.source = $source)
RETURN al.alert_id AS alert_id, al.raised_at AS raised_at, al.source AS source, al.case_id AS case_id,
       al.report AS report, al.partner AS partner, al.kind AS kind, al.value AS value, al.accounts AS accounts,
       al.trigger AS trigger, al.summary AS summary, al.webhook AS webhook
ORDER BY al.raised_at DESC, al.alert_id DESC
LIMIT $limit
"""


@dataclass(frozen=True)
class Watched:
    """A watched item and who watches it: a case (source 'case') or a partner's report (source 'intel')."""

    source: str
    origin: str  # the case id or the report's key (sender and id, intel.reports)
    origin_name: str
    kind: str
    value: str
    partner: str | None = None
    covered: frozenset[str] = frozenset()


def watched_items(graph: Graph) -> list[Watched]:
    """Everything on a watchlist: confirmed cases' items and imported partner indicators."""
    covered = {r["case_id"]: frozenset(r["covered"]) for r in graph.read(COVERED_BY_WATCHING_CASES)}
    out = [Watched("case", r["case_id"], r["title"], r["kind"], str(r["value"]), covered=covered[r["case_id"]])
           for r in graph.read(WATCHED_BY_CASES)]
    out += [Watched("intel", r["report_key"], r["report"], r["kind"], str(r["value"]), partner=r["partner"])
            for r in graph.read(WATCHED_BY_REPORTS)]
    return out


def _summary(w: Watched, accounts: list[str]) -> str:
    what = KINDS[w.kind].description if w.kind in KINDS else w.kind.replace("_", " ")
    who = f"{len(accounts)} account{'s' if len(accounts) != 1 else ''} ({', '.join(accounts[:5])}" \
          f"{', …' if len(accounts) > 5 else ''})"
    if w.source == "case":
        return f"{who} touched {what} {w.value}, watched by case {w.origin} ({w.origin_name})"
    partner = f" from {w.partner}" if w.partner else ""
    return f"{who} touched {what} {w.value}, named in report '{w.origin_name}'{partner}"


def raise_alerts(graph: Graph, hits: list[tuple[Watched, list[str]]], trigger: str) -> list[dict[str, Any]]:
    """Save one alert per (watched item, accounts), leaving out accounts already alerted for the same item and
    origin; deliver them to the webhook. Returns the saved alerts."""
    seen = {(r["origin"], r["kind"], r["value"]): set(r["accounts"]) for r in graph.read(ALREADY_ALERTED)}
    rows = []
    for w, accounts in hits:
        fresh = sorted(set(accounts) - w.covered - seen.get((w.origin, w.kind, w.value), set()))
        if fresh:
            rows.append({"source": w.source, "case_id": w.origin if w.source == "case" else None,
                         "report_key": w.origin if w.source == "intel" else None,
                         "report_id": w.origin.rsplit("|", 1)[-1] if w.source == "intel" else None,
                         "report": w.origin_name if w.source == "intel" else None, "partner": w.partner,
                         "kind": w.kind, "value": w.value, "accounts": fresh, "summary": _summary(w, fresh)})
    if not rows:
        return []
    first = int(graph.write(NEXT_ALERT_NUMBERS, {"count": len(rows)})[0]["n"])
    for i, row in enumerate(rows):
        row["alert_id"] = f"al{first + i:0{ALERT_ID_DIGITS}d}"
    graph.write(CREATE_ALERTS, {"rows": rows, "trigger": trigger})
    for row in rows:
        row["trigger"] = trigger
    url = config.alert_webhook()
    if url:
        status = webhook.deliver(url, {"alerts": rows})
        graph.write(SET_DELIVERY, {"ids": [r["alert_id"] for r in rows], "status": status})
        for row in rows:
            row["webhook"] = status
    return rows


def check_load(graph: Graph, run_id: str) -> list[dict[str, Any]]:
    """Alerts for the accounts a load brought in first that touch a watched item (looked up from the watched
    items, so the cost follows the watchlist, not the size of the load)."""
    watched = watched_items(graph)
    by_kind: dict[str, set[str]] = defaultdict(set)
    for w in watched:
        by_kind[w.kind].add(w.value)
    touched = {(kind, value): accounts for kind, values in by_kind.items()
               for value, accounts in accounts_touching(graph, kind, sorted(values), run_id).items()}
    hits = [(w, sorted(touched[(w.kind, w.value)])) for w in watched if (w.kind, w.value) in touched]
    return raise_alerts(graph, hits, f"load {run_id}")


def list_alerts(graph: Graph, case_id: str | None = None, source: str | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
    limit = config.QUERY_ROW_CAP if limit is None else limit
    return [plain(r) for r in graph.read(LIST_ALERTS, {"case_id": case_id, "source": source, "limit": limit})]


def as_json(alerts: list[dict[str, Any]]) -> str:
    return json.dumps(alerts, default=str, indent=2)

