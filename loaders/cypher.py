"""Named Cypher for the loaders: one fixed-shape `UNWIND $rows` statement per write.

Every node and relationship written carries provenance: `load_runs` and `sources`
(lists of the LoadRun ids and source file names that asserted it). The snippet is a
constant; nothing user-supplied is ever put into query text.
"""
from __future__ import annotations

from dataclasses import dataclass


def _prov(var: str) -> str:
    """SET clause appending $run and $source to `var`'s provenance lists once."""
    return (f"SET {var}.load_runs = CASE WHEN $run IN coalesce({var}.load_runs, []) "
            f"THEN {var}.load_runs ELSE coalesce({var}.load_runs, []) + $run END, "
            f"{var}.sources = CASE WHEN $source IN coalesce({var}.sources, []) "
            f"THEN {var}.sources ELSE coalesce({var}.sources, []) + $source END\n")


def _times(var: str) -> str:
    """Set each ISO timestamp in row.times as a Neo4j datetime property of `var`.

    Timestamps travel as strings: the Python driver packs datetime objects ~10x slower."""
    return (f"FOREACH (time_key IN keys(coalesce(row.times, {{}})) | "
            f"SET {var}[time_key] = datetime(row.times[time_key]))\n")


UPSERT_ORGANISATIONS = """
UNWIND $rows AS row
MERGE (o:Organisation {org_id: row.key})
SET o += row.props
""" + _times("o") + _prov("o") + """
FOREACH (d IN row.domains |
  MERGE (e:EmailDomain {domain: d})
  MERGE (o)-[r:CONTROLS_DOMAIN]->(e)
  """ + _prov("e") + _prov("r") + """)
"""

UPSERT_PEOPLE = """
UNWIND $rows AS row
MERGE (p:Person {person_id: row.key})
SET p += row.props
""" + _times("p") + _prov("p") + """
FOREACH (dev IN row.device_ids |
  MERGE (d:Device {device_id: dev})
  MERGE (p)-[r:USES_DEVICE]->(d)
  """ + _prov("d") + _prov("r") + """)
FOREACH (addr IN row.ips |
  MERGE (i:IPAddress {ip: addr})
  MERGE (p)-[r:USES_IP]->(i)
  """ + _prov("i") + _prov("r") + """)
WITH p, row
CALL (p, row) {
  MATCH (o:Organisation {org_id: row.org_id})
  MERGE (p)-[r:WORKS_FOR]->(o)
  """ + _prov("r") + """}
"""

# The email domains and sign-up addresses a batch of accounts points to, merged once per distinct value
# (a popular mail domain is touched once per batch, not once per account); UPSERT_ACCOUNTS then matches them.
ACCOUNT_SHARED_NODES = """
UNWIND $rows AS row
WITH collect(DISTINCT row.email_domain) AS domains, collect(DISTINCT row.signup_ip) AS addresses
CALL (domains) {
  UNWIND domains AS dom
  MERGE (e:EmailDomain {domain: dom})
  """ + _prov("e") + """}
CALL (addresses) {
  UNWIND addresses AS addr
  MERGE (i:IPAddress {ip: addr})
  """ + _prov("i") + """}
"""

UPSERT_ACCOUNTS = """
UNWIND $rows AS row
MERGE (a:Account {account_id: row.key})
SET a += row.props
""" + _times("a") + _prov("a") + """
WITH a, row
CALL (a, row) {
  WITH a, row WHERE row.email_domain IS NOT NULL
  MATCH (e:EmailDomain {domain: row.email_domain})
  MERGE (a)-[re:EMAIL_AT]->(e)
  """ + _prov("re") + """}
CALL (a, row) {
  WITH a, row WHERE row.signup_ip IS NOT NULL
  MATCH (i:IPAddress {ip: row.signup_ip})
  MERGE (a)-[r:SIGNED_UP_FROM]->(i)
  SET r.at = datetime(row.times.created_at)
  """ + _prov("r") + """}
CALL (a, row) {
  MATCH (p:Person {person_id: row.owner_person_id})
  MERGE (a)-[r:OWNED_BY]->(p)
  """ + _prov("r") + """}
"""

