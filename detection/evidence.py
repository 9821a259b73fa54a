"""Read the evidence accounts share out of Neo4j (and lockstep activity out of the log store).

Each kind of evidence is an incidence list `(account_id, item)`; the item's document
frequency (how many accounts share it) is filtered server-side so that a hydra pool's
exit addresses or a popular prompt template never reach the pairing step.
Detection reads the graph and the request log only; it never opens the `truth` table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from detection import shared_evidence
from graph import model
from graph.db import Graph
from loaders import logstore

# The queries below are made from the item kinds of the graph model (graph/model.py): constant patterns, never input.
HELD_KINDS = tuple(k.name for k in model.ITEM_KINDS.values() if k.detected and k.identifies)
# held kinds of network addresses: judged item by item, never as a whole kind that describes (attribute_kinds)
NETWORK_KINDS = ("ip", "key_ip")


def _from_account(kind: model.ItemKind, account: str = "(a:Account)") -> str:
    """The kind's path with its ends labelled: from `account` to `(x:<label>)`."""
    return kind.path.replace("(a)", account, 1).replace("(x)", f"(x:{kind.label})")


def _incidence(kind: model.ItemKind) -> str:
    """(account, item, df) for the kind's items shared by 2..$cap accounts. One relationship type in one hop:
    df is the item's degree (counted from the item, then only the shared items' holders are matched); else
    the accounts reaching each item with at least two paths are collected once, distinct."""
    item = f"x.{kind.key} AS item"
    if re.fullmatch(r"\(a\)-\[:\w+\]->\(x\)", kind.path):
        return f"""
        MATCH (x:{kind.label}) WITH x, COUNT {{ {kind.path.replace("(a)", "(:Account)")} }} AS df
        WHERE df >= 2 AND df <= $cap
        MATCH {kind.path.replace("(a)", "(a:Account)")}
        RETURN a.account_id AS account, {item}, df"""
    return f"""
        MATCH (x:{kind.label})
        WITH x, COUNT {{ {kind.path.replace("(a)", "(:Account)")} }} AS links
        WHERE links >= 2
        MATCH {kind.path.replace("(a)", "(a:Account)")}
        WITH x, collect(DISTINCT a.account_id) AS accounts
        WITH x, accounts, size(accounts) AS df WHERE df >= 2 AND df <= $cap
        UNWIND accounts AS account
        RETURN account, {item}, df"""


def _kind_of(kind: model.ItemKind) -> str:
    """The kind a row counts under: the kind's name, or `name:` + the item's subkind (identifier:phone)."""
    return f"'{kind.name}:' + x.{kind.subkind}" if kind.subkind else f"'{kind.name}'"


def _holder_count(kind: model.ItemKind) -> str:
    if kind.subkind:
        return f"MATCH {_from_account(kind)} RETURN {_kind_of(kind)} AS kind, count(DISTINCT a) AS holders"
    return (f"MATCH (a:Account) WHERE EXISTS {{ {_from_account(kind, '(a)')} }} "
            f"RETURN {_kind_of(kind)} AS kind, count(a) AS holders")


def _sharer_count(kind: model.ItemKind) -> str:
    return (f"MATCH {_from_account(kind)} WHERE COUNT {{ {kind.path.replace('(a)', '(:Account)')} }} >= 2 "
            f"RETURN {_kind_of(kind)} AS kind, count(DISTINCT a) AS sharers")


def _holdings(kind: model.ItemKind) -> str:
    return f"""
        UNWIND $accounts AS id MATCH {_from_account(kind, "(a:Account {account_id: id})")}
        RETURN id AS account, {_kind_of(kind)} AS kind, count(DISTINCT x) AS items"""


_DETECTED = [k for k in model.ITEM_KINDS.values() if k.detected]
# A transfer, referral or invite between two accounts (model.ACCOUNT_LINK_KINDS): an item the two of them share.
ACCOUNT_LINK_INCIDENCE = {"link": f"""
        MATCH (a:Account)-[:{model.ACCOUNT_LINK_KINDS["link"]}]->(b:Account) WHERE a <> b
        WITH DISTINCT a.account_id AS src, b.account_id AS dst
        UNWIND [src, dst] AS account
        RETURN account, src + '>' + dst AS item, 2 AS df"""}
# kind -> Cypher returning (account, item, df) for items shared by 2..$cap accounts (held kinds, links, behaviour)
INCIDENCE = {**{k.name: _incidence(k) for k in _DETECTED if k.identifies}, **ACCOUNT_LINK_INCIDENCE,
             **{k.name: _incidence(k) for k in _DETECTED if not k.identifies}}
