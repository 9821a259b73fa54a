"""A cluster's evidence graph as an investigator can read it: accounts grouped by the items they share,
infrastructure (proxy exit addresses, network addresses) collapsed into one node per service or kind with a
count, every node captioned by its name or a short id and sized by how many accounts use it, and the
neighbours of a node ranked by how telling they are."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graph.db import LABEL_KEYS, TRANSIENT_RELATIONSHIPS, Graph, node_key

# Above this many accounts, accounts with the same set of items become one node per group.
GROUP_ACCOUNTS_ABOVE = 40
ACCOUNT_GROUP = "AccountGroup"
INFRA_GROUP = "InfrastructureGroup"
# What an operator hands out to its accounts, strongest first: accounts are grouped by the shared items of
# the first of these kinds they have (the same cards; else the same identifiers; else the same devices).
GROUP_KINDS = ("PaymentCard", "Identifier", "Device")
CLUSTER = "Cluster"
# Kinds collapsed into one node per service (proxy exits) or per kind until the investigator expands them.
INFRASTRUCTURE_KINDS = ("IPAddress", "Proxy")
EXIT_EDGE = "EXIT_NODE_OF"
PROXY_EXIT_EDGE = "EXIT_IP"
NETWORK_EDGE = "IN_NETWORK_OF"
NAMED_KINDS = ("Organisation", "Person", "Model")
SHORT_ID_CHARS = 24
NEIGHBOUR_PAGE = 50
# A grouped drawing with more nodes than this has its most numerous kind of shared item drawn as one node
# per kind (expandable), kind after kind, so that every caption can be read on one canvas.
READABLE_NODES = 60
CROWDED_KINDS = {"Device": "Devices", "Identifier": "Identifiers", "PaymentCard": "Payment cards",
                 "APIKey": "API keys", "PromptTemplate": "Prompt templates", "EmailDomain": "Email domains"}

NAMES = """
UNWIND $orgs AS id MATCH (o:Organisation {org_id: id})
RETURN 'Organisation' AS label, id, o.name AS name, o.kind AS kind
UNION ALL
UNWIND $people AS id MATCH (p:Person {person_id: id})
RETURN 'Person' AS label, id, p.name AS name, p.role AS kind
"""
DECISIONS_OF_CLUSTER = """
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(a:Account) WHERE a.decision IS NOT NULL
RETURN a.account_id AS account_id, a.decision AS decision, a.decision_case AS case_id
"""
ACCOUNT_FLAGS = """
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
OPTIONAL MATCH (a)-[:MEMBER_OF]->(c:Cluster {run_id: $run_id})
RETURN id AS account_id, coalesce(c.flagged, false) AS flagged, a.decision AS decision,
       a.decision_case AS case_id, c.cluster_id AS cluster_id
"""
# A node's neighbours, most telling first: those that tie into what is already on the canvas (or are in the
# cluster under investigation), then rare before common (an item few others use says more), then the
# busiest link. `degree` is the neighbour's own number of links.
TELLING_NEIGHBOURS = """
MATCH (n) WHERE elementId(n) = $element_id
MATCH (n)-[r]-(m)
WHERE NOT type(r) IN $hidden AND (size($labels) = 0 OR labels(m)[0] IN $labels)
  AND ($since IS NULL OR coalesce(r.last_seen, r.at, datetime($since)) >= datetime($since))
  AND ($until IS NULL OR coalesce(r.first_seen, r.at, datetime($until)) <= datetime($until))
WITH n, r, m,
     COUNT { (m)--(o) WHERE o <> n AND elementId(o) IN $context } +
     CASE WHEN $cluster_id IS NOT NULL AND (EXISTS { (m)-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id}) }
               OR EXISTS { (m)--(x:Account)-[:MEMBER_OF]->(:Cluster {cluster_id: $cluster_id}) WHERE x <> n })
          THEN 1 ELSE 0 END AS shared,
     COUNT { (m)--() } AS degree
ORDER BY shared DESC, degree ASC, coalesce(r.requests, r.count, 1) DESC, elementId(m)
RETURN elementId(m) AS element_id, labels(m)[0] AS label, m {.*} AS props, type(r) AS type,
       elementId(startNode(r)) = elementId(n) AS outgoing, shared, degree