UPSERT_PROXIES = """
UNWIND $rows AS row
MERGE (x:Proxy {proxy_id: row.key})
SET x += row.props
""" + _times("x") + _prov("x") + """
MERGE (i:IPAddress {ip: row.ip})
SET i.is_proxy_exit = true
MERGE (x)-[ri:EXIT_IP]->(i)
""" + _prov("i") + _prov("ri") + """
WITH x, row
MATCH (o:Organisation {org_id: row.service_org_id})
MERGE (x)-[r:OPERATED_BY]->(o)
""" + _prov("r")

UPSERT_IP_INTEL = """
UNWIND $rows AS row
MERGE (i:IPAddress {ip: row.key})
SET i += row.props
""" + _times("i") + _prov("i")

UPSERT_PAYMENT_CARDS = """
UNWIND $rows AS row
MERGE (c:PaymentCard {card_fingerprint: row.key})
SET c += row.props
""" + _times("c") + _prov("c") + """
FOREACH (dom IN CASE WHEN row.billing_domain IS NULL THEN [] ELSE [row.billing_domain] END |
  MERGE (e:EmailDomain {domain: dom})
  MERGE (c)-[r:BILLING_EMAIL_AT]->(e)
  """ + _prov("e") + _prov("r") + """)
WITH c, row
CALL (c, row) {
  MATCH (o:Organisation {org_id: row.billing_org_id})
  MERGE (c)-[r:BILLED_TO]->(o)
  """ + _prov("r") + """}
"""

UPSERT_ACCOUNT_CARDS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (c:PaymentCard {card_fingerprint: row.card_fingerprint})
MERGE (a)-[r:PAID_WITH]->(c)
SET r += row.props
""" + _times("r") + _prov("r")

# Any identifier kind (phone, exact email, bank account, fingerprint...): one node per (kind, value).
UPSERT_ACCOUNT_IDENTIFIERS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (x:Identifier {identifier_id: row.identifier_id})
ON CREATE SET x.kind = row.kind, x.value = row.value
MERGE (a)-[r:HAS_IDENTIFIER]->(x)
SET r += row.props
""" + _times("r") + _prov("x") + _prov("r")

# A sign-up email (accounts.email) that two or more accounts share is evidence like an account_identifiers
# row of kind email: the same Identifier node ('email:' + the address, trimmed and lower-cased), linked from
# every account that holds the address (of this load or an earlier one). One row per address; returns the
# addresses that are shared.
UPSERT_SHARED_EMAILS = """
UNWIND $rows AS row
MATCH (a:Account {email: row.value})
WITH row, collect(a) AS holders WHERE size(holders) > 1
MERGE (x:Identifier {identifier_id: row.identifier_id})
ON CREATE SET x.kind = row.kind, x.value = row.value
""" + _prov("x") + """
WITH x, holders
CALL (x, holders) {
  UNWIND holders AS a
  MERGE (a)-[r:HAS_IDENTIFIER]->(x)
  """ + _prov("r") + """}
RETURN count(x) AS shared
"""

# A relation the platform observed between two accounts; one relationship per (kind, time).
UPSERT_ACCOUNT_LINKS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.src_account_id})
MATCH (b:Account {account_id: row.dst_account_id})
MERGE (a)-[r:LINKED_TO {kind: row.kind, link_key: row.link_key}]->(b)
SET r += row.props
""" + _times("r") + _prov("r")

UPSERT_API_KEYS = """
UNWIND $rows AS row
MERGE (k:APIKey {api_key_id: row.key})
SET k += row.props
""" + _times("k") + _prov("k") + """
WITH k, row
MATCH (a:Account {account_id: row.account_id})
MERGE (a)-[r:HAS_API_KEY]->(k)
""" + _prov("r") + """
FOREACH (addr IN CASE WHEN row.created_from_ip IS NULL THEN [] ELSE [row.created_from_ip] END |
  MERGE (i:IPAddress {ip: addr})
  MERGE (k)-[rc:CREATED_FROM]->(i)
  """ + _prov("i") + _prov("rc") + """)
