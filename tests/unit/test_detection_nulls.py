"""The nulls behind detection, on frames (no Neo4j): coincidences under the configuration null, a reuse
rate that fraud cannot talk down, sign-up synchrony, BH, campaigns that do not chain, small rings whole."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from detection import communities, fdr
from detection.campaigns import group_campaigns
from detection.shared_evidence import SharedEvidenceTests, coincidences
from detection.synchrony import SignupSynchrony

KINDS = ("card", "device")


def _population(people: int, rings: int = 0, ring_size: int = 10, seed: int = 0):
    """`people` accounts with their own card and device, one innocent pair sharing both, and `rings`
    rings of `ring_size` accounts on 2 cards and 2 devices each."""
    rows = []
    for i in range(people):
        for k in KINDS:
            rows.append((f"p{i}", k, f"{k}-p{i}"))
    for k in KINDS:  # the innocent pair: p1 holds p0's card and device as well
        rows.append(("p1", k, f"{k}-p0"))
    for r in range(rings):
        for j in range(ring_size):
            for k in KINDS:
                rows.append((f"r{r}-{j}", k, f"{k}-r{r}-{j % 2}"))
    inc = pd.DataFrame(rows, columns=["account", "kind", "item"]).drop_duplicates()
    inc["df"] = inc.groupby("item")["account"].transform("nunique")
    holdings = inc.groupby(["account", "kind"]).size().rename("items").reset_index()
    holders = inc.groupby("kind")["account"].nunique()
    groups = [["p0", "p1"]] + [[f"r{r}-{j}" for j in range(ring_size)] for r in range(rings)]
    tests = SharedEvidenceTests(holdings, inc[inc["df"] >= 2], pd.DataFrame(columns=["src", "dst"]),
                                inc["account"].nunique(), holders)
    return tests.test_groups(groups)


def test_fraud_rings_do_not_lower_an_innocent_pairs_surprise():
    alone = _population(2000)
    with_rings = _population(2000, rings=86)  # 860 ring accounts: 30 % of the population
    before = alone[alone["group"] == 0]["surprise"].sum()
    after = with_rings[with_rings["group"] == 0]["surprise"].sum()
    assert before > 3.0
    assert after >= before - 1e-9, (before, after)


def test_a_second_shared_item_is_a_coincidence_the_first_is_not():
    one = coincidences(2, [("device", 2, ["a", "b"])], {"device": 1001})
    two = coincidences(2, [("device", 2, ["a", "b"]), ("card", 2, ["a", "b"])], {"device": 1001, "card": 1001})
    assert one == {}
    assert sum(n for n, _ in two.values()) == 1
    assert sum(d for _, d in two.values()) == pytest.approx(3.0)  # chance 1 / 1000


def test_items_dealt_at_random_make_no_discovery():
    """The configuration null itself: deal every item to accounts at random (degrees kept), group the
    accounts that share anything, and BH at 1 % finds nothing."""
    rng = np.random.default_rng(3)
    accounts = [f"a{i}" for i in range(3000)]
    rows = []
    for k in ("card", "device", "ip"):
        dfs = rng.choice([1] * 90 + [2] * 8 + [3, 4], size=1400)
        holders = rng.permutation(np.repeat(np.arange(len(dfs)), dfs))
        acc = rng.permutation(len(accounts))[: len(holders)]
        rows += [(accounts[a], k, f"{k}{h}") for a, h in zip(acc, holders)]
    inc = pd.DataFrame(rows, columns=["account", "kind", "item"]).drop_duplicates(["account", "item"])
    inc["df"] = inc.groupby("item")["account"].transform("nunique")
    g = nx.Graph()
    for _, grp in inc[inc["df"] >= 2].groupby("item"):
        a = list(grp["account"])
        g.add_edges_from((a[0], b) for b in a[1:])
    groups = [sorted(c) for c in nx.connected_components(g)]
    holdings = inc.groupby(["account", "kind"]).size().rename("items").reset_index()
    tests = SharedEvidenceTests(holdings, inc[inc["df"] >= 2], pd.DataFrame(columns=["src", "dst"]), len(accounts),
                                inc.groupby("kind")["account"].nunique())
    per = tests.test_groups(groups).groupby("group")["surprise"].sum().reindex(range(len(groups)), fill_value=0)
    found, _ = fdr.benjamini_hochberg(-per.to_numpy(), 0.01)
    assert len(groups) > 100 and found.sum() == 0, per.sort_values().tail()


def test_benjamini_hochberg_matches_the_procedure():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    keep, cut = fdr.benjamini_hochberg(np.log10(p), 0.05)
    assert keep.tolist() == [True, True] + [False] * 8 and cut == pytest.approx(0.01)
    q = fdr.q_values(np.log10(p))
    assert q[0] == pytest.approx(0.01) and (np.diff(q[np.argsort(p)]) >= -1e-12).all()


def test_sign_ups_minutes_apart_are_a_burst_and_months_apart_are_not():
    rng = np.random.default_rng(0)
    everyone = pd.Series(rng.integers(0, 365 * 86400, 20000) // 60 * 60)
    sync = SignupSynchrony(everyone)
    burst, k, width = sync.surprise(np.array([1_000_000, 1_000_060, 1_000_120, 1_000_180, 1_000_240]))
    apart, _, _ = sync.surprise(np.array([1_000_000, 1_000_000 + 90 * 86400]))
    assert burst > 10 and k == 5 and width == 240
    assert apart < 1.0  # two random sign-ups fall within 90 days of each other about half the time
    assert SignupSynchrony(pd.Series([5] * 100)).surprise(np.array([5, 5]))[0] == 0.0  # a constant says nothing


def test_surprise_all_scores_each_group_as_surprise_does():
    rng = np.random.default_rng(1)
    created = pd.Series(rng.integers(0, 30 * 86400, 500) // 60 * 60, index=[f"a{i}" for i in range(500)],
                        dtype=float)
    created.iloc[::7] = np.nan  # accounts without a sign-up time
    sync = SignupSynchrony(created)
    groups = [[f"a{i}" for i in rng.choice(500, size, replace=False)] for size in (2, 3, 5, 40, 1)]
    groups.append(["a3", "not-an-account"])
    assert sync.surprise_all(groups, created) == [sync.surprise(created.reindex(g).to_numpy(dtype=float))
                                                  for g in groups]
    assert sync.surprise_all([], created) == []


def _flagged(*clusters):
    return [(cid, members, 5.0) for cid, members in clusters]


def _activity(pairs):
    return pd.DataFrame(pairs, columns=["account_id", "prompt_fingerprint"])


def test_two_operators_buying_one_prompt_kit_stay_two_campaigns():
    """Two clusters of 200 among 5,000 phone holders: one phone in common is a 4 % coincidence, and the
    kit is a vendor's (between two clusters of 20 the same phone would be a 0.4 % one, and join them)."""
    a = [f"a{i}" for i in range(200)]
    b = [f"b{i}" for i in range(200)]
    kit = [f"kit{t}" for t in range(5)]
    activity = _activity([(x, t) for x in a + b for t in kit])
    # ...plus one stray item: one account of each holds the same phone
    stray = pd.DataFrame([("a0", "identifier:phone", "ph-1", 2), ("b0", "identifier:phone", "ph-1", 2)],
                         columns=["account", "kind", "item", "df"])
    found = group_campaigns("run", _flagged(("c1", a), ("c2", b)), activity, {t: 400 for t in kit}, stray, set(),
                            holders=pd.Series({"identifier:phone": 5000}))
    assert sorted(k.cluster_ids for k in found) == [["c1"], ["c2"]]


