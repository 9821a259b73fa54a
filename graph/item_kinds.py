"""The kinds of item an account can touch (cards, devices, addresses…), and the Cypher that finds them.

An item is named by `(kind, value)`: `("card", "card-fp-00000012")`, `("ip", "203.0.113.9")`. The same
names are used by case watchlists, partner indicators (STIX) and alerts. Each kind is one graph pattern
from an account `a` to the item `x`; the statements below are built once from these constant patterns
(labels and types cannot be parameters), never from user input.
"""
from __future__ import annotations

from dataclasses import dataclass

from graph.db import Graph


@dataclass(frozen=True)
class ItemKind:
    name: str
    label: str
    key: str
    path: str  # from (a:Account) to (x:<label>)
    description: str


KINDS: dict[str, ItemKind] = {k.name: k for k in (
    ItemKind("card", "PaymentCard", "card_fingerprint", "(a)-[:PAID_WITH]->(x)", "payment card fingerprint"),
    ItemKind("device", "Device", "device_id", "(a)-[:USED_DEVICE]->(x)", "device"),
    ItemKind("identifier", "Identifier", "identifier_id", "(a)-[:HAS_IDENTIFIER]->(x)",
             "identifier (kind:value, e.g. phone:+44…)"),
    ItemKind("key_ip", "IPAddress", "ip", "(a)-[:HAS_API_KEY]->(:APIKey)-[:CREATED_FROM]->(x)",
             "address an API key was created from"),
    ItemKind("ip", "IPAddress", "ip", "(a)-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]->(x)",
             "address used to sign up, log in or call the API"),
    ItemKind("template", "PromptTemplate", "prompt_fingerprint", "(a)-[:USED_TEMPLATE]->(x)", "prompt template"),
    ItemKind("proxy_service", "Organisation", "org_id",
             "(a)-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]->(:IPAddress)<-[:EXIT_IP]-(:Proxy)"
             "-[:OPERATED_BY]->(x)", "proxy service whose exits the account used"),
    ItemKind("email_domain", "EmailDomain", "domain", "(a)-[:EMAIL_AT]->(x)", "e-mail domain"),
)}
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
