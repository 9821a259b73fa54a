"""Decisions feed back into what detection shows: a group an investigator marked as a false positive is
not flagged again by later runs while it is the same group with the same evidence.

A false-positive case clears the groups it was opened from (each cluster of its origin campaign or cluster,
or of a campaign or cluster added to it as a group; a case opened from accounts alone is one group of all
its accounts), not every account it happens to hold. A flagged cluster stays unflagged only when it is
(nearly) one of those groups: its accounts' Jaccard overlap with the group is at least
`config.FEEDBACK_MIN_OVERLAP` and it has no account outside the group (it did not grow), and every item its
accounts share, of every kind detection scores as shared (cards, devices, identifiers, addresses, API-key
addresses, prompt templates, proxy services, transfers and referrals between them), was already shared by
the group when the decision was made (no new evidence). Otherwise it is flagged, and its reasons say that
some of its accounts were marked a false positive before and what differs. The score itself never reads
decisions: it is computed as for any cluster, and this step only decides what is shown as flagged.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from cases.store import shared_evidence_keys
from graph.db import Graph
from ringtrace.core import config

FALSE_POSITIVE_CASES = """
MATCH (c:Case {status: 'false_positive'}) WHERE c.fp_accounts IS NOT NULL
RETURN c.case_id AS case_id, c.fp_accounts AS accounts, coalesce(c.fp_evidence, []) AS evidence,
       c.fp_groups AS groups,
       coalesce(c.fp_decided_by, c.updated_by) AS by, coalesce(c.fp_decided_on, toString(date(c.updated_at))) AS day
"""
NEW_ITEMS_SHOWN = 3


@dataclass
class Verdict:
    case_id: str
    suppressed: bool
    note: str


@dataclass
class ClearedGroup:
    case_id: str
    origin: str
    accounts: frozenset[str]
    evidence: frozenset[str]
    by: str
    day: str


def cleared_groups(graph: Graph) -> list[ClearedGroup]:
    """Every group a false-positive case cleared (cases decided before groups were kept: all their accounts)."""
    found = []
    for c in graph.read(FALSE_POSITIVE_CASES):
        groups = json.loads(c["groups"]) if c["groups"] else [{"from": "accounts", "accounts": c["accounts"],
                                                                "evidence": c["evidence"]}]
        found += [ClearedGroup(c["case_id"], g["from"], frozenset(g["accounts"]), frozenset(g["evidence"]), c["by"],
                               c["day"]) for g in groups if g["accounts"]]
    return found


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def review(graph: Graph, flagged: list[tuple[str, list[str]]],
           min_overlap: float | None = None) -> dict[str, Verdict]:
    """For each flagged cluster (id, members) that overlaps a cleared group: whether it stays cleared, and why
    (`min_overlap`: config.FEEDBACK_MIN_OVERLAP unless given)."""
    min_overlap = config.FEEDBACK_MIN_OVERLAP if min_overlap is None else min_overlap
    groups = cleared_groups(graph)
    if not groups:
        return {}
    by_account: dict[str, list[int]] = {}
    for i, grp in enumerate(groups):
        for account in grp.accounts:
            by_account.setdefault(account, []).append(i)
    verdicts = {}
    for cid, members in flagged:
        touching = sorted({i for a in members for i in by_account.get(a, [])},
                          key=lambda i: (-jaccard(set(members), groups[i].accounts), groups[i].case_id))
        if touching:
            verdicts[cid] = _verdict(graph, set(members), [groups[i] for i in touching], min_overlap)
    return verdicts


def _verdict(graph: Graph, group: set[str], cleared: list[ClearedGroup], min_overlap: float) -> Verdict:
    shared = None
    first: Verdict | None = None
    for grp in cleared:
        when = f"in {grp.case_id} by {grp.by} on {grp.day}"
        overlap = jaccard(group, grp.accounts)
        if overlap < min_overlap:
            first = first or Verdict(grp.case_id, False, (
                f"{len(group & grp.accounts):,} of its {len(group):,} accounts were marked a false positive {when}, "
                f"as part of another group ({_origin(grp)}): account overlap {overlap:.2f}, below the "
                f"{min_overlap:g} a decision needs to clear a group, so it is flagged"))
            continue
        if shared is None:
            shared = set(shared_evidence_keys(graph, sorted(group)))
        new_accounts = group - grp.accounts
        new_items = sorted(shared - grp.evidence)
        if not new_accounts and not new_items:
            return Verdict(grp.case_id, True, f"not flagged: marked a false positive {when}; the same accounts "
                                              f"(overlap {overlap:.2f}) share no new evidence since")
        news = []
        if new_accounts:
            news.append(f"{len(new_accounts):,} new account{'s' if len(new_accounts) > 1 else ''}")
        if new_items:
            kinds = Counter(item.split(":", 1)[0] for item in new_items)
            shown = ", ".join(new_items[:NEW_ITEMS_SHOWN]) + (", ..." if len(new_items) > NEW_ITEMS_SHOWN else "")
            news.append(f"{len(new_items):,} newly shared item{'s' if len(new_items) > 1 else ''} ("
                        + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()) + f": {shown})")
        verdict = Verdict(grp.case_id, False, f"marked a false positive {when}, flagged again: " + " and ".join(news))
        first = first or verdict
    return first


def _origin(grp: ClearedGroup) -> str:
    return "accounts given one by one" if grp.origin == "accounts" else f"opened from {grp.origin}"
