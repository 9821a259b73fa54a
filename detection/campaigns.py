"""Campaigns above clusters: flagged clusters that one operator runs, joined by operator-level evidence.

An operator often splits its accounts into groups that share nothing an account touches daily, but
keeps what the operator itself makes or owns. Two flagged clusters are one campaign when either

* they send at least MIN_SHARED_KIT prompt templates that belong to flagged clusters (at least
  TEMPLATE_EXCLUSIVE_SHARE of each template's users are flagged accounts): one prompt kit; or
* they hold the same identifying item (a card, device, phone, bank account, API-key creation address
  or any other identifier rare enough to identify one holder, see `shared_evidence.identity_bound`):
  one billing identity, one machine, one operator's address. Proxy exit nodes and datacenter or VPN
  addresses are rented infrastructure, never operator evidence, so two operators on one proxy
  service stay apart.

Clusters are joined transitively (union-find); a flagged cluster with no such link is a campaign of
its own. A campaign's score is its strongest cluster's.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from detection import shared_evidence

MIN_SHARED_KIT = 3
TEMPLATE_EXCLUSIVE_SHARE = 0.9
KIT_NAMES_SHOWN = 3
INFRASTRUCTURE_KINDS = ("ip", "key_ip")  # kinds whose items may be rented exit nodes


@dataclass
class Campaign:
    campaign_id: str
    cluster_ids: list[str]
    accounts: int
    score: float
    reasons: list[str] = field(default_factory=list)


class _Union:
    def __init__(self, order: list[str]) -> None:
        self.order = {c: i for i, c in enumerate(order)}
        self.parent = {c: c for c in order}

    def find(self, c: str) -> str:
        while self.parent[c] != c:
            self.parent[c] = self.parent[self.parent[c]]
            c = self.parent[c]
        return c

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            first, second = sorted((ra, rb), key=self.order.get)
            self.parent[second] = first


def _kits(label: dict[str, str], activity: pd.DataFrame, template_users: dict[str, int]) -> dict[str, set[str]]:
    """Per cluster: the templates it sends that (almost) only flagged accounts use."""
    kits: dict[str, set[str]] = {}
    if not len(activity) or "prompt_fingerprint" not in activity.columns:
        return kits
    used = activity[activity["account_id"].isin(label)].dropna(subset=["prompt_fingerprint"])
    users = used.groupby("prompt_fingerprint")["account_id"].nunique()
    overall = users.index.map(lambda t: template_users.get(t, 0)).to_numpy(dtype=float)
    own = set(users.index[users.to_numpy() >= TEMPLATE_EXCLUSIVE_SHARE * overall])
    pairs = used[used["prompt_fingerprint"].isin(own)].assign(cluster=lambda d: d["account_id"].map(label))
    for cid, grp in pairs.groupby("cluster"):
        kits[cid] = set(grp["prompt_fingerprint"])
    return kits


def _identity_links(label: dict[str, str], identity: pd.DataFrame, infrastructure: set[str]
                    ) -> dict[tuple[str, str], Counter]:
    """Per pair of clusters: how many identifying items of each kind both hold."""
    if identity.empty:
        return {}
    held = identity[identity["account"].isin(label)]
    rented = held["kind"].isin(INFRASTRUCTURE_KINDS) & held["item"].isin(infrastructure)
    held = held[~rented].assign(cluster=lambda d: d["account"].map(label))
    per_item = held.drop_duplicates(["item", "cluster"]).groupby("item")
    links: dict[tuple[str, str], Counter] = {}
    for item, grp in per_item:
        clusters = sorted(grp["cluster"])
        if len(clusters) < 2:
            continue
        kind = grp["kind"].iloc[0]
        for i, a in enumerate(clusters):
            for b in clusters[i + 1:]:
                links.setdefault((a, b), Counter())[kind] += 1
    return links


def group_campaigns(run_id: str, flagged: list[tuple[str, list[str], float]], activity: pd.DataFrame,
                    template_users: dict[str, int], identity: pd.DataFrame | None = None,
                    infrastructure: set[str] | None = None, facts: dict[str, dict] | None = None) -> list[Campaign]:
    """Campaigns of the flagged clusters (cluster id, members, score), largest first.

    `identity` (account, kind, item) lists identifying items held by two accounts or more;
    `infrastructure` holds the proxy-exit and datacenter addresses that never join clusters;
    `facts` (per cluster: its proxy service, its move to a new model) only go into the reasons."""
    if not flagged:
        return []
    label = {a: cid for cid, members, _ in flagged for a in members}
    order = [cid for cid, _, _ in flagged]
    kits = _kits(label, activity, template_users)
    if identity is None:
        identity = pd.DataFrame(columns=["account", "kind", "item"])
    ids = _identity_links(label, identity, infrastructure or set())
    union = _Union(order)
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            if len(kits.get(a, set()) & kits.get(b, set())) >= MIN_SHARED_KIT:
                union.join(a, b)
    for a, b in ids:
        union.join(a, b)
    members = {cid: m for cid, m, _ in flagged}
    scores = {cid: s for cid, _, s in flagged}
    groups: dict[str, list[str]] = {}
    for cid in order:
        groups.setdefault(union.find(cid), []).append(cid)
    ranked = sorted(groups.values(), key=lambda g: (-sum(len(members[c]) for c in g), g[0]))
    campaigns = []
    for i, clusters in enumerate(ranked):
        accounts = sum(len(members[c]) for c in clusters)
        campaigns.append(Campaign(f"{run_id}-k{i + 1:04d}", clusters, accounts,
                                  round(max(scores[c] for c in clusters), 3),
                                  _reasons(clusters, accounts, kits, ids) + _fact_reasons(clusters, facts or {})))
    return campaigns


def _reasons(clusters: list[str], accounts: int, kits: dict[str, set[str]],
             ids: dict[tuple[str, str], Counter]) -> list[str]:
    reasons = [f"{len(clusters)} flagged cluster{'s' if len(clusters) > 1 else ''}, {accounts:,} accounts"]
    if len(clusters) < 2:
        return reasons
    inside = set(clusters)
    kit = set.intersection(*(kits.get(c, set()) for c in clusters))
    with_kit = sum(1 for c in clusters if kits.get(c))
    if kit:
        shown = ", ".join(sorted(kit)[:KIT_NAMES_SHOWN])
        reasons.append(f"all {len(clusters)} send the same {len(kit)} prompt templates that only flagged accounts use"
                       f" ({shown}{', ...' if len(kit) > KIT_NAMES_SHOWN else ''})")
    elif with_kit > 1:
        reasons.append(f"{with_kit} of the clusters are joined cluster to cluster by prompt templates that only "
                       "flagged accounts use")
    held = Counter()
    joined = 0
    for (a, b), kinds in ids.items():
        if a in inside and b in inside:
            held.update(kinds)
            joined += 1
    if held:
        pairs = f"{joined} pairs of clusters hold" if joined > 1 else "1 pair of clusters holds"
        reasons.append(f"{pairs} the same identifying items ("
                       + ", ".join(f"{n} {shared_evidence.plural(n, k)}" for k, n in held.most_common()) + ")")
    return reasons


def _fact_reasons(clusters: list[str], facts: dict[str, dict]) -> list[str]:
    """What the campaign's clusters have in common beyond what joined them: proxy service, model move."""
    if len(clusters) < 2:
        return []
    reasons = []
    services = Counter(facts.get(c, {}).get("proxy_service") for c in clusters)
    services.pop(None, None)
    if services:
        name, k = services.most_common(1)[0]
        reasons.append(f"{'all' if k == len(clusters) else f'{k} of {len(clusters)}'} clusters through {name} "
                       "exit nodes")
    moves = [facts.get(c, {}).get("model_switch") for c in clusters]
    moves = [m for m in moves if m]
    if moves:
        models = Counter(m[0] for m in moves)
        model, k = models.most_common(1)[0]
        hours = [h for m, h in moves if m == model]
        reasons.append(f"{'all' if k == len(clusters) else f'{k} of {len(clusters)}'} clusters moved to {model} "
                       f"within {max(hours):.0f} h of its release")
    return reasons