"""

UPSERT_EVENTS = """
UNWIND $rows AS row
MERGE (ev:Event {event_id: row.key})
SET ev += row.props
""" + _times("ev") + _prov("ev") + """
FOREACH (name IN CASE WHEN row.model IS NULL THEN [] ELSE [row.model] END |
  MERGE (m:Model {name: name})
  MERGE (ev)-[r:CONCERNS_MODEL]->(m)
  SET r.release = (row.props.kind = 'model_release')
  """ + _prov("m") + _prov("r") + """)
"""

# --- aggregates of the event logs (logins, exchanges), recomputed from the log store ---

SET_ACCOUNT_ACTIVITY = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
SET a += row.props
""" + _times("a")

@dataclass(frozen=True)
class AggregateLinks:
    """The statements writing one log aggregate as relationships Account -[rel]-> (label {key}).

    `nodes` merges distinct keys ($keys) and returns each node's element id; `links` takes one row per
    account ({account_id, items}), matches the account once and each item's node by that id (no index
    lookup per item). An account first written by this run (its load_runs are [$run]) that holds no such
    relationship yet cannot hold one of an earlier run, and an aggregate has one item per pair, so its
    relationships are created without a lookup; other accounts merge theirs. The "none yet" test keeps a
    retried transaction idempotent: a commit whose reply was lost (the server stopping) is run again by the
    driver, and then merges instead of creating the same relationships twice. Times travel as epoch seconds and nanoseconds
    (`first_s`, `first_ns`...): building a datetime from them costs the server less than parsing text."""
    row_key: str      # the aggregate's column holding the label's key
    counts: tuple[str, ...]
    nodes: str
    links: str


def _epoch_datetime(name: str) -> str:
    return f"datetime({{epochSeconds: item.{name}_s, nanosecond: item.{name}_ns}})"


def _aggregate_links(rel: str, label: str, key: str, row_key: str, counts: tuple[str, ...]) -> AggregateLinks:
    sets = ", ".join(f"r.{c} = item.{c}" for c in counts)
    sets += f", r.first_seen = {_epoch_datetime('first')}, r.last_seen = {_epoch_datetime('last')}"
    nodes = (f"UNWIND $keys AS k\nMERGE (x:{label} {{{key}: k}})\n" + _prov("x")
             + "RETURN k AS key, elementId(x) AS node\n")
    links = (f"UNWIND $rows AS row\n"
             f"MATCH (a:Account {{account_id: row.account_id}})\n"
             f"WITH a, row, coalesce(a.load_runs = [$run], false) AND NOT EXISTS {{ (a)-[:{rel}]->() }} AS fresh\n"
             f"CALL (a, row, fresh) {{\n"
             f"  WITH a, row WHERE fresh\n"
             f"  UNWIND row.items AS item\n"
             f"  MATCH (x) WHERE elementId(x) = item.node\n"
             f"  CREATE (a)-[r:{rel}]->(x)\n"
             f"  SET {sets}, r.load_runs = [$run], r.sources = [$source]\n"
             f"}}\n"
             f"CALL (a, row, fresh) {{\n"
             f"  WITH a, row WHERE NOT fresh\n"
             f"  UNWIND row.items AS item\n"
             f"  MATCH (x) WHERE elementId(x) = item.node\n"
             f"  MERGE (a)-[r:{rel}]->(x)\n"
             f"  SET {sets}\n  " + _prov("r") + "}\n")
    return AggregateLinks(row_key, counts, nodes, links)


MERGE_LOGGED_IN_FROM = _aggregate_links("LOGGED_IN_FROM", "IPAddress", "ip", "ip", ("count",))
MERGE_USED_DEVICE = _aggregate_links("USED_DEVICE", "Device", "device_id", "device_id", ("count",))
MERGE_REQUESTED_FROM = _aggregate_links("REQUESTED_FROM", "IPAddress", "ip", "ip", ("requests",))
MERGE_USED_TEMPLATE = _aggregate_links("USED_TEMPLATE", "PromptTemplate", "prompt_fingerprint",
                                       "prompt_fingerprint", ("requests",))
