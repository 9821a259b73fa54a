"""Campaigns above clusters: flagged clusters that one operator runs, joined by operator-level evidence.

An operator often splits its accounts into groups that share nothing an account touches (each group
its own cards and devices) but keeps what the operator itself makes: the prompt kit its scripts
send. Two flagged clusters are one campaign when they send at least MIN_SHARED_KIT prompt templates
that belong to flagged clusters (at least TEMPLATE_EXCLUSIVE_SHARE of each template's users are
flagged accounts), so a popular template, or a proxy service that two operators both rent, never
joins them. Clusters are joined transitively (union-find); a flagged cluster with no such link is
a campaign of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

MIN_SHARED_KIT = 3
TEMPLATE_EXCLUSIVE_SHARE = 0.9
KIT_NAMES_SHOWN = 3


@dataclass
class Campaign:
    campaign_id: str
    cluster_ids: list[str]
    accounts: int
    score: float
    reasons: list[str] = field(default_factory=list)


def group_campaigns(run_id: str, flagged: list[tuple[str, list[str], float]], activity: pd.DataFrame,
                    template_users: dict[str, int]) -> list[Campaign]:
    """Campaigns of the flagged clusters (cluster id, members, score), largest first."""
    if not flagged:
        return []
    label = {a: cid for cid, members, _ in flagged for a in members}
    kits: dict[str, set[str]] = {cid: set() for cid, _, _ in flagged}
    if len(activity) and "prompt_fingerprint" in activity.columns:
        used = activity[activity["account_id"].isin(label)].dropna(subset=["prompt_fingerprint"])
        users = used.groupby("prompt_fingerprint")["account_id"].nunique()
        overall = users.index.map(lambda t: template_users.get(t, 0)).to_numpy(dtype=float)
        own = set(users.index[users.to_numpy() >= TEMPLATE_EXCLUSIVE_SHARE * overall])
        pairs = used[used["prompt_fingerprint"].isin(own)].assign(cluster=lambda d: d["account_id"].map(label))
        for cid, grp in pairs.groupby("cluster"):
            kits[cid] = set(grp["prompt_fingerprint"])
    order = [cid for cid, _, _ in flagged]
    parent = {cid: cid for cid in order}

    def find(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for i, a in enumerate(order):
        for b in order[i + 1:]:
            if len(kits[a] & kits[b]) >= MIN_SHARED_KIT:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb, key=order.index)] = min(ra, rb, key=order.index)
    members = {cid: m for cid, m, _ in flagged}
    scores = {cid: s for cid, _, s in flagged}
    groups: dict[str, list[str]] = {}
    for cid in order:
        groups.setdefault(find(cid), []).append(cid)
    ranked = sorted(groups.values(), key=lambda g: (-sum(len(members[c]) for c in g), g[0]))
    campaigns = []
    for i, clusters in enumerate(ranked):
        accounts = sum(len(members[c]) for c in clusters)
        kit = set.intersection(*(kits[c] for c in clusters)) if len(clusters) > 1 else set()
        reasons = [f"{len(clusters)} flagged cluster{'s' if len(clusters) > 1 else ''}, {accounts:,} accounts"]
        if len(clusters) > 1:
            shown = ", ".join(sorted(kit)[:KIT_NAMES_SHOWN])
            reasons.append(f"all send the same {len(kit)} prompt templates that only flagged accounts use"
                           f" ({shown}{', ...' if len(kit) > KIT_NAMES_SHOWN else ''})" if kit else
                           "joined cluster to cluster by shared prompt templates that only flagged accounts use")
        campaigns.append(Campaign(f"{run_id}-k{i + 1:04d}", clusters, accounts,
                                  round(max(scores[c] for c in clusters), 3), reasons))
    return campaigns
