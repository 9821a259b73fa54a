"""Tracing on small hand-built graphs (one per kind of evidence path) and on the sample."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tracing import attribution
from tracing.attribution import REPORTING_THRESHOLD, trace_cluster

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

BASE = """
CREATE (run:DetectionRun {run_id: 'det-test'})
CREATE (c:Cluster {cluster_id: 'det-test-c0001', run_id: 'det-test', flagged: $flagged, size: 3, score: 9.0})
CREATE (c)-[:FOUND_BY]->(run)
CREATE (lab:Organisation {org_id: 'org-lab', name: 'Example Lab', kind: 'ai_lab'})
CREATE (other:Organisation {org_id: 'org-other', name: 'Other Corp', kind: 'enterprise'})
CREATE (cloud:Organisation {org_id: 'org-cloud', name: 'Big Cloud', kind: 'cloud_provider'})
CREATE (proxy:Organisation {org_id: 'org-proxy', name: 'Proxy Co', kind: 'proxy_service'})
CREATE (p:Person {person_id: 'person-1', name: 'Ada Example', name_key: 'ada example', emails: ['ada@lab.example'], role: 'lead'})
CREATE (q:Person {person_id: 'person-2', name: 'Bo Other', emails: ['bo@other.example'], role: 'engineer'})
CREATE (p)-[:WORKS_FOR]->(lab)
CREATE (q)-[:WORKS_FOR]->(other)
WITH c
UNWIND range(1, 3) AS i
CREATE (a:Account {account_id: 'acc-' + toString(i), email: 'u' + toString(i) + '@mail.example'})
CREATE (a)-[:MEMBER_OF {run_id: 'det-test'}]->(c)
"""

SETUPS = {
    "card_billed_to_org": ("organisation", "org-lab", """
        MATCH (a:Account {account_id: 'acc-1'}), (o:Organisation {org_id: 'org-lab'})
        CREATE (a)-[:PAID_WITH]->(:PaymentCard {card_fingerprint: 'fp-1'})-[:BILLED_TO]->(o)"""),
    "signup_email_domain": ("organisation", "org-lab", """
        MATCH (a:Account {account_id: 'acc-1'}), (o:Organisation {org_id: 'org-lab'})
        CREATE (d:EmailDomain {domain: 'lab.example'})<-[:CONTROLS_DOMAIN]-(o)
        CREATE (a)-[:EMAIL_AT]->(d)"""),
    "billing_email_domain": ("organisation", "org-lab", """
        MATCH (a:Account {account_id: 'acc-1'}), (o:Organisation {org_id: 'org-lab'})
        CREATE (d:EmailDomain {domain: 'lab.example'})<-[:CONTROLS_DOMAIN]-(o)
        CREATE (a)-[:PAID_WITH]->(:PaymentCard {card_fingerprint: 'fp-2'})-[:BILLING_EMAIL_AT]->(d)"""),
    "api_key_from_network": ("organisation", "org-lab", """
        MATCH (a:Account {account_id: 'acc-2'}), (o:Organisation {org_id: 'org-lab'})
        CREATE (a)-[:HAS_API_KEY]->(:APIKey {api_key_id: 'k1'})-[:CREATED_FROM]->(i:IPAddress {ip: '198.18.10.9'})
        CREATE (i)-[:IN_NETWORK_OF {via: 'netblock'}]->(o)"""),
    "traffic_from_network": ("organisation", "org-lab", """
        MATCH (a:Account {account_id: 'acc-2'}), (o:Organisation {org_id: 'org-lab'})
        CREATE (a)-[:LOGGED_IN_FROM {count: 4}]->(i:IPAddress {ip: '198.18.10.8'})-[:IN_NETWORK_OF {via: 'asn'}]->(o)"""),
    "claimed_org": ("organisation", "org-lab", """
        MATCH (a:Account {account_id: 'acc-3'}) SET a.claimed_org = 'example lab'"""),
    "card_in_person_name": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-1'})
        CREATE (a)-[:PAID_WITH]->(:PaymentCard {card_fingerprint: 'fp-3', billing_name: 'Ada Example',
                                                billing_name_key: 'ada example'})"""),
    "card_billing_email": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-1'})
        CREATE (a)-[:PAID_WITH]->(:PaymentCard {card_fingerprint: 'fp-4', billing_email: 'ada@lab.example'})"""),
    "account_email": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-2'}) SET a.email = 'ada@lab.example'"""),
    "person_device": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-2'}), (p:Person {person_id: 'person-1'})
        CREATE (a)-[:USED_DEVICE {count: 3}]->(:Device {device_id: 'dev-ada'})<-[:USES_DEVICE]-(p)"""),
    "person_address": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-3'}), (p:Person {person_id: 'person-1'})
        CREATE (a)-[:REQUESTED_FROM {requests: 40}]->(:IPAddress {ip: '203.0.113.7'})<-[:USES_IP]-(p)"""),
    "api_key_from_person_address": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-3'}), (p:Person {person_id: 'person-1'})
        CREATE (a)-[:HAS_API_KEY]->(:APIKey {api_key_id: 'k9'})-[:CREATED_FROM]->(:IPAddress {ip: '203.0.113.8'})<-[:USES_IP]-(p)"""),
    "own_account_shares_items": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-1'}), (p:Person {person_id: 'person-1'})
        CREATE (own:Account {account_id: 'acc-own', email: 'ada@lab.example'})-[:OWNED_BY]->(p)
        CREATE (own)-[:USED_DEVICE]->(d:Device {device_id: 'dev-shared'})<-[:USED_DEVICE]-(a)"""),
    "account_owned_by_person": ("person", "person-1", """
        MATCH (a:Account {account_id: 'acc-1'}), (p:Person {person_id: 'person-1'})
        CREATE (a)-[:OWNED_BY]->(p)"""),
}


