"""Scores measured against chance on a hand-built population with no request log: a device ring of
three created together is flagged, the same sharing by three accounts created weeks apart is a
multi-account (one household or one person), a carrier NAT of 300 strangers is not flagged, households
are listed apart, and an identifier kind the tool has never seen is evidence (detection/shared_evidence.py)."""
from __future__ import annotations

import pytest

from detection.shared_evidence import SharedEvidenceTests, tail_surprise


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
