"""Scores measured against chance on a hand-built population with no request log: a device ring of
three created together is flagged, the same sharing by three accounts created weeks apart is a
multi-account (one household or one person), a carrier NAT of 300 strangers is not flagged, households
are listed apart, and an identifier kind the tool has never seen is evidence (detection/shared_evidence.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from detection.run import detect
from detection.shared_evidence import SharedEvidenceTests, tail_surprise
from loaders.load import load_dataset

PEOPLE = 2000          # individuals with their own device, address, phone and loyalty card
HOUSEHOLDS = 60        # of three people: one postal address and one home address each
NAT = 300              # strangers behind one carrier NAT address


def _population(d: Path) -> None:
    accounts, logins, ids = ["account_id,created_at"], ["account_id,ts,ip,device_id"], ["account_id,kind,value"]

    def person(a: str, ip: str, address: str, day: int) -> None:
        accounts.append(f"{a},2026-01-{1 + day % 28:02d}T{day % 24:02d}:00:00Z")
        logins.append(f"{a},2026-03-01T10:00:00Z,{ip},dev-{a}")
        ids.extend([f"{a},phone,+44-{a}", f"{a},postal_address,{address}", f"{a},loyalty_card,lc-{a}"])

    for i in range(PEOPLE):
        person(f"p{i:04d}", f"10.0.{i // 250}.{i % 250}", f"addr-p{i}", i)
    for h in range(HOUSEHOLDS):
        for k in range(3):
            person(f"h{h:02d}-{k}", f"10.1.0.{h}", f"addr-h{h}", 7 * h + 9 * k)  # weeks apart, as people join
    for i in range(NAT):
        person(f"n{i:03d}", "100.64.0.1", f"addr-n{i}", 3 * i)
    for k in range(3):  # one device and the address it logs in from run three accounts, created together
        accounts.append(f"ring-{k},2026-02-03T08:0{k}:00Z")
        logins.append(f"ring-{k},2026-03-02T10:00:00Z,10.9.9.9,dev-ring")
    for k in range(3):  # the same sharing by three accounts created weeks apart: one person's or one family's
        accounts.append(f"trio-{k},2026-01-{3 + 9 * k:02d}T08:00:00Z")  # among everyone else's sign-ups
        logins.append(f"trio-{k},2026-03-02T10:00:00Z,10.9.9.8,dev-trio")
    for k in range(3):  # three accounts tied only by a kind of identifier the tool has never seen
        accounts.append(f"kit-{k},2026-02-{4 + 9 * k:02d}T08:00:00Z")
        logins.append(f"kit-{k},2026-03-02T10:00:00Z,10.8.0.{k},dev-kit-{k}")
        ids.append(f"kit-{k},loyalty_card,lc-shared")
    for name, rows in (("accounts", accounts), ("logins", logins), ("account_identifiers", ids)):
        (d / f"{name}.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def population(neo4j_server, tmp_path_factory):
    from tests.conftest import _emptied

    d = tmp_path_factory.mktemp("population")
    _population(d)
    g = _emptied()
    load_dataset(g, d, d / "rejects.csv", progress=False)
    result = detect(g, progress=False)
    yield result
    g.close()


def _cluster_of(result, account: str):
    return next((c for c in result.clusters if account in c.members), None)


def test_three_accounts_on_one_device_are_flagged_without_a_request_log(population):
    ring = _cluster_of(population, "ring-0")
    assert ring is not None and set(ring.members) == {"ring-0", "ring-1", "ring-2"}
    assert ring.flagged, ring.reasons
    assert any("3 accounts hold 1 device" in r for r in ring.reasons), ring.reasons
    assert any(r.startswith("not available: no request log") for r in ring.reasons), ring.reasons


def test_the_same_sharing_weeks_apart_is_a_multi_account_not_a_ring(population):
    trio = _cluster_of(population, "trio-0")
    assert trio is not None and set(trio.members) == {"trio-0", "trio-1", "trio-2"}
    assert not trio.flagged and trio.multi_account, trio.reasons
    assert "signed up no closer together than chance" in trio.multi_account


def test_a_carrier_nat_of_300_strangers_is_not_flagged(population):
    flagged = {a for c in population.clusters if c.flagged for a in c.members}
    assert not any(a.startswith("n") for a in flagged)


def test_households_sharing_an_address_are_not_flagged(population):
    flagged = {a for c in population.clusters if c.flagged for a in c.members}
    assert not any(a.startswith("h") for a in flagged)
    house = _cluster_of(population, "h00-0")
    assert house is not None and house.multi_account and "home address" in house.multi_account, house


def test_an_identifier_kind_never_seen_before_is_evidence(population):
    kit = _cluster_of(population, "kit-0")
    assert kit is not None and set(kit.members) == {"kit-0", "kit-1", "kit-2"}
    assert any("3 accounts hold 1 loyalty card" in r for r in kit.reasons), kit.reasons
    assert kit.features()["shared_evidence"] > 1.0
    assert kit.flagged, kit.reasons  # a loyalty card is no household's: three holders of one are a ring


def test_the_binomial_tail_is_the_exact_probability():
    # P(Bin(2, 0.1) >= 2) = 0.01 -> 2 decades; P(Bin(4, 0.5) >= 1) = 15/16
    assert tail_surprise(2, 2, 0.1) == pytest.approx(2.0)
    assert tail_surprise(1, 4, 0.5) == pytest.approx(-__import__("math").log10(15 / 16))
    assert tail_surprise(0, 4, 0.5) == 0.0
    # 5,000 accounts on one card: the tail underflows a float, its first term does not
    assert tail_surprise(5000, 5000, 0.01) == pytest.approx(10000.0)


def test_a_common_item_does_not_identify_its_holders():
    import pandas as pd

    holdings = pd.DataFrame({"account": [f"a{i}" for i in range(100)], "kind": "ip", "items": 1})
    shared = pd.DataFrame({"account": [f"a{i}" for i in range(20)], "kind": "ip", "item": "nat", "df": 20})
    tests = SharedEvidenceTests(holdings, shared, pd.DataFrame(columns=["src", "dst"]), 100, pd.Series({"ip": 100}))
    row = tests.test_groups([[f"a{i}" for i in range(20)]]).iloc[0]
    assert row["collapse"] == 0 and row["surprise"] == 0.0, "20**2 > 100 holders: the address is nobody's own"


def test_campaigns_join_on_identifying_items_of_two_kinds_and_never_on_rented_exit_nodes():
    import pandas as pd

    from detection.campaigns import group_campaigns

    flagged = [("run-c0001", ["a1", "a2"], 5.0), ("run-c0002", ["b1", "b2"], 4.0), ("run-c0003", ["x1", "x2"], 4.5),
               ("run-c0004", ["y1", "y2"], 3.5)]
    identity = pd.DataFrame([
        ("a1", "identifier:bank_account", "iban-1"), ("b2", "identifier:bank_account", "iban-1"),  # one payee
        ("x1", "ip", "198.51.100.7"), ("y1", "ip", "198.51.100.7"),  # one proxy exit node, two operators
    ], columns=["account", "kind", "item"])
    identity = pd.concat([identity, pd.DataFrame([("a2", "card", "k-9"), ("b1", "card", "k-9")],
                                                 columns=["account", "kind", "item"])])  # ...and one card
    found = group_campaigns("run", flagged, pd.DataFrame(), {}, identity, {"198.51.100.7"},
                            holders=pd.Series({"identifier:bank_account": 5000, "card": 5000, "ip": 5000}))
    groups = sorted(sorted(k.cluster_ids) for k in found)
    assert groups == [["run-c0001", "run-c0002"], ["run-c0003"], ["run-c0004"]]
    joined = next(k for k in found if len(k.cluster_ids) == 2)
    assert any("1 bank account" in r for r in joined.reasons), joined.reasons
