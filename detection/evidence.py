"""Read the evidence accounts share out of Neo4j (and lockstep activity out of the log store).

Each kind of evidence is an incidence list `(account_id, item)`; the item's document
frequency (how many accounts share it) is filtered server-side so that a hydra pool's
exit addresses or a popular prompt template never reach the pairing step.
Detection reads the graph and the request log only; it never opens the `truth` table.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from detection import shared_evidence
from graph.db import Graph
from loaders import logstore

# kind -> Cypher returning (account, item, df) for items shared by 2..$cap accounts
INCIDENCE = {
    "card": """
        MATCH (c:PaymentCard) WITH c, COUNT { (c)<-[:PAID_WITH]-(:Account) } AS df
        WHERE df >= 2 AND df <= $cap
        MATCH (a:Account)-[:PAID_WITH]->(c)
        RETURN a.account_id AS account, c.card_fingerprint AS item, df""",
    "device": """
        MATCH (d:Device) WITH d, COUNT { (d)<-[:USED_DEVICE]-(:Account) } AS df
        WHERE df >= 2 AND df <= $cap
        MATCH (a:Account)-[:USED_DEVICE]->(d)
        RETURN a.account_id AS account, d.device_id AS item, df""",
    "ip": """
        MATCH (i:IPAddress)
        WITH i, COUNT { (i)<-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]-(:Account) } AS links
        WHERE links >= 2
        MATCH (a:Account)-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]->(i)
        WITH i, collect(DISTINCT a.account_id) AS accounts
        WITH i, accounts, size(accounts) AS df WHERE df >= 2 AND df <= $cap
        UNWIND accounts AS account
        RETURN account, i.ip AS item, df""",
    "key_ip": """
        MATCH (i:IPAddress)<-[:CREATED_FROM]-(:APIKey)
        WITH DISTINCT i
        MATCH (a:Account)-[:HAS_API_KEY]->(:APIKey)-[:CREATED_FROM]->(i)
        WITH i, collect(DISTINCT a.account_id) AS accounts
        WITH i, accounts, size(accounts) AS df WHERE df >= 2 AND df <= $cap
        UNWIND accounts AS account
        RETURN account, i.ip AS item, df""",
    "identifier": """
        MATCH (x:Identifier) WITH x, COUNT { (x)<-[:HAS_IDENTIFIER]-(:Account) } AS df
        WHERE df >= 2 AND df <= $cap
        MATCH (a:Account)-[:HAS_IDENTIFIER]->(x)
        RETURN a.account_id AS account, x.identifier_id AS item, df""",
    # a transfer, referral or invite between two accounts: an item the two of them share
    "link": """
        MATCH (a:Account)-[:LINKED_TO]->(b:Account) WHERE a <> b
        WITH DISTINCT a.account_id AS src, b.account_id AS dst
        UNWIND [src, dst] AS account
        RETURN account, src + '>' + dst AS item, 2 AS df""",
    "template": """
        MATCH (t:PromptTemplate) WITH t, COUNT { (t)<-[:USED_TEMPLATE]-(:Account) } AS df
        WHERE df >= 2 AND df <= $cap
        MATCH (a:Account)-[:USED_TEMPLATE]->(t)
        RETURN a.account_id AS account, t.prompt_fingerprint AS item, df""",
}

# kind -> Cypher returning (account, kind, items): how many distinct items of the kind each account holds
HOLDINGS = {
    "card": """
        MATCH (a:Account)-[:PAID_WITH]->(c:PaymentCard)
        RETURN a.account_id AS account, 'card' AS kind, count(DISTINCT c) AS items""",
    "device": """
        MATCH (a:Account)-[:USED_DEVICE]->(d:Device)
        RETURN a.account_id AS account, 'device' AS kind, count(DISTINCT d) AS items""",
    "ip": """
        MATCH (a:Account)-[:SIGNED_UP_FROM|LOGGED_IN_FROM|REQUESTED_FROM]->(i:IPAddress)
        RETURN a.account_id AS account, 'ip' AS kind, count(DISTINCT i) AS items""",
    "key_ip": """
        MATCH (a:Account)-[:HAS_API_KEY]->(:APIKey)-[:CREATED_FROM]->(i:IPAddress)
        RETURN a.account_id AS account, 'key_ip' AS kind, count(DISTINCT i) AS items""",
    "identifier": """
        MATCH (a:Account)-[:HAS_IDENTIFIER]->(x:Identifier)
        RETURN a.account_id AS account, 'identifier:' + x.kind AS kind, count(DISTINCT x) AS items""",
}
# incidence kinds whose items can identify a holder (templates are behaviour, links are tested apart)
HELD_KINDS = ("card", "device", "ip", "key_ip", "identifier")

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

ACCOUNT_CARDS = """
MATCH (a:Account)-[:PAID_WITH]->(c:PaymentCard)
RETURN a.account_id AS account, c.card_fingerprint AS card, c.billing_org_id AS billed_org
"""

SHARED_IDENTIFIERS = """
MATCH (x:Identifier) WHERE COUNT { (x)<-[:HAS_IDENTIFIER]-(:Account) } >= 2
MATCH (a:Account)-[:HAS_IDENTIFIER]->(x)
RETURN a.account_id AS account, x.identifier_id AS identifier, x.kind AS kind
"""

ACCOUNT_LINKS = """
MATCH (a:Account)-[r:LINKED_TO]->(b:Account) WHERE a <> b
RETURN a.account_id AS src, b.account_id AS dst, r.kind AS kind
"""

ACCOUNT_DEVICES = """
MATCH (a:Account)-[:USED_DEVICE]->(d:Device) RETURN a.account_id AS account, d.device_id AS device
"""

PROXY_EXITS = """
MATCH (x:Proxy)-[:EXIT_IP]->(i:IPAddress), (x)-[:OPERATED_BY]->(o:Organisation)
RETURN DISTINCT i.ip AS ip, o.org_id AS service, o.name AS service_name
"""

DATACENTER_IPS = "MATCH (i:IPAddress) WHERE i.is_datacenter OR i.is_vpn RETURN i.ip AS ip"

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
    holdings: pd.DataFrame
    shared_items: pd.DataFrame
    accounts: pd.DataFrame
    cards: pd.DataFrame
    devices: pd.DataFrame
    identifiers: pd.DataFrame
    links: pd.DataFrame
    proxy_exits: pd.DataFrame
    datacenter_ips: set[str]
    organisations: pd.DataFrame
    releases: pd.DataFrame
    load_runs: list[str]
    has_request_log: bool = False


def read_evidence(graph: Graph, caps: dict[str, int]) -> Evidence:
    """Pull the evidence from the graph; `caps` bounds each kind's document frequency in the projection.

    Items are read up to the larger of the cap and the kind's identity bound (see `shared_evidence`),
    so the shared-evidence tests see every item that can identify a holder."""
    holdings = _frame(pd.concat([graph.read_df(q) for q in HOLDINGS.values()], ignore_index=True),
                      ["account", "kind", "items"])
    holders = holdings.groupby("kind")["account"].nunique()
    bound = {k: shared_evidence.identity_bound(int(v)) for k, v in holders.items()}
    bound["identifier"] = max([v for k, v in bound.items() if k.startswith(shared_evidence.IDENTIFIER_PREFIX)],
                              default=0)
    raw = {kind: graph.read_df(query, {"cap": max(caps[kind], bound.get(kind, 0))})
           for kind, query in INCIDENCE.items()}
    incidence = {kind: df[df["df"] <= caps[kind]] if len(df) else df for kind, df in raw.items()}
    shared = [df.assign(kind=_held_kind(kind, df)) for kind, df in raw.items() if kind in HELD_KINDS and len(df)]
    return Evidence(
        incidence=incidence,
        holdings=holdings,
        shared_items=_frame(pd.concat(shared, ignore_index=True) if shared else pd.DataFrame(),
                            ["account", "item", "df", "kind"]),
        accounts=graph.read_df(ACCOUNTS),
        cards=graph.read_df(ACCOUNT_CARDS),
        devices=graph.read_df(ACCOUNT_DEVICES),
        identifiers=_frame(graph.read_df(SHARED_IDENTIFIERS), ["account", "identifier", "kind"]),
        links=_frame(graph.read_df(ACCOUNT_LINKS), ["src", "dst", "kind"]),
        proxy_exits=graph.read_df(PROXY_EXITS),
        datacenter_ips={r["ip"] for r in graph.read(DATACENTER_IPS)},
        organisations=graph.read_df(ORGANISATION_NAMES),
        releases=graph.read_df(MODEL_RELEASES),
        load_runs=[r["run_id"] for r in graph.read(LOAD_RUNS)],
        has_request_log=logstore.has("exchanges"),
    )


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
