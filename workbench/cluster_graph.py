"""A cluster's evidence graph as an investigator can read it: nodes named by their id, kinds that
can be hidden, and, in a large cluster, accounts grouped by the items they share."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# Above this many accounts, accounts with the same set of items become one node per group.
GROUP_ACCOUNTS_ABOVE = 40
ACCOUNT_GROUP = "AccountGroup"
# What an operator hands out to its accounts, strongest first: accounts are grouped by the shared items of
# the first of these kinds they have (the same cards; else the same identifiers; else the same devices).
GROUP_KINDS = ("PaymentCard", "Identifier", "Device")
CLUSTER = "Cluster"


@dataclass
class ClusterGraph:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: set[tuple[str, str, str]] = field(default_factory=set)
    grouped: bool = False
    accounts: int = 0

    def kinds(self) -> list[str]:
        return sorted({n["label"] for n in self.nodes.values()})


def build(rows: list[dict[str, Any]], hidden_kinds: set[str] = frozenset(),
          group_above: int = GROUP_ACCOUNTS_ABOVE) -> ClusterGraph:
    """Nodes and edges from `bundle_evidence_graph` rows; MEMBER_OF links to the cluster are left out
    (every account has one). Kinds in `hidden_kinds` are not drawn."""
    g = ClusterGraph()
    items_of: dict[str, set[str]] = defaultdict(set)
    types_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in rows:
        s, t = f"{e['source_label']}:{e['source']}", f"{e['target_label']}:{e['target']}"
        if e["target_label"] == CLUSTER:
            items_of.setdefault(s, set())
            continue
        for key, label, value in ((s, e["source_label"], e["source"]), (t, e["target_label"], e["target"])):
            g.nodes.setdefault(key, {"label": label, "props": {"id": value}})
        g.edges.add((s, t, e["type"]))
        if e["source_label"] == "Account":
            items_of[s].add(t)
            types_of[(s, t)].add(e["type"])
    for a in items_of:
        g.nodes.setdefault(a, {"label": "Account", "props": {"id": a.split(":", 1)[1]}})
    g.accounts = len(items_of)
    if g.accounts > group_above:
        _group_accounts(g, items_of, types_of)
    if hidden_kinds:
        g.nodes = {k: n for k, n in g.nodes.items() if n["label"] not in hidden_kinds}
    g.edges = {(u, v, t) for u, v, t in g.edges if u in g.nodes and v in g.nodes}
    return g


def _group_accounts(g: ClusterGraph, items_of: dict[str, set[str]],
                    types_of: dict[tuple[str, str], set[str]]) -> None:
    """One node per set of accounts with the same shared cards (else identifiers, else devices); items only
    one member uses are left out, and each group links to every shared item its members use."""
    users: dict[str, int] = defaultdict(int)
    for items in items_of.values():
        for item in items:
            users[item] += 1
    shared_of = {a: {i for i in items if users[i] >= 2} for a, items in items_of.items()}
    groups: dict[frozenset[str], list[str]] = defaultdict(list)
    for account, items in shared_of.items():
        signature: frozenset[str] = frozenset()
        for kind in GROUP_KINDS:
            signature = frozenset(i for i in items if i.split(":", 1)[0] == kind)
            if signature:
                break
        groups[signature].append(account)
    g.grouped = True
    for item, n in users.items():
        if n < 2 and g.nodes.get(item, {}).get("label") != "Organisation":
            g.nodes.pop(item, None)
    for i, (_, accounts) in enumerate(sorted(groups.items(), key=lambda kv: (-len(kv[1]), sorted(kv[0])))):
        if len(accounts) == 1:
            continue
        key = f"{ACCOUNT_GROUP}:{i}"
        ids = sorted(a.split(":", 1)[1] for a in accounts)
        g.nodes[key] = {"label": ACCOUNT_GROUP, "props": {"id": f"{len(ids)} accounts", "accounts": len(ids),
                                                         "first": ids[0], "last": ids[-1]}}
        for a in accounts:
            g.nodes.pop(a, None)
        for item in set().union(*(shared_of[a] for a in accounts)):
            types = set().union(*(types_of[(a, item)] for a in accounts if (a, item) in types_of))
            g.edges.add((key, item, "/".join(sorted(types))))