# kind -> Cypher counting the accounts that hold an item of the kind: (kind, holders)
HOLDER_COUNTS = {name: _holder_count(model.ITEM_KINDS[name]) for name in HELD_KINDS}
# kind -> Cypher counting the holders of a kind whose item another account holds too: (kind, sharers)
SHARER_COUNTS = {name: _sharer_count(model.ITEM_KINDS[name]) for name in HELD_KINDS if name not in NETWORK_KINDS}
ACCOUNT_COUNT = "MATCH (a:Account) RETURN count(a) AS accounts"
# kind -> Cypher returning (account, kind, items) for the given accounts: how many distinct items each holds
HOLDINGS = {name: _holdings(model.ITEM_KINDS[name]) for name in HELD_KINDS}
HOLDINGS_BATCH = 50_000

ACCOUNTS = """
MATCH (a:Account)
OPTIONAL MATCH (a)-[:EMAIL_AT]->(:EmailDomain)<-[:CONTROLS_DOMAIN]-(dom_org:Organisation)
RETURN a.account_id AS account, a.created_at.epochSeconds AS created, a.verified AS verified,
       a.claimed_org AS claimed_org, split(a.email, '@')[1] AS email_domain,
       dom_org.org_id AS domain_org, coalesce(a.requests, 0) AS requests,
       coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0) AS tokens,
       coalesce(a.req_cot_elicitation, 0) AS req_cot_elicitation, coalesce(a.req_tool_use, 0) AS req_tool_use,
       coalesce(a.req_agentic, 0) AS req_agentic, coalesce(a.req_coding, 0) AS req_coding,
       coalesce(a.req_reasoning, 0) AS req_reasoning, coalesce(a.req_vision, 0) AS req_vision
"""

BILLED_CARDS = """
MATCH (a:Account)-[:PAID_WITH]->(c:PaymentCard) WHERE c.billing_org_id IS NOT NULL
RETURN a.account_id AS account, c.card_fingerprint AS card, c.billing_org_id AS billed_org
"""

ACCOUNT_LINKS = """
MATCH (a:Account)-[r:LINKED_TO]->(b:Account) WHERE a <> b
RETURN a.account_id AS src, b.account_id AS dst, r.kind AS kind
"""

PROXY_EXITS = """
MATCH (x:Proxy)-[:EXIT_IP]->(i:IPAddress), (x)-[:OPERATED_BY]->(o:Organisation)
RETURN DISTINCT i.ip AS ip, o.org_id AS service, o.name AS service_name
"""

DATACENTER_IPS = ("MATCH (i:IPAddress) WHERE i.is_datacenter OR i.is_vpn "
                  "RETURN i.ip AS ip, coalesce(i.is_vpn, false) AS vpn")

ORGANISATION_NAMES = "MATCH (o:Organisation) RETURN o.org_id AS org_id, o.name AS name"

MODEL_RELEASES = """
MATCH (e:Event)-[r:CONCERNS_MODEL]->(m:Model) WHERE r.release
RETURN m.name AS model, e.ts.epochSeconds AS released
"""

LOAD_RUNS = "MATCH (l:LoadRun) RETURN l.run_id AS run_id ORDER BY l.run_id"


@dataclass
class Evidence:
    """Everything detection reads: incidence lists, account attributes, infrastructure."""

    incidence: dict[str, pd.DataFrame]
    holders: pd.Series
    shared_items: pd.DataFrame
    accounts: pd.DataFrame
    cards: pd.DataFrame
    links: pd.DataFrame
    proxy_exits: pd.DataFrame
    datacenter_ips: set[str]
    vpn_ips: set[str]
    organisations: pd.DataFrame
    releases: pd.DataFrame
    load_runs: list[str]
    has_request_log: bool = False
    attribute_kinds: frozenset[str] = frozenset()  # kinds that describe, not identify (attribute_kinds)
    holdings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["account", "kind", "items"]))


def read_evidence(graph: Graph, caps: dict[str, int]) -> Evidence:
    """Pull the evidence from the graph; `caps` bounds each kind's document frequency.

    `holders` counts the accounts holding each kind (for the shared-evidence null); the members'
    own holdings are read once clusters exist (`member_holdings`)."""
    counts = [graph.read_df(q) for q in HOLDER_COUNTS.values()]
    counts = [c for c in counts if len(c)]
    holders = pd.concat(counts, ignore_index=True).set_index("kind")["holders"] if counts else \
        pd.Series(dtype="int64", name="holders")
    sharers = [graph.read_df(q) for q in SHARER_COUNTS.values()]
    sharers = pd.concat([c for c in sharers if len(c)] or [pd.DataFrame(columns=["kind", "sharers"])],
                        ignore_index=True).set_index("kind")["sharers"]
    attributes = attribute_kinds(holders, sharers, int(graph.read(ACCOUNT_COUNT)[0]["accounts"]))
    incidence = {kind: _identifying(kind, graph.read_df(query, {"cap": caps[kind]}), attributes)
                 for kind, query in INCIDENCE.items()}
    shared = [df.assign(kind=_held_kind(kind, df)) for kind, df in incidence.items() if kind in HELD_KINDS and len(df)]
    hosted = graph.read(DATACENTER_IPS)
    return Evidence(
        incidence=incidence,
        holders=holders[holders > 0],
        shared_items=_frame(pd.concat(shared, ignore_index=True) if shared else pd.DataFrame(),
                            ["account", "item", "df", "kind"]),
        accounts=graph.read_df(ACCOUNTS),
        cards=_frame(graph.read_df(BILLED_CARDS), ["account", "card", "billed_org"]),
        links=_frame(graph.read_df(ACCOUNT_LINKS), ["src", "dst", "kind"]),
        proxy_exits=graph.read_df(PROXY_EXITS),
        datacenter_ips={r["ip"] for r in hosted},
        vpn_ips={r["ip"] for r in hosted if r["vpn"]},
        organisations=graph.read_df(ORGANISATION_NAMES),
        releases=graph.read_df(MODEL_RELEASES),
        load_runs=[r["run_id"] for r in graph.read(LOAD_RUNS)],
        has_request_log=logstore.has("exchanges"),
        attribute_kinds=attributes,
    )


