"""Cases: what an investigation team decided about a campaign, a cluster or a set of accounts, and
every change to it (who, when, what). Cases live in the graph:

    (:Case)-[:COVERS]->(:Account)          the accounts the case is about
    (:Case)-[:OPENED_FROM]->(:Campaign|:Cluster)
    (:Case)-[:HAS_EVENT]->(:CaseEvent)     its history: opened, status, assignee, priority, note, export
    (:Case)-[:WATCHES]->(item)             a confirmed case's own infrastructure (cases/watchlist.py)

A case's decision reaches its accounts: `confirmed` writes `decision = 'confirmed'` (and the case,
time and who) on each covered account, `false_positive` writes `decision = 'false_positive'` and keeps
the group's accounts and shared evidence on the case so that later detection runs do not flag the same
group again unless it grows or gains evidence (`cases.feedback`). Detection scoring never reads
decisions. Rights and the audit log are the workflow layer's (workflows/cases.py, workflows/export.py): a
write here checks no rights and audits nothing; it hands each history entry it writes to `on_event`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from cases import watchlist
from cases.states import OPEN_STATUSES, PRIORITIES, STATUSES
from graph.db import Graph, plain
from graph.item_kinds import KINDS
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor

DECISIONS = {"confirmed": "confirmed", "false_positive": "false_positive"}
# Told of each history entry once it is written: (case id, action, detail); the workflows audit them.
EventSink = Callable[[str, str, dict[str, Any]], None]
CASE_ID_DIGITS = 4

NEXT_CASE_NUMBER = """
MERGE (s:CaseSequence {name: 'cases'})
ON CREATE SET s.next = 1
WITH s, s.next AS n
SET s.next = n + 1
RETURN n
"""
CREATE_CASE = """
CREATE (c:Case {case_id: $case_id, title: $title, status: 'new', priority: $priority, assignee: $assignee,
        created_at: datetime(), created_by: $by, updated_at: datetime(), updated_by: $by, evidence: $evidence,
        bundles: []})
WITH c
OPTIONAL MATCH (origin) WHERE (origin:Campaign AND origin.campaign_id = $origin_id)
                           OR (origin:Cluster AND origin.cluster_id = $origin_id)
FOREACH (o IN CASE WHEN origin IS NULL THEN [] ELSE [origin] END | CREATE (c)-[:OPENED_FROM]->(o))
WITH DISTINCT c
UNWIND $accounts AS id
MATCH (a:Account {account_id: id})
CREATE (c)-[:COVERS]->(a)
RETURN count(a) AS covered
"""
ORIGIN_ACCOUNTS = """
OPTIONAL MATCH (k:Campaign {campaign_id: $origin_id})<-[:PART_OF]-(:Cluster)<-[:MEMBER_OF]-(ka:Account)
WITH collect(DISTINCT ka.account_id) AS from_campaign, k
OPTIONAL MATCH (c:Cluster {cluster_id: $origin_id})<-[:MEMBER_OF]-(ca:Account)
WITH from_campaign, k, c, collect(DISTINCT ca.account_id) AS from_cluster
RETURN from_campaign + from_cluster AS accounts, coalesce(k.reasons, c.reasons, []) AS reasons,
       CASE WHEN k IS NOT NULL THEN 'campaign' WHEN c IS NOT NULL THEN 'cluster' END AS kind
"""
ADD_EVENT = """
MATCH (c:Case {case_id: $case_id})
SET c.updated_at = datetime(), c.updated_by = $by
CREATE (c)-[:HAS_EVENT]->(:CaseEvent {at: datetime(), by: $by, action: $action, detail: $detail})
"""
CASE = """
MATCH (c:Case {case_id: $case_id})
OPTIONAL MATCH (c)-[:OPENED_FROM]->(o)
RETURN c {.*} AS case, coalesce(o.campaign_id, o.cluster_id) AS origin, COUNT { (c)-[:COVERS]->() } AS accounts
"""
CASE_EVENTS = """
MATCH (:Case {case_id: $case_id})-[:HAS_EVENT]->(e:CaseEvent)
RETURN e.at AS at, e.by AS by, e.action AS action, e.detail AS detail ORDER BY e.at, elementId(e)
"""
CASE_ACCOUNTS = """
MATCH (:Case {case_id: $case_id})-[:COVERS]->(a:Account) RETURN a.account_id AS account_id ORDER BY account_id
"""
LIST_CASES = """
MATCH (c:Case)
WHERE ($status IS NULL OR c.status = $status) AND ($assignee IS NULL OR c.assignee = $assignee)
  AND (NOT $open_only OR c.status IN $open_statuses)
