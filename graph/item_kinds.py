"""The kinds of item an account can touch (cards, devices, addresses…), and the Cypher that finds them.

An item is named by `(kind, value)`: `("card", "card-fp-00000012")`, `("ip", "203.0.113.9")`. The same
names are used by case watchlists, partner indicators (STIX) and alerts. Each kind is one graph pattern
from an account `a` to the item `x` (graph/model.py); the statements below are built once from these constant
patterns (labels and types cannot be parameters), never from user input.
"""
from __future__ import annotations

from graph import model
from graph.db import Graph
from graph.model import ItemKind

__all__ = ["ItemKind", "KINDS", "accounts_touching"]

# Declared in graph/model.py (ITEM_KINDS), with the rest of the graph model.
KINDS: dict[str, ItemKind] = model.ITEM_KINDS
# `$run`: only accounts a given load brought in first (their first load_runs entry); null: every account.
ACCOUNT_OF_RUN = "a:Account AND ($run IS NULL OR a.load_runs[0] = $run)"


def _accounts_of_items(kind: ItemKind) -> str:
    return (f"UNWIND $values AS v MATCH (x:{kind.label} {{{kind.key}: v}}) MATCH {kind.path} "
            f"WHERE {ACCOUNT_OF_RUN} RETURN DISTINCT a.account_id AS account, v AS value")


ACCOUNTS_OF_ITEMS = {name: _accounts_of_items(k) for name, k in KINDS.items()}
ACCOUNTS_BY_PROPERTY = {
    "account": f"UNWIND $values AS v MATCH (a:Account {{account_id: v}}) WHERE {ACCOUNT_OF_RUN} "
               "RETURN a.account_id AS account, v AS value",
    "email": f"UNWIND $values AS v MATCH (a:Account {{email: v}}) WHERE {ACCOUNT_OF_RUN} "
             "RETURN a.account_id AS account, v AS value",
}


def accounts_touching(graph: Graph, kind: str, values: list[str], run: str | None = None) -> dict[str, set[str]]:
    """{value: accounts touching it} for one kind (of KINDS, or `account`, `email`); with `run`, only the accounts that
    load brought in first. The work follows the items' holders, not the number of accounts in the graph."""
    query = ACCOUNTS_BY_PROPERTY.get(kind) or ACCOUNTS_OF_ITEMS[kind]
    found: dict[str, set[str]] = {}
    for r in graph.read(query, {"values": values, "run": run}):
        found.setdefault(str(r["value"]), set()).add(r["account"])
    return found