def attribute_kinds(holders: pd.Series, sharers: pd.Series, accounts: int) -> frozenset[str]:
    """Kinds that describe an account's software or network rather than identify its holder.

    The null of an identifier: its values tell entities apart, and most entities run one account, so
    most holders hold a value no other account holds. A kind that most accounts hold (so what it records
    is not chosen by where the platform looks) and whose holders mostly share their value with another
    account contradicts that null: a TLS client hello or a browser configuration is shared by everyone
    running the same software (on the blind scenario, 40 TLS hellos among 19,727 holders: every holder
    shares). Such a kind is no identifying evidence: it neither links accounts nor counts as shared;
    a kind held by few accounts (payout accounts, wallets) is judged per item as before."""
    if accounts <= 0:
        return frozenset()
    share = sharers.reindex(holders.index, fill_value=0) / holders.clip(lower=1)
    return frozenset(k for k in holders.index
                     if holders[k] > accounts / 2 and share[k] > 0.5 and k not in NETWORK_KINDS)


def _identifying(kind: str, df: pd.DataFrame, attributes: frozenset[str]) -> pd.DataFrame:
    """Incidence rows of `kind` without the attribute kinds' items."""
    if not attributes or kind not in HELD_KINDS or not len(df):
        return df
    if kind != "identifier":
        return df.iloc[0:0] if kind in attributes else df
    return df[~_held_kind(kind, df).isin(attributes).to_numpy()].reset_index(drop=True)


def member_holdings(graph: Graph, accounts: list[str]) -> pd.DataFrame:
    """(account, kind, items): how many distinct items of each kind the given accounts hold."""
    parts = [graph.read_df(q, {"accounts": accounts[s:s + HOLDINGS_BATCH]})
             for s in range(0, len(accounts), HOLDINGS_BATCH) for q in HOLDINGS.values()]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["account", "kind", "items"])


def _held_kind(kind: str, df: pd.DataFrame) -> pd.Series | str:
    """An incidence row's kind; identifiers carry theirs in the id (`phone:+44...`)."""
    if kind != "identifier":
        return kind
    return shared_evidence.IDENTIFIER_PREFIX + df["item"].str.split(":", n=1).str[0]


def _frame(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """An empty result still has its columns."""
    return df if len(df.columns) else pd.DataFrame(columns=columns)


def request_activity(accounts: list[str], bucket_seconds: int) -> pd.DataFrame:
    """Per member account: requests per (time bucket, ip, model, template) from the log store."""
    if not accounts or not logstore.has("exchanges"):
        return pd.DataFrame(columns=["account_id", "bucket", "ip", "model", "prompt_fingerprint", "ts",
                                     "requests"])
    con = logstore.connect()
    view = logstore.source_view(con, "exchanges")
    con.execute("CREATE OR REPLACE TEMP TABLE members AS SELECT unnest(?) AS account_id", [accounts])
    df = con.execute(f"""
        SELECT e.account_id, epoch(e.ts::TIMESTAMPTZ)::BIGINT // ? AS bucket, e.ip, e.model, e.prompt_fingerprint,
               min(epoch(e.ts::TIMESTAMPTZ))::BIGINT AS ts, count(*) AS requests
        FROM {view} e JOIN members m USING (account_id)
        GROUP BY ALL""", [bucket_seconds]).df()
    con.close()
    return df


def template_popularity() -> pd.DataFrame:
    """How many distinct accounts use each prompt template (from the log store)."""
    if not logstore.has("exchanges"):
        return pd.DataFrame(columns=["prompt_fingerprint", "users"])
    con = logstore.connect()
    view = logstore.source_view(con, "exchanges")
    df = con.execute(f"SELECT prompt_fingerprint, count(DISTINCT account_id) AS users FROM {view} "
                     "WHERE prompt_fingerprint IS NOT NULL GROUP BY 1").df()
    con.close()
    return df