LIMIT $limit
"""
NEIGHBOUR_TOTAL = """
MATCH (n) WHERE elementId(n) = $element_id RETURN COUNT { (n)-[r]-() WHERE NOT type(r) IN $hidden } AS total
"""
# The element id of a node drawn on the cluster graph by its label's key (the label is one of LABEL_KEYS').
ELEMENT_OF = {label: f"MATCH (n:{label} {{{key}: $value}}) RETURN elementId(n) AS element_id LIMIT 1"
              for label, key in LABEL_KEYS.items()}


@dataclass
class ClusterGraph:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: set[tuple[str, str, str]] = field(default_factory=set)
    grouped: bool = False
    accounts: int = 0
    # infrastructure group key -> the node keys it stands for (collapsed, until expanded)
    collapsed: dict[str, list[str]] = field(default_factory=dict)

    def kinds(self) -> list[str]:
        return sorted({n["label"] for n in self.nodes.values()})


def short_id(value: Any) -> str:
    """An id short enough to caption a node (long hashes and fingerprints are cut with an ellipsis)."""
    text = "" if value is None else str(value)
    return text if len(text) <= SHORT_ID_CHARS else text[: SHORT_ID_CHARS - 1] + "…"


def caption(label: str, props: dict[str, Any]) -> str:
    """What a node is called on the canvas: its name for people, organisations and models, a group's count,
    else its short id."""
    if props.get("caption"):
        return str(props["caption"])
    if label in NAMED_KINDS and props.get("name"):
        return str(props["name"])
    return short_id(node_key(props, default=label, label=label))


def node_size(accounts: int) -> int:
    """Pixels across a node drawn for something `accounts` accounts use (logarithmic: 1 -> 22, 100 -> 75)."""
    return int(min(90, 22 + 8 * math.log2(max(accounts, 1))))


def build(rows: list[dict[str, Any]], hidden_kinds: set[str] = frozenset(),
          group_above: int = GROUP_ACCOUNTS_ABOVE, names: dict[str, dict[str, Any]] | None = None,
          expanded: set[str] = frozenset(), flagged: bool = False,
          decisions: dict[str, str] | None = None) -> ClusterGraph:
    """Nodes and edges from `bundle_evidence_graph` rows; MEMBER_OF links to the cluster are left out
    (every account has one). `names` ("Label:id" -> {name, kind}) captions people and organisations;
    infrastructure is collapsed per service or kind unless its group key is in `expanded`; accounts are
    marked `flagged` (the cluster's verdict) and with their `decisions` (account id -> decision).
    Kinds in `hidden_kinds` are not drawn."""
    g = ClusterGraph()
    names = names or {}
    decisions = decisions or {}
    items_of: dict[str, set[str]] = defaultdict(set)
    types_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in rows:
        s, t = f"{e['source_label']}:{e['source']}", f"{e['target_label']}:{e['target']}"
        if e["target_label"] == CLUSTER:
            items_of.setdefault(s, set())
            continue
        for key, label, value in ((s, e["source_label"], e["source"]), (t, e["target_label"], e["target"])):
            if key not in g.nodes:
                props = {LABEL_KEYS.get(label, "id"): value}
                if key in names:
                    props.update({k: v for k, v in names[key].items() if v is not None})
                g.nodes[key] = {"label": label, "props": props}
        g.edges.add((s, t, e["type"]))
        if e["source_label"] == "Account":
            items_of[s].add(t)
            types_of[(s, t)].add(e["type"])
    for a in items_of:
        g.nodes.setdefault(a, {"label": "Account", "props": {"account_id": a.split(":", 1)[1]}})
    g.accounts = len(items_of)
    for a in items_of:
        aid = a.split(":", 1)[1]
        g.nodes[a]["flagged"] = flagged
        if aid in decisions:
            g.nodes[a]["decision"] = decisions[aid]
    if g.accounts > group_above:
        _group_accounts(g, items_of, types_of, decisions, flagged)
        _fold_private_items(g)
    _collapse_infrastructure(g, expanded)
    if g.grouped:
        _collapse_crowded(g, expanded)
    _count_users(g)
    if hidden_kinds:
        g.nodes = {k: n for k, n in g.nodes.items() if n["label"] not in hidden_kinds}
    g.edges = {(u, v, t) for u, v, t in g.edges if u in g.nodes and v in g.nodes}
    for n in g.nodes.values():
        n["caption"] = caption(n["label"], {**n["props"], "caption": n.get("caption")})
    return g


def _group_accounts(g: ClusterGraph, items_of: dict[str, set[str]], types_of: dict[tuple[str, str], set[str]],
                    decisions: dict[str, str], flagged: bool) -> None:
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
        decided = sorted({decisions[a] for a in ids if a in decisions})
        g.nodes[key] = {"label": ACCOUNT_GROUP, "caption": f"{len(ids)} accounts",
                        "props": {"accounts": len(ids), "first": ids[0], "last": ids[-1]},
                        "members": ids, "flagged": flagged, "users": len(ids)}
        if decided:
            g.nodes[key]["decision"] = "/".join(decided)
        for a in accounts:
            g.nodes.pop(a, None)
        types: dict[str, set[str]] = defaultdict(set)
        for a in accounts:
            for item in shared_of[a]:
                types[item] |= types_of.get((a, item), set())
        for item, kinds in types.items():
            g.edges.add((key, item, "/".join(sorted(kinds))))


def _fold_private_items(g: ClusterGraph) -> None:
    """Items (cards, devices, identifiers...) that the accounts of one group alone use are counted in that
    group's properties instead of drawn: they tie nothing together that the group does not already show."""
    g.edges = {(u, v, t) for u, v, t in g.edges if u in g.nodes and v in g.nodes}
    linked: dict[str, set[str]] = defaultdict(set)
    for u, v, _ in g.edges:
        linked[u].add(v)
        linked[v].add(u)
    kept_kinds = ("Organisation", "Person", CLUSTER, ACCOUNT_GROUP, "Account", *INFRASTRUCTURE_KINDS)
    for key, n in list(g.nodes.items()):
        if n["label"] in kept_kinds or len(linked[key]) != 1:
            continue
        (owner,) = linked[key]
        if g.nodes.get(owner, {}).get("label") != ACCOUNT_GROUP:
            continue
        props = g.nodes[owner]["props"]
        field_name = f"{n['label']} only its accounts use"
        props[field_name] = props.get(field_name, 0) + 1
        del g.nodes[key]
    g.edges = {(u, v, t) for u, v, t in g.edges if u in g.nodes and v in g.nodes}


def _merge_equivalent_groups(g: ClusterGraph) -> None:
    """Account groups linked to exactly the same nodes are drawn as one ("7,980 accounts in 266 groups"): on a
    canvas they could only be told apart by position."""
    links: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for u, v, t in g.edges:
        if g.nodes[u]["label"] == ACCOUNT_GROUP:
            links[u].add((v, t))
        if g.nodes[v]["label"] == ACCOUNT_GROUP:
            links[v].add((u, t))
    alike: dict[frozenset, list[str]] = defaultdict(list)
    for key, n in g.nodes.items():
        if n["label"] == ACCOUNT_GROUP:
            alike[frozenset(links[key])].append(key)
    for keys in alike.values():
        if len(keys) < 2:
            continue
        keep, rest = keys[0], keys[1:]
        n = g.nodes[keep]
        members = sorted(set().union(*(g.nodes[k]["members"] for k in keys)))
        props: dict[str, Any] = {"accounts": len(members), "groups": len(keys), "first": members[0],
                                 "last": members[-1]}
        for k in keys:
            for name, value in g.nodes[k]["props"].items():
                if name.endswith("only its accounts use"):
                    props[name] = props.get(name, 0) + value
        decided = sorted({d for k in keys for d in (g.nodes[k].get("decision") or "").split("/") if d})
        n.update({"caption": f"{len(members):,} accounts in {len(keys):,} groups", "members": members,
                  "users": len(members), "props": props})
        if decided:
            n["decision"] = "/".join(decided)
        for k in rest:
            del g.nodes[k]
    g.edges = {(u, v, t) for u, v, t in g.edges if u in g.nodes and v in g.nodes}


def _count_users(g: ClusterGraph) -> None:
    """How many of the cluster's accounts use each node: directly, else through the items it links to."""
    weight = {k: (n.get("users") or 1) for k, n in g.nodes.items() if n["label"] in ("Account", ACCOUNT_GROUP)}
    direct: dict[str, int] = defaultdict(int)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for u, v, _ in g.edges:
        neighbours[u].add(v)
        neighbours[v].add(u)
    for k in g.nodes:
        direct[k] = sum(weight[m] for m in neighbours[k] if m in weight)
    for k, n in g.nodes.items():
        if k in weight:
            n["users"] = weight[k]
        else:
            n["users"] = direct[k] or max((direct[m] for m in neighbours[k]), default=0)


def group_canvas(nodes: dict[str, dict[str, Any]], edges: set[tuple[str, str, str]],
                 expanded: set[str] = frozenset(), keep: set[str] = frozenset()) -> ClusterGraph:
    """An Explore canvas drawn as the cluster canvas is: infrastructure collapsed per service or kind and,
    while more than READABLE_NODES nodes are drawn, the most numerous kind of item one node per kind. Nodes in
    `keep` (what the investigator added or selected) are drawn as they are; group keys in `expanded` are
    drawn member by member. A group node's `users` is the sum of its members'."""
    g = ClusterGraph(nodes={k: dict(n) for k, n in nodes.items()}, edges=set(edges))
    _collapse_infrastructure(g, expanded, keep)
    _collapse_crowded(g, expanded, keep)
    for key, keys in g.collapsed.items():
        g.nodes[key]["users"] = sum(int(nodes[k].get("users") or 1) for k in keys)
    return g


def _collapse_infrastructure(g: ClusterGraph, expanded: set[str], keep: set[str] = frozenset()) -> None:
    """Proxy exit addresses become one node per proxy service ("HydraNet Proxies: 60 exit addresses"),
    addresses in an organisation's network one node per organisation, other addresses one node; nodes in
    `keep` stay as they are."""
    exit_of: dict[str, str] = {}
    network_of: dict[str, str] = {}
    for u, v, t in g.edges:
        if t == PROXY_EXIT_EDGE and g.nodes.get(v, {}).get("label") == "IPAddress":
            exit_of[v] = u  # Explore draws the graph's own (:Proxy)-[:EXIT_IP]->(:IPAddress)
        elif g.nodes.get(u, {}).get("label") in INFRASTRUCTURE_KINDS:
            if t == EXIT_EDGE:
                exit_of[u] = v
            elif t == NETWORK_EDGE:
                network_of[u] = v
    members: dict[str, list[str]] = defaultdict(list)
    for k, n in g.nodes.items():
        if n["label"] not in INFRASTRUCTURE_KINDS or k in keep:
            continue
        if k in exit_of:
            members[f"{INFRA_GROUP}:exit:{exit_of[k]}"].append(k)
        elif k in network_of:
            members[f"{INFRA_GROUP}:net:{network_of[k]}"].append(k)
        else:
            members[f"{INFRA_GROUP}:{n['label']}"].append(k)
    for key, keys in members.items():
        if key in expanded or len(keys) < 2:
            continue
        if key.startswith(f"{INFRA_GROUP}:exit:"):
            owner_key = key[len(f"{INFRA_GROUP}:exit:"):]
            name = _name_of(g, owner_key)
            text = f"{name}: {len(keys)} exit addresses"
        elif key.startswith(f"{INFRA_GROUP}:net:"):
            owner_key = key[len(f"{INFRA_GROUP}:net:"):]
            text = f"{_name_of(g, owner_key)} network: {len(keys)} addresses"
        else:
            kind = key.split(":", 1)[1]
            text = f"{'IP addresses' if kind == 'IPAddress' else kind}: {len(keys)}"
        _collapse(g, key, keys, text, "addresses")


def _collapse(g: ClusterGraph, key: str, keys: list[str], text: str, counted: str) -> None:
    """Draw the nodes `keys` as one group node `key` captioned `text` (expandable: g.collapsed)."""
    g.nodes[key] = {"label": INFRA_GROUP, "caption": text, "members": sorted(keys),
                    "props": {counted: len(keys), "kind": g.nodes[keys[0]]["label"],
                              "first": keys[0].split(":", 1)[1]}}
    inside = set(keys)
    new_edges = set()
    for u, v, t in g.edges:
        if u in inside or v in inside:
            nu, nv = (key if u in inside else u), (key if v in inside else v)
            if nu != nv:
                new_edges.add((nu, nv, t))
        else:
            new_edges.add((u, v, t))
    g.edges = _merge_types(new_edges)
    for k in keys:
        g.nodes.pop(k)
    g.collapsed[key] = sorted(keys)


def _collapse_crowded(g: ClusterGraph, expanded: set[str], keep: set[str] = frozenset()) -> None:
    """While a grouped drawing holds more than READABLE_NODES nodes, the most numerous kind of shared item is
    drawn as one node per kind ("Devices: 560"), expandable like infrastructure, and the account groups it
    leaves alike are merged: at seed scale a fleet whose accounts share devices in overlapping sets gave 421
    account groups and 560 devices, whose captions no zoom could show at once."""
    _merge_equivalent_groups(g)
    while len(g.nodes) > READABLE_NODES:
        by_kind: dict[str, list[str]] = defaultdict(list)
        for k, n in g.nodes.items():
            if n["label"] in CROWDED_KINDS and k not in keep:
                by_kind[n["label"]].append(k)
        candidates = [(len(keys), kind) for kind, keys in by_kind.items()
                      if len(keys) >= 2 and f"{INFRA_GROUP}:{kind}" not in expanded]
        if not candidates:
            return
        _, kind = max(candidates)
        keys = by_kind[kind]
        _collapse(g, f"{INFRA_GROUP}:{kind}", keys, f"{CROWDED_KINDS[kind]}: {len(keys):,}", "items")
        _merge_equivalent_groups(g)


def _merge_types(edges: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    for u, v, t in edges:
        by_pair[(u, v)].update(t.split("/"))
    return {(u, v, "/".join(sorted(ts))) for (u, v), ts in by_pair.items()}


def _name_of(g: ClusterGraph, key: str) -> str:
    n = g.nodes.get(key)
    return str(n["props"].get("name") or n.get("caption") or key.split(":", 1)[1]) if n else key.split(":", 1)[1]


def names_for(graph: Graph, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Names (and kinds) of the organisations and people the rows lead to, keyed "Label:id"."""
    ids: dict[str, set[str]] = {"Organisation": set(), "Person": set()}
    for e in rows:
        for label, value in ((e["source_label"], e["source"]), (e["target_label"], e["target"])):
            if label in ids:
                ids[label].add(value)
    if not any(ids.values()):
        return {}
    found = graph.read(NAMES, {"orgs": sorted(ids["Organisation"]), "people": sorted(ids["Person"])})
    return {f"{r['label']}:{r['id']}": {"name": r["name"], "kind": r["kind"]} for r in found}


def decisions_of(graph: Graph, cluster_id: str) -> dict[str, str]:
    return {r["account_id"]: r["decision"] for r in graph.read(DECISIONS_OF_CLUSTER, {"cluster_id": cluster_id})}


def account_flags(graph: Graph, account_ids: list[str], run_id: str | None) -> dict[str, dict[str, Any]]:
    """Per account: whether the latest run's cluster holding it is flagged, and its decision."""
    if not account_ids:
        return {}
    rows = graph.read(ACCOUNT_FLAGS, {"ids": sorted(set(account_ids)), "run_id": run_id or ""})
    return {r["account_id"]: r for r in rows}


def element_of(graph: Graph, node_key: str) -> str | None:
    """The Neo4j element id of a cluster-graph node ("Label:id"), or None for groups and unknown labels."""
    label, _, value = node_key.partition(":")
    if label not in ELEMENT_OF:
        return None
    rows = graph.read(ELEMENT_OF[label], {"value": value})
    return rows[0]["element_id"] if rows else None


def telling_neighbours(graph: Graph, element_id: str, context: list[str], cluster_id: str | None = None,
                       labels: list[str] | None = None, since: str | None = None, until: str | None = None,
                       limit: int = NEIGHBOUR_PAGE) -> tuple[list[dict[str, Any]], int]:
    """Up to `limit` neighbours of a node, most telling first (tied to `context` element ids or in
    `cluster_id`, then rare before common), and how many it has in all."""
    params = {"element_id": element_id, "labels": labels or [], "since": since, "until": until, "limit": limit,
              "hidden": TRANSIENT_RELATIONSHIPS, "context": context, "cluster_id": cluster_id}
    rows = graph.read(TELLING_NEIGHBOURS, params)
    total = graph.read(NEIGHBOUR_TOTAL, {"element_id": element_id, "hidden": TRANSIENT_RELATIONSHIPS})[0]["total"]
    return rows, total