def test_a_chain_whose_neighbours_share_one_item_each_stays_three():
    a, b, c = ([f"{p}{i}" for i in range(30)] for p in "abc")
    ident = pd.DataFrame([("a0", "card", "k1", 2), ("b0", "card", "k1", 2), ("b1", "device", "d1", 2),
                          ("c0", "device", "d1", 2)], columns=["account", "kind", "item", "df"])
    found = group_campaigns("run", _flagged(("c1", a), ("c2", b), ("c3", c)), pd.DataFrame(), {}, ident, set(),
                            holders=pd.Series({"card": 5000, "device": 5000}))
    assert len(found) == 3


def test_forty_card_groups_of_one_operator_are_one_campaign():
    groups = [(f"c{g:02d}", [f"g{g}-{i}" for i in range(5)]) for g in range(40)]
    kit = [f"kit{t}" for t in range(4)]
    activity = _activity([(a, t) for _, m in groups for a in m for t in kit])
    # every account creates its API keys from the operator's one address
    ident = pd.DataFrame([(a, "key_ip", "203.0.113.9", 200) for _, m in groups for a in m],
                         columns=["account", "kind", "item", "df"])
    found = group_campaigns("run", _flagged(*groups), activity, {t: 200 for t in kit}, ident, set(),
                            holders=pd.Series({"key_ip": 10000}))
    assert len(found) == 1 and len(found[0].cluster_ids) == 40


def test_a_small_ring_is_not_split():
    g = nx.Graph()
    for u, v in (("a", "b"), ("b", "c"), ("a", "c"), ("d", "e"), ("e", "f"), ("d", "f"), ("c", "d")):
        g.add_edge(u, v, weight=1.0)
    assert communities.louvain_communities(g) == [["a", "b", "c", "d", "e", "f"]]


def test_a_household_keeps_out_the_friends_its_members_referred():
    """Four accounts on one address, card and tablet; two friends tied to them by a referral each."""
    home = ["h1", "h2", "h3", "h4"]
    rows = [(u, v, 6.0, 6.0, 0.0) for i, u in enumerate(home) for v in home[i + 1:]]
    rows += [("h1", "f1", 1.37, 0.0, 1.37), ("h4", "f2", 1.37, 0.0, 1.37)]
    edges = pd.DataFrame(rows, columns=["u", "v", "weight", "identifier", "link"])
    g = communities.build_graph(edges)
    assert communities.louvain_communities(g, link_edges=edges) == [home]


