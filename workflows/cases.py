"""Investigation cases: rights, then the change, then the audit record of each entry the change wrote in the
case's history (`case_<action>`); refusals are audited once. cases.store checks no rights and audits nothing.
The statuses and priorities are cases.states', the roles ringtrace.core.rights' (front ends offer those, never
their own lists)."""
from __future__ import annotations

from typing import Any

from cases import store
from cases.states import OPEN_STATUSES, PRIORITIES, STATUSES
from graph.cluster_ids import resolve_campaign_id, resolve_cluster_id
from graph.db import Graph
from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import ROLES, Actor
from workflows.guard import authorise

__all__ = ["OPEN_STATUSES", "PRIORITIES", "ROLES", "STATUSES", "add_accounts", "add_note", "audited", "open_case",
           "update"]


def audited(actor: Actor) -> store.EventSink:
    """Where cases.store hands each history entry it writes: the audit log, as `case_<action>` under the actor."""
    def record(case_id: str, action: str, detail: dict[str, Any]) -> None:
        audit.record(actor.name, f"case_{action}", {"case_id": case_id, **detail})
    return record


def resolve_origin(graph: Graph, campaign_id: str | None = None, cluster_id: str | None = None) -> str | None:
    """The full id of the campaign or cluster a case is opened from (short ids allowed), or None."""
    if campaign_id and cluster_id:
        raise RingtraceError("Give a campaign or a cluster, not both.")
    return resolve_campaign_id(graph, campaign_id) if campaign_id else \
        resolve_cluster_id(graph, cluster_id) if cluster_id else None


def open_case(graph: Graph, actor: Actor, title: str, origin_id: str | None = None,
              accounts: list[str] | None = None, priority: str = "medium", assignee: str | None = None) -> str:
    """Open a case from a campaign or cluster (full id) and/or accounts; returns its id."""
    authorise(actor, "case_write", "case_open", {"title": title, "origin": origin_id})
    return store.open_case(graph, actor, title, origin_id, accounts, priority, assignee, audited(actor))


def update(graph: Graph, actor: Actor, case_id: str, status: str | None = None, assignee: str | None = None,
           priority: str | None = None, title: str | None = None) -> dict[str, Any]:
    """Change a case's fields (a decision writes itself on the case's accounts)."""
    authorise(actor, "case_write", "case_update", {"case_id": case_id, "status": status})
    return store.update(graph, actor, store.resolve_case_id(graph, case_id), status, assignee, priority, title,
                        audited(actor))


def add_note(graph: Graph, actor: Actor, case_id: str, text: str) -> str:
    """Add a note to a case; returns the case's full id."""
    authorise(actor, "case_write", "case_note", {"case_id": case_id})
    case_id = store.resolve_case_id(graph, case_id)
    store.add_note(graph, actor, case_id, text, audited(actor))
    return case_id


def add_accounts(graph: Graph, actor: Actor, case_id: str, origin_id: str | None = None,
                 accounts: list[str] | None = None) -> int:
    """Add a campaign's or cluster's accounts (and/or given ones) to an open case; returns how many were new."""
    authorise(actor, "case_write", "case_accounts", {"case_id": case_id, "origin": origin_id})
    return store.add_accounts(graph, actor, case_id, origin_id, accounts, audited(actor))
