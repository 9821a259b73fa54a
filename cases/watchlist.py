"""Watchlists: a confirmed case watches the infrastructure of its accounts, so that the operator's next
accounts are caught on arrival (`monitoring.alerts`).

    (:Case {status: 'confirmed'})-[:WATCHES {kind, value, case_holders, holders, added_at}]->(item)

Rule: an item of a kind in WATCH_KINDS is watched when most of the accounts holding it are the case's
own (`2 * case_holders > holders`, counted when the case is confirmed). The item then belongs to the
operator rather than to a crowd: a household NAT, a popular prompt template or a public proxy service
that the case's accounts merely passed through is not watched, so it cannot alert on everyone else.
Proxy-service and VPN exit addresses are never watched as addresses (the service itself may be).
The counts are frozen at confirmation: new accounts that later share the item do not dilute it.
"""
from __future__ import annotations

from typing import Any

from graph.db import Graph, plain
from graph.item_kinds import KINDS, ItemKind

WATCH_KINDS = ("card", "device", "identifier", "key_ip", "template", "proxy_service")


# An address that is a proxy-service or VPN exit carries every customer's traffic: never the operator's own.
SHARED_EXIT = "coalesce(x.is_proxy_exit, false) OR coalesce(x.is_vpn, false)"


def _watch(kind: ItemKind) -> str:
    exits = f" AND NOT ({SHARED_EXIT})" if kind.label == "IPAddress" else ""
    return f"""
MATCH (c:Case {{case_id: $case_id}})-[:COVERS]->(a:Account)
MATCH {kind.path} WHERE x:{kind.label}{exits}
WITH c, x, count(DISTINCT a) AS inside
WITH c, x, inside, COUNT {{ MATCH {kind.path} RETURN DISTINCT a }} AS holders
WHERE 2 * inside > holders
MERGE (c)-[w:WATCHES]->(x)
SET w.kind = '{kind.name}', w.value = x.{kind.key}, w.case_holders = inside, w.holders = holders,
    w.added_at = coalesce(w.added_at, datetime())
RETURN count(w) AS watched
"""


WATCH = {name: _watch(KINDS[name]) for name in WATCH_KINDS}
UNWATCH = "MATCH (:Case {case_id: $case_id})-[w:WATCHES]->() DELETE w"
WATCHLIST = """
MATCH (c:Case)-[w:WATCHES]->()
WHERE $case_id IS NULL OR c.case_id = $case_id
RETURN c.case_id AS case_id, c.title AS title, w.kind AS kind, w.value AS value, w.case_holders AS case_holders,
       w.holders AS holders, w.added_at AS added_at
ORDER BY case_id, kind, value
"""


def watch_case(graph: Graph, case_id: str) -> dict[str, int]:
    """Put a confirmed case's own infrastructure on the watchlist; {kind: items watched}."""
    return {kind: int(graph.write(q, {"case_id": case_id})[0]["watched"]) for kind, q in WATCH.items()}


def unwatch_case(graph: Graph, case_id: str) -> None:
    graph.write(UNWATCH, {"case_id": case_id})


def watchlist(graph: Graph, case_id: str | None = None) -> list[dict[str, Any]]:
    """Every watched item (or one case's), with the case and the holder counts it was watched on."""
    return [plain(r) for r in graph.read(WATCHLIST, {"case_id": case_id})]
