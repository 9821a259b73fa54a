"""The input data contract (shared/data-contract.md) as data: tables, columns, types, keys."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """How a cell is checked and converted."""

    ID = "id"
    TEXT = "text"
    TIMESTAMP = "timestamp"
    IP = "ip"
    IP_LIST = "ip_list"
    CIDR_LIST = "cidr_list"
    COUNTRY = "country"
    BOOL = "bool"
    INT = "int"
    INT_LIST = "int_list"
    TEXT_LIST = "text_list"
    ENUM = "enum"
    EMAIL = "email"
    EMAIL_LIST = "email_list"
    DIGITS = "digits"
    WORD = "word"            # an open vocabulary: a lower-case word (letters, digits, _)
    NUMBER = "number"
    CURRENCY = "currency"    # ISO 4217 alphabetic code


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    enum: tuple[str, ...] = ()
    digits: tuple[int, int] = (0, 0)  # allowed length range for Kind.DIGITS
    references: str | None = None     # "table.column" this id must exist in


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]              # what makes a row unique (duplicates are rejected)
    event_log: bool = False           # raw rows kept in the log store, aggregated into the graph
    graph: bool = True                # False: never written to the graph (truth)
    extra: dict[str, str] = field(default_factory=dict)
    one_of: tuple[str, ...] = ()      # a row needs at least one of these columns filled

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


ORG_KINDS = ("ai_lab", "proxy_service", "cloud_provider", "payment_processor", "enterprise", "other")
SENIORITY = ("junior", "mid", "senior", "executive")
PLANS = ("free", "pro", "team", "enterprise", "api")
STATUSES = ("active", "suspended", "banned", "closed")
PROXY_TYPES = ("residential", "datacenter", "mobile")
CATEGORIES = ("chat", "coding", "tool_use", "agentic", "reasoning", "cot_elicitation", "vision", "other")

C = Column
K = Kind

TABLES: tuple[Table, ...] = (
    Table("organisations", (
        C("org_id", K.ID, True), C("name", K.TEXT, True), C("kind", K.ENUM, enum=ORG_KINDS),
        C("country", K.COUNTRY), C("domains", K.TEXT_LIST), C("asns", K.INT_LIST),
        C("netblocks", K.CIDR_LIST)), key=("org_id",)),
    Table("people", (
        C("person_id", K.ID, True), C("name", K.TEXT, True),
        C("org_id", K.ID, references="organisations.org_id"), C("role", K.TEXT),
        C("seniority", K.ENUM, enum=SENIORITY), C("emails", K.EMAIL_LIST),
        C("device_ids", K.TEXT_LIST), C("ips", K.IP_LIST)), key=("person_id",)),
    Table("accounts", (
        C("account_id", K.ID, True), C("email", K.EMAIL), C("created_at", K.TIMESTAMP),
        C("country", K.COUNTRY), C("plan", K.ENUM, enum=PLANS), C("status", K.ENUM, enum=STATUSES),
        C("verified", K.BOOL), C("signup_ip", K.IP), C("claimed_org", K.TEXT),
        C("owner_person_id", K.ID, references="people.person_id")), key=("account_id",)),
    Table("proxies", (
        C("proxy_id", K.ID, True), C("ip", K.IP, True),
        C("service_org_id", K.ID, True, references="organisations.org_id"),
        C("proxy_type", K.ENUM, enum=PROXY_TYPES), C("first_seen", K.TIMESTAMP),
        C("last_seen", K.TIMESTAMP)), key=("proxy_id",)),
    Table("ip_intel", (
        C("ip", K.IP, True), C("asn", K.INT), C("asn_org", K.TEXT), C("country", K.COUNTRY),
        C("is_datacenter", K.BOOL), C("is_vpn", K.BOOL), C("is_tor", K.BOOL)), key=("ip",)),
    Table("payment_cards", (
        C("card_fingerprint", K.ID, True), C("bin", K.DIGITS, digits=(6, 8)),
        C("last4", K.DIGITS, digits=(4, 4)), C("issuer_country", K.COUNTRY), C("billing_name", K.TEXT),
        C("billing_email", K.EMAIL), C("billing_org_id", K.ID, references="organisations.org_id")),
        key=("card_fingerprint",)),
    Table("account_cards", (
        C("account_id", K.ID, True, references="accounts.account_id"),
        C("card_fingerprint", K.ID, True, references="payment_cards.card_fingerprint"),
        C("first_used", K.TIMESTAMP), C("last_used", K.TIMESTAMP)), key=("account_id", "card_fingerprint")),
    Table("logins", (
        C("account_id", K.ID, True, references="accounts.account_id"), C("ts", K.TIMESTAMP, True),
        C("ip", K.IP), C("device_id", K.ID), C("user_agent", K.TEXT)),
        key=("account_id", "ts", "ip", "device_id"), event_log=True, one_of=("ip", "device_id")),
    Table("api_keys", (
        C("api_key_id", K.ID, True), C("account_id", K.ID, True, references="accounts.account_id"),
        C("created_at", K.TIMESTAMP), C("created_from_ip", K.IP)), key=("api_key_id",)),
    Table("account_identifiers", (
        C("account_id", K.ID, True, references="accounts.account_id"), C("kind", K.WORD, True),
        C("value", K.ID, True), C("first_seen", K.TIMESTAMP), C("last_seen", K.TIMESTAMP)),
        key=("account_id", "kind", "value")),
    Table("account_links", (
        C("src_account_id", K.ID, True, references="accounts.account_id"),
        C("dst_account_id", K.ID, True, references="accounts.account_id"), C("kind", K.WORD, True),
        C("ts", K.TIMESTAMP), C("amount", K.NUMBER), C("currency", K.CURRENCY)),
        key=("src_account_id", "dst_account_id", "kind", "ts")),
    Table("exchanges", (
        C("request_id", K.ID, True), C("account_id", K.ID, True, references="accounts.account_id"),
        C("ts", K.TIMESTAMP, True), C("ip", K.IP, True),
        C("api_key_id", K.ID, references="api_keys.api_key_id"), C("model", K.TEXT),
        C("category", K.ENUM, enum=CATEGORIES), C("prompt_fingerprint", K.ID),
        C("input_tokens", K.INT), C("output_tokens", K.INT), C("user_agent", K.TEXT)),
        key=("request_id",), event_log=True),
    Table("events", (
        C("event_id", K.ID, True), C("ts", K.TIMESTAMP, True), C("kind", K.TEXT, True),
        C("model", K.TEXT), C("description", K.TEXT)), key=("event_id",)),
    Table("truth", (
        C("account_id", K.ID, True), C("is_fraud", K.BOOL, True), C("campaign_id", K.ID),
        C("org_id", K.ID), C("person_id", K.ID)), key=("account_id",), graph=False),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}
LOAD_ORDER = tuple(t.name for t in TABLES)
FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet")