MERGE_QUERIED_MODEL = _aggregate_links("QUERIED_MODEL", "Model", "name", "model",
                                       ("requests", "input_tokens", "output_tokens"))

# Which of the given accounts this run created (their only load run is $run): their aggregate relationships
# are created, not merged (loaders/aggregates.py).
FRESH_ACCOUNTS = """
UNWIND $ids AS id
MATCH (a:Account {account_id: id}) WHERE a.load_runs = [$run]
RETURN id
"""

SET_API_KEY_USAGE = """
UNWIND $rows AS row
MATCH (k:APIKey {api_key_id: row.api_key_id})
SET k.requests = row.requests, k.first_used = datetime(row.first_seen), k.last_used = datetime(row.last_seen)
"""

# After a bulk import: the empty lists the importer cannot write. A template, filled only with a label and
# key property of loaders/bulk_model.LABELS (labels cannot be parameters).
SET_EMPTY_LISTS = """
UNWIND $rows AS row
MATCH (n:{label} {{{key}: row.id}})
SET n[row.prop] = []
"""

# --- network ownership: which organisation's netblock or ASN an address lies in ---

ORGANISATION_NETWORKS = """
MATCH (o:Organisation) WHERE o.netblocks IS NOT NULL OR o.asns IS NOT NULL
RETURN o.org_id AS org_id, coalesce(o.netblocks, []) AS netblocks, coalesce(o.asns, []) AS asns
"""

ANY_NODE = "MATCH (n) RETURN 1 AS found LIMIT 1"
ANY_ACCOUNT = "MATCH (a:Account) RETURN 1 AS found LIMIT 1"
ALL_IPS = "MATCH (i:IPAddress) RETURN i.ip AS ip, i.asn AS asn"
RUN_IPS = "MATCH (i:IPAddress) WHERE $run IN i.load_runs RETURN i.ip AS ip, i.asn AS asn"

MERGE_IN_NETWORK_OF = """
UNWIND $rows AS row
MATCH (i:IPAddress {ip: row.ip})
MATCH (o:Organisation {org_id: row.org_id})
MERGE (i)-[r:IN_NETWORK_OF]->(o)
SET r.via = row.via, r.netblock = row.netblock, r.asn = row.asn
""" + _prov("r")

# --- load runs and existing ids ---

CREATE_LOAD_RUN = """
MERGE (l:LoadRun {run_id: $run})
SET l.started_at = datetime($started_at), l.dataset = $dataset, l.status = 'running',
    l.ringtrace_version = $version, l.host = $host, l.pid = $pid
"""

RUNNING_LOAD_RUNS = """
MATCH (l:LoadRun {status: 'running'})
RETURN l.run_id AS run_id, l.host AS host, l.pid AS pid, l.started_at AS started_at
"""

MARK_LOAD_RUNS_INTERRUPTED = """
MATCH (l:LoadRun {status: 'running'}) WHERE l.run_id IN $runs
SET l.status = 'interrupted', l.interrupted_noticed_at = datetime()
"""

FINISH_LOAD_RUN = """
MATCH (l:LoadRun {run_id: $run})
SET l.finished_at = datetime(), l.status = $status, l.summary = $summary,
    l.rows_read = $read, l.rows_loaded = $loaded, l.rows_rejected = $rejected, l.files = $files
"""

# Which of the given ids a referenced table already holds in the graph: looked up per batch of the ids a
# file names, so a reference check costs what the file names, not what the graph holds.
EXISTING_IDS = {
    "organisations.org_id": "UNWIND $ids AS id MATCH (n:Organisation {org_id: id}) RETURN id",
    "people.person_id": "UNWIND $ids AS id MATCH (n:Person {person_id: id}) RETURN id",
    "accounts.account_id": "UNWIND $ids AS id MATCH (n:Account {account_id: id}) RETURN id",
    "payment_cards.card_fingerprint": "UNWIND $ids AS id MATCH (n:PaymentCard {card_fingerprint: id}) RETURN id",
    "api_keys.api_key_id": "UNWIND $ids AS id MATCH (n:APIKey {api_key_id: id}) RETURN id",
}