def _build(graph, setup: str, flagged: bool = True) -> None:
    graph.write(BASE, {"flagged": flagged})
    graph.write(setup)


@pytest.mark.parametrize("kind", sorted(SETUPS))
def test_each_evidence_path(graph, kind):
    target_kind, target_id, setup = SETUPS[kind]
    _build(graph, setup)
    result = trace_cluster(graph, "det-test-c0001")
    cands = result.organisations if target_kind == "organisation" else result.people
    assert cands and cands[0].target_id == target_id, f"{kind}: {cands}"
    assert kind in {p.kind for p in cands[0].paths}
    if target_kind == "person":
        # the person's employer inherits part of the evidence
        assert result.organisations and result.organisations[0].target_id == "org-lab"
        assert "via_staff_member" in {p.kind for p in result.organisations[0].paths}


def test_only_one_card_in_a_persons_name(graph):
    _build(graph, SETUPS["card_in_person_name"][2])
    result = trace_cluster(graph, "det-test-c0001")
    assert [p.target_id for p in result.people] == ["person-1"]
    assert result.people[0].confidence >= REPORTING_THRESHOLD
    attribution.save(graph, result)
    saved = graph.read("MATCH (:Cluster {cluster_id: 'det-test-c0001'})-[r:ATTRIBUTED_TO]->(p:Person) "
                       "RETURN p.person_id AS id, r.confidence AS c, r.run_id AS run")
    assert saved and saved[0]["id"] == "person-1" and saved[0]["run"] == "det-test"


def test_weak_links_stay_below_reporting_threshold(graph):
    weak = """
        MATCH (a:Account {account_id: 'acc-3'}), (cloud:Organisation {org_id: 'org-cloud'})
        SET a.claimed_org = 'Example Lab'
        CREATE (a)-[:REQUESTED_FROM {requests: 5}]->(:IPAddress {ip: '192.0.2.10'})-[:IN_NETWORK_OF {via: 'asn'}]->(cloud)
    """
    _build(graph, weak)
    result = trace_cluster(graph, "det-test-c0001")
    assert result.organisations, "weak links are still listed"
    assert all(c.confidence < REPORTING_THRESHOLD for c in result.organisations)
    assert result.reported() == []


def test_independent_kinds_beat_copies_of_one_kind(graph):
    setup = """
        MATCH (a1:Account {account_id: 'acc-1'}), (a2:Account {account_id: 'acc-2'}),
              (lab:Organisation {org_id: 'org-lab'}), (other:Organisation {org_id: 'org-other'})
        CREATE (a1)-[:PAID_WITH]->(:PaymentCard {card_fingerprint: 'fpA'})-[:BILLED_TO]->(lab)
        CREATE (a2)-[:HAS_API_KEY]->(:APIKey {api_key_id: 'kA'})-[:CREATED_FROM]->(i:IPAddress {ip: '198.18.1.1'})
        CREATE (i)-[:IN_NETWORK_OF]->(lab)
        WITH other
        MATCH (a:Account)
        CREATE (a)-[:PAID_WITH]->(:PaymentCard {card_fingerprint: 'fpB-' + a.account_id})-[:BILLED_TO]->(other)
    """
    _build(graph, setup)
    result = trace_cluster(graph, "det-test-c0001")
    assert result.organisations[0].target_id == "org-lab"


def test_proxy_service_is_infrastructure_not_originator(graph):
    setup = """
        MATCH (a:Account {account_id: 'acc-1'}), (o:Organisation {org_id: 'org-proxy'})
        CREATE (a)-[:REQUESTED_FROM {requests: 90}]->(i:IPAddress {ip: '100.64.0.1'})<-[:EXIT_IP]-(x:Proxy {proxy_id: 'px1', proxy_type: 'residential'})
        CREATE (x)-[:OPERATED_BY]->(o)
        CREATE (i)-[:IN_NETWORK_OF {via: 'asn'}]->(o)
        CREATE (a)-[:PAID_WITH]->(:PaymentCard {card_fingerprint: 'fpP'})-[:BILLED_TO]->(o)
    """
    _build(graph, setup)
    result = trace_cluster(graph, "det-test-c0001")
    assert all(c.target_id != "org-proxy" for c in result.organisations)
    assert [r["service_id"] for r in result.infrastructure] == ["org-proxy"]


def test_unflagged_cluster_is_capped_low(graph):
    _build(graph, SETUPS["card_billed_to_org"][2] , flagged=False)
    result = trace_cluster(graph, "det-test-c0001")
    assert result.organisations[0].confidence <= attribution.NOT_FLAGGED_CAP < REPORTING_THRESHOLD


def test_sample_campaigns_trace_to_their_lab_and_staff(sample_detected, tmp_path):
    from score_attribution import score
    from tracing.report import trace_all, write_csv

    from conftest import SAMPLE

    g, result, out = sample_detected
    results = trace_all(g, result.run_id)
    write_csv(results, out)
    scored = score(SAMPLE, out)
    legit = scored.pop("_legit_attributions")
    assert legit == []
    for camp, r in scored.items():
        assert r["org_correct"], (camp, str(r))
        assert r["person_correct"], (camp, str(r))