OPTIONAL MATCH (c)-[:OPENED_FROM]->(o)
RETURN c.case_id AS case_id, c.title AS title, c.status AS status, c.priority AS priority, c.assignee AS assignee,
       COUNT { (c)-[:COVERS]->() } AS accounts, coalesce(o.campaign_id, o.cluster_id) AS origin,
       c.updated_at AS updated_at, c.updated_by AS updated_by
ORDER BY c.case_id
"""
SET_FIELDS = """
MATCH (c:Case {case_id: $case_id})
SET c += $fields
"""
# An account another case already decided the same way keeps that case's decision (it is never overwritten).
APPLY_DECISION = """
MATCH (:Case {case_id: $case_id})-[:COVERS]->(a:Account)
WHERE a.decision IS NULL OR a.decision_case = $case_id
SET a.decision = $decision, a.decision_case = $case_id, a.decision_at = datetime(), a.decision_by = $by
"""
CLEAR_DECISION = """
MATCH (:Case {case_id: $case_id})-[:COVERS]->(a:Account) WHERE a.decision_case = $case_id
REMOVE a.decision, a.decision_case, a.decision_at, a.decision_by
"""
# ...and when this case's decision is lifted, an account another decided case covers takes that case's.
REAPPLY_OTHER_DECISIONS = """
MATCH (:Case {case_id: $case_id})-[:COVERS]->(a:Account)<-[:COVERS]-(o:Case)
WHERE a.decision IS NULL AND o.case_id <> $case_id AND o.status IN $decided
WITH a, o ORDER BY o.case_id
WITH a, collect(o)[0] AS o
SET a.decision = o.status, a.decision_case = o.case_id, a.decision_at = o.updated_at, a.decision_by = o.updated_by
"""
# Accounts of this case that another case decided otherwise: a decision here would contradict it.
CONFLICTING_DECISIONS = """
MATCH (:Case {case_id: $case_id})-[:COVERS]->(a:Account)
WHERE a.decision IS NOT NULL AND a.decision <> $decision AND coalesce(a.decision_case, '') <> $case_id
RETURN a.decision_case AS case_id, a.decision AS decision, count(a) AS shared ORDER BY case_id
"""
# The groups a case was opened from (or had added as a group): each cluster of its origins, the accounts of
# it the case covers. A false-positive decision clears these groups, not every account the case holds.
ORIGIN_GROUPS = """
UNWIND $origins AS oid
OPTIONAL MATCH (:Campaign {campaign_id: oid})<-[:PART_OF]-(kc:Cluster)
WITH oid, collect(kc) AS from_campaign
OPTIONAL MATCH (c:Cluster {cluster_id: oid})
WITH from_campaign + CASE WHEN c IS NULL THEN [] ELSE [c] END AS clusters
UNWIND clusters AS cl
WITH DISTINCT cl
MATCH (cl)<-[:MEMBER_OF]-(a:Account)<-[:COVERS]-(:Case {case_id: $case_id})
WITH cl, collect(a.account_id) AS accounts
RETURN cl.cluster_id AS cluster_id, accounts ORDER BY cluster_id
"""
# Items two or more of the accounts hold: the shared evidence a false-positive decision was made on. Every kind
# detection scores as shared: cards, devices, identifiers, addresses, API-key creation addresses, prompt
# templates, proxy services, and transfers, referrals or invites between two of the accounts (`link:a|b`).
# The paths are graph.item_kinds'.
FP_EVIDENCE_KINDS = ("card", "device", "identifier", "ip", "key_ip", "template", "proxy_service")
SHARED_EVIDENCE_KEYS = """
UNWIND $accounts AS id
MATCH (a:Account {account_id: id})
CALL (a) {
  """ + "\n  UNION ".join(f"MATCH {KINDS[k].path} WHERE x:{KINDS[k].label} RETURN '{k}:' + x.{KINDS[k].key} AS key"
                         for k in FP_EVIDENCE_KINDS) + """
  UNION MATCH (a)-[:LINKED_TO]-(b:Account) WHERE b <> a
        RETURN 'link:' + CASE WHEN a.account_id < b.account_id THEN a.account_id + '|' + b.account_id
                              ELSE b.account_id + '|' + a.account_id END AS key
}
WITH key, count(DISTINCT a) AS holders WHERE holders >= 2
RETURN key ORDER BY key
"""
# The cases that cover any of the given accounts, open ones first.
CASES_COVERING = """
UNWIND $accounts AS id
MATCH (c:Case)-[:COVERS]->(:Account {account_id: id})
WITH c, count(*) AS shared
RETURN c.case_id AS case_id, c.title AS title, c.status AS status, c.assignee AS assignee,
       c.updated_by AS updated_by, shared, COUNT { (c)-[:COVERS]->() } AS accounts
