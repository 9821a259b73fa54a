"""The graph model, declared once: node labels and their keys, relationship types and their endpoints, and the
kinds of item an account can hold (cards, devices, addresses...) with their path from an account.

The rest is made from these declarations or checked against them (tests/unit/test_model.py): the uniqueness
constraints (graph/schema.cypher), the loaders' incremental and bulk writes (loaders/cypher.py,
loaders/bulk_model.py), detection's incidence queries (detection/evidence.py), item look-ups
(graph/item_kinds.py), the workbench's captions and colours (workbench/canvas.py, bundles/render.py) and the
README's graph model. The README's "Adding an evidence kind" lists what to change. Labels and types are put
into query text only from here (they cannot be parameters), never from input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NodeLabel:
    name: str
    key: str                 # the contract id: unique (a constraint in schema.cypher), shown as the node's name
    group: str               # evidence (the loaders write it) | result (detection) | work (cases, notes) | intel
                             # | record (what an investigator asked: a similarity search)
    caption: str = ""        # the workbench's name for the kind, when not the label itself
    colour: str | None = None  # the workbench's and the bundle's colour (None: not drawn as a kind of its own)

    @property
    def shown(self) -> str:
        return self.caption or self.name


@dataclass(frozen=True)
class RelType:
    name: str
    start: tuple[str, ...]   # labels
    end: tuple[str, ...]
    loaded: bool             # written by the loaders from the input tables (else by detection or tracing)
    transient: bool = False  # a run's working relationship, deleted after it; never shown as evidence


@dataclass(frozen=True)
class ItemKind:
    """A kind of item an account holds, named `(kind, value)` by watchlists, indicators and alerts.

    `path` runs from `(a)` (the account) to `(x)` (the item); `detected`: detection reads its incidence
    (accounts sharing an item); `identifies`: its items can identify a holder (counted for the
    shared-evidence null; templates are behaviour); `subkind`: the item's property that splits the kind
    (identifiers: `phone`, `email`...)."""

    name: str
    label: str
    path: str
    description: str
    detected: bool = False
    identifies: bool = False
    subkind: str | None = None

    @property
    def key(self) -> str:
        return LABEL[self.label].key

    @property
    def types(self) -> tuple[str, ...]:
        """The relationship types along the path, in order (alternatives of one hop joined by |)."""
        return tuple(re.findall(r"\[:([A-Z_|]+)\]", self.path))


LABELS: tuple[NodeLabel, ...] = (
    NodeLabel("Account", "account_id", "evidence", colour="#4e79a7"),
    NodeLabel("Cluster", "cluster_id", "result", colour="#e15759"),
    NodeLabel("Campaign", "campaign_id", "result", colour="#e15759"),
    NodeLabel("Case", "case_id", "work", colour="#333333"),
    NodeLabel("IPAddress", "ip", "evidence", "IP address", "#59a14f"),
    NodeLabel("PaymentCard", "card_fingerprint", "evidence", "Payment card", "#f28e2b"),
    NodeLabel("Device", "device_id", "evidence", colour="#76b7b2"),
    NodeLabel("Person", "person_id", "evidence", colour="#ff9da7"),
    NodeLabel("Organisation", "org_id", "evidence", colour="#b07aa1"),
    NodeLabel("APIKey", "api_key_id", "evidence", "API key", "#edc948"),
    NodeLabel("EmailDomain", "domain", "evidence", "Email domain", "#9c755f"),
    NodeLabel("PromptTemplate", "prompt_fingerprint", "evidence", "Prompt template", "#d37295"),
    NodeLabel("Model", "name", "evidence", colour="#8cd17d"),
    NodeLabel("Event", "event_id", "evidence"),
    NodeLabel("Proxy", "proxy_id", "evidence", colour="#bab0ac"),
    NodeLabel("Identifier", "identifier_id", "evidence", colour="#86bcb6"),
    NodeLabel("LoadRun", "run_id", "result"),
    NodeLabel("DetectionRun", "run_id", "result"),
    NodeLabel("Note", "note_id", "work", colour="#cccccc"),
    NodeLabel("Alert", "alert_id", "intel"),
    NodeLabel("IntelReport", "report_key", "intel"),
    NodeLabel("Indicator", "indicator_id", "intel"),
    NodeLabel("IntelFeed", "feed_id", "intel"),
    NodeLabel("SimilaritySearch", "search_id", "record"),
)
LABEL = {label.name: label for label in LABELS}
# The labels the graph views (overview counts, node names, search) know; intel and alerts have pages of their own,
# and a record (a similarity search) is read where it was made.
GRAPH_LABELS = tuple(label for label in LABELS if label.group not in ("intel", "record"))


def _r(name: str, start: str, end: str, loaded: bool = True, transient: bool = False) -> RelType:
    return RelType(name, tuple(start.split("|")), tuple(end.split("|")), loaded, transient)


RELATIONSHIPS: tuple[RelType, ...] = (
    _r("CONTROLS_DOMAIN", "Organisation", "EmailDomain"),
    _r("USES_DEVICE", "Person", "Device"),
    _r("USES_IP", "Person", "IPAddress"),
    _r("WORKS_FOR", "Person", "Organisation"),
    _r("EMAIL_AT", "Account", "EmailDomain"),
    _r("SIGNED_UP_FROM", "Account", "IPAddress"),
    _r("OWNED_BY", "Account", "Person"),
    _r("EXIT_IP", "Proxy", "IPAddress"),
    _r("OPERATED_BY", "Proxy", "Organisation"),
    _r("BILLING_EMAIL_AT", "PaymentCard", "EmailDomain"),
    _r("BILLED_TO", "PaymentCard", "Organisation"),
    _r("PAID_WITH", "Account", "PaymentCard"),
    _r("HAS_IDENTIFIER", "Account", "Identifier"),
    _r("LINKED_TO", "Account", "Account"),
    _r("HAS_API_KEY", "Account", "APIKey"),
    _r("CREATED_FROM", "APIKey", "IPAddress"),
    _r("CONCERNS_MODEL", "Event", "Model"),
    _r("LOGGED_IN_FROM", "Account", "IPAddress"),
    _r("USED_DEVICE", "Account", "Device"),
    _r("REQUESTED_FROM", "Account", "IPAddress"),
    _r("USED_TEMPLATE", "Account", "PromptTemplate"),
    _r("QUERIED_MODEL", "Account", "Model"),
    _r("IN_NETWORK_OF", "IPAddress", "Organisation"),
    _r("MEMBER_OF", "Account", "Cluster", loaded=False),
    _r("FOUND_BY", "Cluster|Campaign", "DetectionRun", loaded=False),
    _r("SAW", "DetectionRun", "LoadRun", loaded=False),
    _r("PART_OF", "Cluster", "Campaign", loaded=False),
    _r("CONTINUES", "Cluster", "Cluster", loaded=False),
    _r("ATTRIBUTED_TO", "Cluster|Campaign", "Organisation|Person", loaded=False),
    _r("SEEDED_BY", "SimilaritySearch", "Account", loaded=False),
    _r("RANKED", "SimilaritySearch", "Account", loaded=False),
    # `detect --engine gds` writes these for one run's projection and deletes them after
    _r("EVIDENCE_LINK", "Account", "Account", loaded=False, transient=True),
)
RELATIONSHIP = {rel.name: rel for rel in RELATIONSHIPS}
TRANSIENT_RELATIONSHIPS = [rel.name for rel in RELATIONSHIPS if rel.transient]

_ADDRESS_USE = "(a)-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]->"
ITEM_KINDS: dict[str, ItemKind] = {k.name: k for k in (
    ItemKind("card", "PaymentCard", "(a)-[:PAID_WITH]->(x)", "payment card fingerprint",
             detected=True, identifies=True),
    ItemKind("device", "Device", "(a)-[:USED_DEVICE]->(x)", "device", detected=True, identifies=True),
    ItemKind("ip", "IPAddress", _ADDRESS_USE + "(x)", "address used to sign up, log in or call the API",
             detected=True, identifies=True),
    ItemKind("key_ip", "IPAddress", "(a)-[:HAS_API_KEY]->(:APIKey)-[:CREATED_FROM]->(x)",
             "address an API key was created from", detected=True, identifies=True),
    ItemKind("identifier", "Identifier", "(a)-[:HAS_IDENTIFIER]->(x)", "identifier (kind:value, e.g. phone:+44…)",
             detected=True, identifies=True, subkind="kind"),
    ItemKind("template", "PromptTemplate", "(a)-[:USED_TEMPLATE]->(x)", "prompt template", detected=True),
    ItemKind("proxy_service", "Organisation",
             _ADDRESS_USE + "(:IPAddress)<-[:EXIT_IP]-(:Proxy)-[:OPERATED_BY]->(x)",
             "proxy service whose exits the account used"),
    ItemKind("email_domain", "EmailDomain", "(a)-[:EMAIL_AT]->(x)", "e-mail domain"),
)}
# Relations between two accounts that detection reads as an item the two share (detection/evidence.py).
ACCOUNT_LINK_KINDS = {"link": "LINKED_TO"}
