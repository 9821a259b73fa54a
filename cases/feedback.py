"""Decisions feed back into what detection shows: a group an investigator marked as a false positive is
not flagged again by later runs while it is the same group with the same evidence.

A flagged cluster stays unflagged when a `false_positive` case covers all of its accounts (it did not
grow) and every item its accounts share was already shared when the decision was made (no new
evidence). Otherwise it is flagged, and its reasons say that it was marked a false positive before and
what is new. The score itself never reads decisions: it is computed as for any cluster, and this step
only decides what is shown as flagged.
"""
from __future__ import annotations

from dataclasses import dataclass

from cases.store import shared_evidence_keys
from graph.db import Graph

FALSE_POSITIVE_CASES = """
MATCH (c:Case {status: 'false_positive'}) WHERE c.fp_accounts IS NOT NULL
RETURN c.case_id AS case_id, c.fp_accounts AS accounts, coalesce(c.fp_evidence, []) AS evidence,
       coalesce(c.fp_decided_by, c.updated_by) AS by, coalesce(c.fp_decided_on, toString(date(c.updated_at))) AS day
"""
NEW_ITEMS_SHOWN = 3


@dataclass
class Verdict:
    case_id: str
    suppressed: bool
    note: str


def review(graph: Graph, flagged: list[tuple[str, list[str]]]) -> dict[str, Verdict]:
    """For each flagged cluster (id, members) that overlaps a cleared group: whether it stays cleared, and why."""
    cases = graph.read(FALSE_POSITIVE_CASES)
    if not cases:
        return {}
    cleared_by: dict[str, list[dict]] = {}
    for case in cases:
        for account in case["accounts"]:
            cleared_by.setdefault(account, []).append(case)
    verdicts = {}
    for cid, members in flagged:
        overlapping = {c["case_id"]: c for a in members for c in cleared_by.get(a, [])}
        if overlapping:
            verdicts[cid] = _verdict(graph, members, list(overlapping.values()))
    return verdicts


def _verdict(graph: Graph, members: list[str], cases: list[dict]) -> Verdict:
    group = set(members)
    shared = set(shared_evidence_keys(graph, sorted(group)))
    first: Verdict | None = None
    for case in sorted(cases, key=lambda c: c["case_id"]):
        new_accounts = group - set(case["accounts"])
        new_items = sorted(shared - set(case["evidence"]))
        when = f"in {case['case_id']} by {case['by']} on {case['day']}"
        if not new_accounts and not new_items:
            return Verdict(case["case_id"], True, f"not flagged: marked a false positive {when}; the same accounts "
                                                  "share no new evidence since")
        news = []
        if new_accounts:
            news.append(f"{len(new_accounts):,} new account{'s' if len(new_accounts) > 1 else ''}")
        if new_items:
            shown = ", ".join(new_items[:NEW_ITEMS_SHOWN]) + (", ..." if len(new_items) > NEW_ITEMS_SHOWN else "")
            news.append(f"{len(new_items):,} newly shared item{'s' if len(new_items) > 1 else ''} ({shown})")
        first = first or Verdict(case["case_id"], False, f"marked a false positive {when}, flagged again: "
                                                         + " and ".join(news))
    return first