ORDER BY CASE WHEN c.status IN $open_statuses THEN 0 ELSE 1 END, c.case_id
"""
# Per cluster / campaign of a run: the cases covering some of its accounts (from the few Case nodes out).
CASES_BY_CLUSTER = """
MATCH (c:Case)-[:COVERS]->(a:Account)-[:MEMBER_OF]->(t:Cluster {run_id: $run_id})
WITH t, c, count(DISTINCT a) AS shared
RETURN t.cluster_id AS target, c.case_id AS case_id, c.title AS title, c.status AS status, c.assignee AS assignee,
       c.updated_by AS updated_by, shared, COUNT { (c)-[:COVERS]->() } AS accounts
ORDER BY target, case_id
"""
CASES_BY_CAMPAIGN = """
MATCH (c:Case)-[:COVERS]->(a:Account)-[:MEMBER_OF]->(:Cluster)-[:PART_OF]->(t:Campaign {run_id: $run_id})
WITH t, c, count(DISTINCT a) AS shared
RETURN t.campaign_id AS target, c.case_id AS case_id, c.title AS title, c.status AS status, c.assignee AS assignee,
       c.updated_by AS updated_by, shared, COUNT { (c)-[:COVERS]->() } AS accounts
ORDER BY target, case_id
"""
ADD_COVERS = """
MATCH (c:Case {case_id: $case_id})
UNWIND $accounts AS id
MATCH (a:Account {account_id: id}) WHERE NOT (c)-[:COVERS]->(a)
CREATE (c)-[:COVERS]->(a)
RETURN count(a) AS added
"""
ADD_BUNDLE = """
MATCH (c:Case {case_id: $case_id})
SET c.bundles = coalesce(c.bundles, []) + [$bundle]
"""


@dataclass
class CaseView:
    """A case as shown: its fields, origin, accounts count, history and notes."""

    case: dict[str, Any]
    origin: str | None
    accounts: int
    history: list[dict[str, Any]]

    @property
    def notes(self) -> list[dict[str, Any]]:
        return [{"at": e["at"], "by": e["by"], "text": e["detail"].get("text", "")} for e in self.history
                if e["action"] == "note"]


def event_text(event: dict[str, Any]) -> str:
    """A history entry in words: a note's text, else its details (`from: new, to: confirmed`)."""
    return event["detail"].get("text") or ", ".join(f"{k}: {v}" for k, v in event["detail"].items())