def test_a_popular_items_expected_holders_in_a_large_group_are_no_coincidence():
    # 100 of 20,000 accounts use one client fingerprint; a group of 700 holds 5 of them beyond the first,
    # about what chance gives (99 x 699 / 19,999 = 3.5)
    ordinary = coincidences(700, [("identifier:tls_fingerprint", 100, [f"a{i}" for i in range(6)])]
                            + [("device", 2, [f"a{i}", f"a{i + 1}"]) for i in range(5)],
                            {"identifier:tls_fingerprint": 20000, "device": 20000})
    assert ordinary.get("identifier:tls_fingerprint", (0, 0.0))[1] < 1.0


def test_addresses_are_no_coincidence():
    """Two accounts that moved through 20 addresses of their provider's pool together and share a device:
    the device ties them, the addresses are no coincidence (pools are what groups are carved out of)."""
    rows = [(a, "ip", f"198.51.100.{i}", 2) for i in range(20) for a in ("u", "v")]
    rows += [(a, "device", "dev-1", 2) for a in ("u", "v")]
    shared = pd.DataFrame(rows, columns=["account", "kind", "item", "df"])
    holdings = pd.DataFrame([(a, k, n) for a in ("u", "v") for k, n in (("ip", 20), ("device", 1))],
                            columns=["account", "kind", "items"])
    tests = SharedEvidenceTests(holdings, shared, pd.DataFrame(columns=["src", "dst"]), 10000,
                                pd.Series({"ip": 10000, "device": 10000}))
    per = tests.test_groups([["u", "v"]])
    assert per["coincidences"].sum() == 0, per


def _waves(accounts, buckets):
    return [(a, b) for b in buckets for a in accounts[:3]]


def test_a_prompt_kit_and_synchronised_waves_join_two_card_groups_and_the_kit_alone_does_not():
    rng = np.random.default_rng(1)
    a, b, c = ([f"{p}{i}" for i in range(20)] for p in "abc")
    kit = [f"kit{t}" for t in range(4)]
    waves = rng.choice(4000, 60, replace=False)           # one dispatcher's waves, for a and b
    other = rng.choice(4000, 60, replace=False)           # c: same kit, its own times
    rows = _waves(a, waves) + _waves(b, waves) + _waves(c, other)
    activity = pd.DataFrame([(x, int(t), f"kit{i % 4}") for i, (x, t) in enumerate(rows)],
                            columns=["account_id", "bucket", "prompt_fingerprint"])
    found = group_campaigns("run", _flagged(("c1", a), ("c2", b), ("c3", c)), activity, {t: 9 for t in kit},
                            pd.DataFrame(columns=["account", "kind", "item", "df"]), set())
    assert sorted(sorted(k.cluster_ids) for k in found) == [["c1", "c2"], ["c3"]]


def test_sign_up_timing_alone_never_flags():
    from detection.scoring import Contribution, ScoredCluster, decide

    def cluster(feature: str, points: float) -> ScoredCluster:
        return ScoredCluster(members=["a", "b"], score=points, flagged=False,
                             contributions=[Contribution(feature, points, points, "")], evidence=points)

    ring = cluster("shared_evidence", 8.0)
    friends = cluster("creation_burst", 8.0)  # as strong, but only in time
    decide([ring, friends, *(cluster("shared_evidence", 6.0) for _ in range(5))], q=0.05, threshold=1.0)
    assert ring.flagged and not friends.flagged


def test_a_kind_everyone_holds_and_shares_describes_software_not_a_holder():
    """The identifier null (most holders hold a value of their own) fails for a TLS-hello-like kind, holds
    for phones, and is not judged on a kind few accounts hold (a ring's payout wallets: all shared)."""
    from detection.evidence import attribute_kinds

    accounts = 20_000
    holders = pd.Series({"identifier:tls_fingerprint": 19_700, "identifier:phone": 13_400,
                         "identifier:payment_instrument": 10, "device": 17_500, "ip": 19_000})
    sharers = pd.Series({"identifier:tls_fingerprint": 19_700, "identifier:phone": 800,
                         "identifier:payment_instrument": 10, "device": 1_200, "ip": 18_000})
    assert attribute_kinds(holders, sharers, accounts) == {"identifier:tls_fingerprint"}
    # the trap: a fleet that wants its phones ignored must make more than half of all phone holders share
    # (here 6,000 sharers still count as identifying; 6,800 of 13,400 no longer do)
    assert "identifier:phone" not in attribute_kinds(holders, sharers.replace(800, 6_000), accounts)
    assert attribute_kinds(holders, sharers.replace(800, 6_800), accounts) >= {"identifier:phone"}


def test_an_undeclared_organisation_is_named_by_a_domain_after_the_organisation_stated():
    from detection.scoring import _org_key

    stated = pd.Series(["Oakhaven Consulting", "Pixellabs", None, "Pixellabs", ""])
    domain = pd.Series(["oakhaven-consulting", "pixellabs", "pixellabs", "gmail", "gmail"])
    assert (_org_key(domain) == _org_key(stated)).tolist() == [True, True, False, False, False]
