"""The graph the loader's Cypher writes (loaders/cypher.py), as data for the bulk import: which staged rows
make each node and relationship, and which of their fields become properties.

A *statement* is the rows one loader statement receives (`BulkSink` keeps them, flattened: `p:` columns are
the row's `props`, `t:` columns its `times`), or one aggregate of a log (`exchanges:ip`, computed from the log
store). The incremental path and the bulk path must write the same graph; tests/integration/test_bulk.py compares them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from graph import model
from loaders import cypher


@dataclass(frozen=True)
class NodePart:
    """Nodes of one label that one statement asserts (MERGE), keyed by `key` (a column, or `list:` + a list
    column, one node per element)."""

    statement: str
    key: str
    row_props: bool = False          # the row's p:/t: columns become properties (SET += row.props)
    columns: dict[str, str] = field(default_factory=dict)  # property -> staged column (a plain SET)
    times: dict[str, str] = field(default_factory=dict)    # property -> staged column holding ISO text
    constants: dict[str, bool] = field(default_factory=dict)  # property -> constant value
    provenance: bool = True          # whether the statement appends its run and file to the node's lists
    first_wins: tuple[str, ...] = ()  # properties set ON CREATE only


@dataclass(frozen=True)
class Label:
    name: str
    key: str                         # the unique property
    parts: tuple[NodePart, ...]


@dataclass(frozen=True)
class RelPart:
    """Relationships of one type one statement merges between `start` and `end` (columns, or `list:` + a
    list column); `match_end` when the statement MATCHes the end node (no relationship if it is absent)."""

    statement: str
    start: str
    end: str
    row_props: bool = False
    columns: dict[str, str] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)      # property -> staged column holding ISO text
    merge_keys: tuple[str, ...] = ()  # properties that are part of the MERGE pattern
    match_end: bool = False
    release_of: str | None = None    # CONCERNS_MODEL's `release`: this column equals 'model_release'


@dataclass(frozen=True)
class RelType:
    name: str
    start: str                       # label
    end: str                         # label
    parts: tuple[RelPart, ...]


def _label(name: str, parts: tuple[NodePart, ...]) -> Label:
    """The label's key is the graph model's (graph/model.py)."""
    return Label(name, model.LABEL[name].key, parts)


def _rel(name: str, parts: tuple[RelPart, ...]) -> RelType:
    """The type's endpoints are the graph model's (graph/model.py)."""
    (start,), (end,) = model.RELATIONSHIP[name].start, model.RELATIONSHIP[name].end
    return RelType(name, start, end, parts)


# Which staged statement each loader statement's rows go to (shared-node statements need no rows of their own).
STATEMENTS = {
    cypher.UPSERT_ORGANISATIONS: "organisations",
    cypher.UPSERT_PEOPLE: "people",
    cypher.UPSERT_ACCOUNTS: "accounts",
    cypher.UPSERT_PROXIES: "proxies",
    cypher.UPSERT_IP_INTEL: "ip_intel",
    cypher.UPSERT_PAYMENT_CARDS: "payment_cards",
    cypher.UPSERT_ACCOUNT_CARDS: "account_cards",
    cypher.UPSERT_API_KEYS: "api_keys",
    cypher.UPSERT_ACCOUNT_IDENTIFIERS: "account_identifiers",
    cypher.UPSERT_SHARED_EMAILS: "shared_emails",  # rows of the addresses this load's accounts share
    cypher.UPSERT_ACCOUNT_LINKS: "account_links",
    cypher.UPSERT_EVENTS: "events",
}
SHARED_NODE_STATEMENTS = {cypher.ACCOUNT_SHARED_NODES}

# The log aggregates (loaders/logstore.py) and the loader table whose position in the load order they take.
AGGREGATES = {"logins": ("account", "ip", "device"),
              "exchanges": ("account", "ip", "template", "model", "api_key")}

N, R = NodePart, RelPart
LABELS: tuple[Label, ...] = (
    _label("Organisation", (N("organisations", "key", row_props=True),)),
    _label("EmailDomain", (N("organisations", "list:domains"), N("accounts", "email_domain"),
                                    N("payment_cards", "billing_domain"))),
    _label("Person", (N("people", "key", row_props=True),)),
    _label("Device", (N("people", "list:device_ids"), N("logins:device", "device_id"))),
    _label("IPAddress", (
        N("people", "list:ips"), N("accounts", "signup_ip"),
        N("proxies", "ip", constants={"is_proxy_exit": True}),
        N("ip_intel", "key", row_props=True), N("api_keys", "created_from_ip"),
        N("logins:ip", "ip"), N("exchanges:ip", "ip"))),
    _label("Account", (
        N("accounts", "key", row_props=True),
        N("logins:account", "account_id", row_props=True, provenance=False),
        N("exchanges:account", "account_id", row_props=True, provenance=False))),
    _label("Proxy", (N("proxies", "key", row_props=True),)),
    _label("PaymentCard", (N("payment_cards", "key", row_props=True),)),
    _label("Identifier", (
        N("shared_emails", "identifier_id", columns={"kind": "kind", "value": "value"},
          first_wins=("kind", "value")),
        N("account_identifiers", "identifier_id", columns={"kind": "kind", "value": "value"},
          first_wins=("kind", "value")))),
    _label("APIKey", (
        N("api_keys", "key", row_props=True),
        N("exchanges:api_key", "api_key_id", columns={"requests": "requests"},
          times={"first_used": "first_seen", "last_used": "last_seen"}, provenance=False))),
    _label("Event", (N("events", "key", row_props=True),)),
    _label("Model", (N("events", "model"), N("exchanges:model", "model"))),
    _label("PromptTemplate", (N("exchanges:template", "prompt_fingerprint"),)),
)

_COUNTS = {"count": "count"}
_SEEN = {"first_seen": "first_seen", "last_seen": "last_seen"}
RELATIONSHIPS: tuple[RelType, ...] = (
    _rel("CONTROLS_DOMAIN", (R("organisations", "key", "list:domains"),)),
    _rel("USES_DEVICE", (R("people", "key", "list:device_ids"),)),
    _rel("USES_IP", (R("people", "key", "list:ips"),)),
    _rel("WORKS_FOR", (R("people", "key", "org_id", match_end=True),)),
    _rel("EMAIL_AT", (R("accounts", "key", "email_domain"),)),
    _rel("SIGNED_UP_FROM", (R("accounts", "key", "signup_ip",
                                                         times={"at": "t:created_at"}),)),
    _rel("OWNED_BY", (R("accounts", "key", "owner_person_id", match_end=True),)),
    _rel("EXIT_IP", (R("proxies", "key", "ip"),)),
    _rel("OPERATED_BY", (R("proxies", "key", "service_org_id", match_end=True),)),
    _rel("BILLING_EMAIL_AT", (R("payment_cards", "key", "billing_domain"),)),
    _rel("BILLED_TO", (R("payment_cards", "key", "billing_org_id",
                                                          match_end=True),)),
    _rel("PAID_WITH", (R("account_cards", "account_id", "card_fingerprint",
                                                      row_props=True, match_end=True),)),
    _rel("HAS_IDENTIFIER", (R("shared_emails", "list:account_ids", "identifier_id"),
                                                         R("account_identifiers", "account_id", "identifier_id",
                                                           row_props=True))),
    _rel("LINKED_TO", (R("account_links", "src_account_id", "dst_account_id",
                                                  row_props=True, columns={"kind": "kind", "link_key": "link_key"},
                                                  merge_keys=("kind", "link_key"), match_end=True),)),
    _rel("HAS_API_KEY", (R("api_keys", "account_id", "key"),)),
    _rel("CREATED_FROM", (R("api_keys", "key", "created_from_ip"),)),
    _rel("CONCERNS_MODEL", (R("events", "key", "model", release_of="p:kind"),)),
    _rel("LOGGED_IN_FROM", (R("logins:ip", "account_id", "ip", columns=_COUNTS,
                                                         times=_SEEN),)),
    _rel("USED_DEVICE", (R("logins:device", "account_id", "device_id", columns=_COUNTS,
                                                   times=_SEEN),)),
    _rel("REQUESTED_FROM", (R("exchanges:ip", "account_id", "ip",
                                                         columns={"requests": "requests"}, times=_SEEN),)),
    _rel("USED_TEMPLATE", (R("exchanges:template", "account_id",
                                                             "prompt_fingerprint", columns={"requests": "requests"},
                                                             times=_SEEN),)),
    _rel("QUERIED_MODEL", (R("exchanges:model", "account_id", "model",
                                                    columns={"requests": "requests", "input_tokens": "input_tokens",
                                                             "output_tokens": "output_tokens"}, times=_SEEN),)),
)
LABEL_BY_NAME = {label.name: label for label in LABELS}
# Labels whose key may be free text (a device in a person's list, a model name), so may hold a line break;
# every other key is a validated id, address or domain, which cannot.
FREE_TEXT_KEYS = ("Device", "Model")

# link_networks' relationship (loaders/load.py), built from the organisations and the addresses.
IN_NETWORK_OF = "IN_NETWORK_OF"
NETWORK_SOURCE = "organisations"