def _check(value: str | None, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value not in allowed:
        raise RingtraceError(f"{what} must be one of {', '.join(allowed)} (got {value!r}).")


def _event(graph: Graph, actor: Actor, case_id: str, action: str, detail: dict[str, Any],
           on_event: EventSink | None) -> None:
    graph.write(ADD_EVENT, {"case_id": case_id, "by": actor.name, "action": action,
                            "detail": json.dumps(detail, default=str)})
    if on_event is not None:
        on_event(case_id, action, detail)


def resolve_case_id(graph: Graph, given: str) -> str:
    """`case-0007`, `7` or `0007` -> `case-0007`, when that case exists."""
    given = given.strip()
    case_id = given if given.startswith("case-") else f"case-{int(given):0{CASE_ID_DIGITS}d}" if given.isdigit() \
        else given
    if not graph.read(CASE, {"case_id": case_id}):
        raise RingtraceError(f"No case {given}. `ringtrace case list` lists the cases.")
    return case_id


def open_case(graph: Graph, actor: Actor, title: str, origin_id: str | None = None,
              accounts: list[str] | None = None, priority: str = "medium", assignee: str | None = None,
              on_event: EventSink | None = None) -> str:
    """Open a case from a campaign or cluster (full id) and/or a list of accounts; returns its id."""
    _check(priority, PRIORITIES, "Priority")
    if not title.strip():
        raise RingtraceError("A case needs a title.")
    covered, evidence = set(accounts or []), []
    if origin_id:
        from_origin, evidence = _origin(graph, origin_id)
        covered |= set(from_origin)
    if not covered:
        raise RingtraceError("A case covers at least one account: give a campaign, a cluster or accounts.")
    n = graph.write(NEXT_CASE_NUMBER)[0]["n"]
    case_id = f"case-{n:0{CASE_ID_DIGITS}d}"
    found = graph.write(CREATE_CASE, {"case_id": case_id, "title": title.strip(), "priority": priority,
                                      "assignee": assignee, "by": actor.name, "evidence": evidence,
                                      "origin_id": origin_id, "accounts": sorted(covered)})
    _event(graph, actor, case_id, "opened", {"title": title.strip(), "origin": origin_id,
                                             "accounts": found[0]["covered"] if found else 0,
                                             "priority": priority, "assignee": assignee}, on_event)
    return case_id


def _origin(graph: Graph, origin_id: str) -> tuple[list[str], list[str]]:
    row = graph.read(ORIGIN_ACCOUNTS, {"origin_id": origin_id})[0]
    if row["kind"] is None:
        raise RingtraceError(f"No campaign or cluster {origin_id} to open a case from.")
    return list(row["accounts"]), list(row["reasons"] or [])


def origin_accounts(graph: Graph, origin_id: str) -> list[str]:
    """The accounts of a campaign or cluster (full id)."""
    return _origin(graph, origin_id)[0]


def cases_covering(graph: Graph, accounts: list[str]) -> list[dict[str, Any]]:
    """The cases covering any of `accounts` (open ones first), each with `shared`: how many of them it covers."""
    if not accounts:
        return []
    return [plain(r) for r in graph.read(CASES_COVERING, {"accounts": sorted(set(accounts)),
                                                           "open_statuses": list(OPEN_STATUSES)})]


def cases_by_target(graph: Graph, run_id: str, kind: str) -> dict[str, list[dict[str, Any]]]:
    """{cluster or campaign id of the run: the cases covering some of its accounts}; `kind` is cluster or
    campaign."""
    query = CASES_BY_CLUSTER if kind == "cluster" else CASES_BY_CAMPAIGN
    found: dict[str, list[dict[str, Any]]] = {}
    for r in graph.read(query, {"run_id": run_id}):
        found.setdefault(r["target"], []).append(plain(r))
    return found


def cases_in_words(graph: Graph, run_id: str, kind: str) -> dict[str, str]:
    """{cluster or campaign id: its cases in words, `case-0001 (decided confirmed, assigned ivy)`; ...}."""
    return {target: "; ".join(case_text(c) for c in found) for target, found in cases_by_target(graph, run_id,
                                                                                                  kind).items()}


def case_text(case: dict[str, Any]) -> str:
    """`case-0001 (confirmed, assigned ivy)`: a case's id, status (its decision when it has one) and assignee."""
    status = case["status"]
    said = f"decided {status}" if status in DECISIONS else status
    return f"{case['case_id']} ({said}, {'assigned ' + case['assignee'] if case.get('assignee') else 'unassigned'})"


def add_accounts(graph: Graph, actor: Actor, case_id: str, origin_id: str | None = None,
                 accounts: list[str] | None = None, on_event: EventSink | None = None) -> int:
    """Add a campaign's or cluster's accounts (and/or given accounts) to an open case; returns how many were new."""
    current = show(graph, case_id).case
    if current["status"] not in OPEN_STATUSES:
        raise RingtraceError(f"{case_id} is {current['status']}: accounts are added to open cases only "
                             f"({', '.join(OPEN_STATUSES)}).")
    wanted = set(accounts or []) | (set(origin_accounts(graph, origin_id)) if origin_id else set())
    added = graph.write(ADD_COVERS, {"case_id": case_id, "accounts": sorted(wanted)})[0]["added"]
    _event(graph, actor, case_id, "accounts", {"added": added, "from": origin_id or "accounts"}, on_event)
    return added


def update(graph: Graph, actor: Actor, case_id: str, status: str | None = None, assignee: str | None = None,
           priority: str | None = None, title: str | None = None, on_event: EventSink | None = None) -> dict[str, Any]:
    """Change the given fields (None: leave as is; an assignee of "" unassigns); a status of confirmed or
    false_positive writes the decision on its accounts."""
    _check(status, STATUSES, "Status")
    _check(priority, PRIORITIES, "Priority")
    current = show(graph, case_id).case
    given = {k: v for k, v in (("status", status), ("assignee", assignee), ("priority", priority),
                               ("title", title)) if v is not None}
    if "assignee" in given:
        given["assignee"] = given["assignee"].strip() or None  # an empty assignee unassigns the case
    changes = {k: v for k, v in given.items() if v != current.get(k)}
    if not changes:
        return {}
    fields = dict(changes)
    if changes.get("status") in DECISIONS:
        _refuse_conflicts(graph, case_id, DECISIONS[status])
    if "status" in changes:
        if current.get("status") in DECISIONS and status != "closed":
            graph.write(CLEAR_DECISION, {"case_id": case_id})
            graph.write(REAPPLY_OTHER_DECISIONS, {"case_id": case_id, "decided": list(DECISIONS)})
        if current.get("status") == "confirmed" and status != "closed":
            watchlist.unwatch_case(graph, case_id)
        if status in DECISIONS:
            graph.write(APPLY_DECISION, {"case_id": case_id, "decision": DECISIONS[status], "by": actor.name})
        if status == "confirmed":
            fields["watching"] = sum(watchlist.watch_case(graph, case_id).values())
        if status == "false_positive":
            accounts = accounts_of(graph, case_id)
            fields["fp_accounts"] = accounts
            fields["fp_evidence"] = shared_evidence_keys(graph, accounts)
            fields["fp_groups"] = json.dumps([{"from": origin, "accounts": group,
                                               "evidence": shared_evidence_keys(graph, group)}
                                              for origin, group in decided_groups(graph, case_id, accounts)])
            fields["fp_decided_by"] = actor.name
            fields["fp_decided_on"] = datetime.now(timezone.utc).date().isoformat()
    graph.write(SET_FIELDS, {"case_id": case_id, "fields": fields})
    for field_name, value in changes.items():
        _event(graph, actor, case_id, field_name, {"from": current.get(field_name), "to": value}, on_event)
    return changes


def _refuse_conflicts(graph: Graph, case_id: str, decision: str) -> None:
    """A decision never silently overwrites another case's different decision on the same accounts."""
    conflicts = graph.read(CONFLICTING_DECISIONS, {"case_id": case_id, "decision": decision})
    if conflicts:
        said = "; ".join(f"{r['shared']:,} decided {r['decision']} in {r['case_id']}" for r in conflicts)
        raise RingtraceError(f"{case_id} covers accounts another case decided otherwise ({said}): a {decision} "
                             "decision here would contradict it. Change that case's decision first, or open a "
                             "case on the other accounts only.")


def decided_groups(graph: Graph, case_id: str, accounts: list[str] | None = None) -> list[tuple[str, list[str]]]:
    """The groups a decision on the case is about, as (where from, accounts): each cluster of the campaign or
    cluster it was opened from or had added as a group (only the accounts of it the case covers); a case opened
    from accounts alone is one group of all its accounts. Accounts added one by one belong to no group."""
    view = show(graph, case_id)
    origins = [view.origin] if view.origin else []
    origins += [e["detail"]["from"] for e in view.history
                if e["action"] == "accounts" and e["detail"].get("from") not in (None, "accounts")]
    if origins:
        groups = [(r["cluster_id"], sorted(r["accounts"]))
                  for r in graph.read(ORIGIN_GROUPS, {"origins": origins, "case_id": case_id})]
        if groups:
            return groups
    return [("accounts", sorted(accounts if accounts is not None else accounts_of(graph, case_id)))]


def add_note(graph: Graph, actor: Actor, case_id: str, text: str, on_event: EventSink | None = None) -> None:
    if not text.strip():
        raise RingtraceError("A note needs some text.")
    _event(graph, actor, case_id, "note", {"text": text.strip()}, on_event)


def record_bundle(graph: Graph, actor: Actor, case_id: str, manifest: dict[str, Any], path: str,
                  on_event: EventSink | None = None) -> None:
    """Remember a bundle exported from the case (its id and manifest digest)."""
    bundle = json.dumps({"bundle_id": manifest["bundle_id"], "manifest_sha256": manifest["manifest_sha256"],
                         "file": path})
    graph.write(ADD_BUNDLE, {"case_id": case_id, "bundle": bundle})
    _event(graph, actor, case_id, "export", {"bundle_id": manifest["bundle_id"], "file": path,
                                             "manifest_sha256": manifest["manifest_sha256"]}, on_event)


def show(graph: Graph, case_id: str) -> CaseView:
    rows = graph.read(CASE, {"case_id": case_id})
    if not rows:
        raise RingtraceError(f"No case {case_id}. `ringtrace case list` lists the cases.")
    events = graph.read(CASE_EVENTS, {"case_id": case_id})
    history = [{**plain(e), "detail": json.loads(e["detail"] or "{}")} for e in events]
    return CaseView(plain(rows[0]["case"]), rows[0]["origin"], rows[0]["accounts"], history)


def accounts_of(graph: Graph, case_id: str) -> list[str]:
    return [r["account_id"] for r in graph.read(CASE_ACCOUNTS, {"case_id": case_id})]


def list_cases(graph: Graph, status: str | None = None, assignee: str | None = None,
               open_only: bool = False) -> list[dict[str, Any]]:
    _check(status, STATUSES, "Status")
    return [plain(r) for r in graph.read(LIST_CASES, {"status": status, "assignee": assignee, "open_only": open_only,
                                                      "open_statuses": list(OPEN_STATUSES)})]


def shared_evidence_keys(graph: Graph, accounts: list[str]) -> list[str]:
    """Items two or more of the accounts hold (`card:…`, `device:…`, `identifier:…`, `ip:…`, `key_ip:…`)."""
    return [r["key"] for r in graph.read(SHARED_EVIDENCE_KEYS, {"accounts": accounts})]


def bundle_record(graph: Graph, case_id: str) -> tuple[str, str, bytes]:
    """What a case's bundle holds of the case: (the kind of what it was opened from, `campaign` or `cluster`; its
    id; `case.json`: fields, decision, history and covered accounts). A case opened from accounts has no bundle."""
    view = show(graph, case_id)
    if not view.origin:
        raise RingtraceError(f"{case_id} was opened from accounts, not a campaign or cluster: export a cluster "
                             "bundle with `ringtrace export --cluster ID`, or open the case from a cluster.")
    record = {"case": view.case, "origin": view.origin, "accounts": accounts_of(graph, case_id),
              "history": view.history}
    kind = "campaign" if view.origin.rsplit("-", 1)[-1].startswith("k") else "cluster"
    return kind, view.origin, json.dumps(record, indent=1, default=str).encode()
