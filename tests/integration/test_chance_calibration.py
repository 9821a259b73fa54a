"""Scores measured against chance on a hand-built population with no request log: a device ring of
three created together is flagged, the same sharing by three accounts created weeks apart is a
multi-account (one household or one person), a carrier NAT of 300 strangers is not flagged, households
are listed apart, and an identifier kind the tool has never seen is evidence (detection/shared_evidence.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from detection.run import detect
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
