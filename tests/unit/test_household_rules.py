"""Households and rings told apart on frames (no Neo4j): the burst a household can show, and households
side by side that one colliding home address ties into one group."""
from __future__ import annotations

import numpy as np
import pandas as pd

from detection.evidence import Evidence
from detection.scoring import Scorer
from detection.synchrony import SignupSynchrony

DAY_S = 86_400
START = 1_772_323_200  # 2026-03-01
KINDS = ("card", "device", "identifier:postal_address", "ip")


def _accounts(created: dict[str, int]) -> pd.DataFrame:
    ids = list(created)
    frame = pd.DataFrame({"account": ids, "created": [created[a] for a in ids], "verified": False,
                          "claimed_org": None, "email_domain": None, "domain_org": None, "requests": 0, "tokens": 0})
    for c in ("cot_elicitation", "tool_use", "agentic", "coding", "reasoning", "vision"):
        frame[f"req_{c}"] = 0
    return frame


def _scorer(held: list[tuple[str, str, str]], created: dict[str, int], links=()) -> Scorer:
    """A Scorer over (account, kind, item) holdings, sign-up times, and money links (src, dst)."""
    inc = pd.DataFrame(held, columns=["account", "kind", "item"]).drop_duplicates()
    inc["df"] = inc.groupby(["kind", "item"])["account"].transform("nunique")
    holders = inc.groupby("kind")["account"].nunique()
    ev = Evidence(incidence={}, holders=holders, shared_items=inc[inc["df"] >= 2].reset_index(drop=True),
                  accounts=_accounts(created), cards=pd.DataFrame(columns=["account", "card", "billed_org"]),
                  links=pd.DataFrame(list(links), columns=["src", "dst"]).assign(kind="transfer"),
                  proxy_exits=pd.DataFrame(columns=["ip", "service", "service_name"]), datacenter_ips=set(),
                  vpn_ips=set(), organisations=pd.DataFrame(columns=["org_id", "name"]),
                  releases=pd.DataFrame(columns=["model", "released"]), load_runs=[],
                  holdings=inc.groupby(["account", "kind"]).size().rename("items").reset_index())
    activity = pd.DataFrame(columns=["account_id", "bucket", "ip", "model", "prompt_fingerprint", "ts", "requests"])
    return Scorer(ev, activity, pd.DataFrame(columns=["prompt_fingerprint", "users"]))


def _population(people: int = 20_000, homes: int = 600, seed: int = 0):
    """`people` accounts with items of their own, signed up over 60 days; `homes` homes of 2-3 of them
    sharing one card, one device, one postal address and one home address."""
    rng = np.random.default_rng(seed)
    created = {f"p{i}": int(START + rng.integers(0, 60 * DAY_S)) for i in range(people)}
    home_of, groups, at = {}, [], 0
    for h in range(homes):
        members = [f"p{i}" for i in range(at, at + int(rng.integers(2, 4)))]
        at += len(members)
        home_of.update({a: f"home{h}" for a in members})
        groups.append(members)
    held = [(a, k, f"{k}-{home_of.get(a, a)}") for a in created for k in KINDS]
    return held, created, groups


def _two_homes_of_three(groups):
    a, b = [g for g in groups if len(g) == 3][:2]
    return a, b


def test_a_pair_signing_up_together_is_no_burst_a_scripts_three_are():
    """The household null leaves one pair free: two accounts a second apart score 0, though the scan
    statistic that treats every member as independent gives them more than the family-wise bar."""
    rng = np.random.default_rng(0)
    sync = SignupSynchrony(pd.Series(START + rng.integers(0, 60 * DAY_S, 30_000)))
    t = START + 20 * DAY_S
    assert sync.surprise(np.array([t, t + 1]))[0] > np.log10(1_000 / 0.05)  # independent draws: a burst
    assert sync.burst(np.array([t, t + 1])) == 0.0
    assert sync.burst(np.array([t, t + 1, t + 3, t + 7, t + 9])) > 10  # a script's five sign-ups in 9 s
    assert sync.burst(np.array([t, t + 1, t + 40 * DAY_S])) < 1.0  # the third came weeks later


def test_a_home_whose_pair_signed_up_a_second_apart_is_a_household():
    held, created, groups = _population()
    home = groups[0]
    created[home[1]] = created[home[0]] + 1
    scored = _scorer(held, created).score_all(groups)
    assert scored[0].multi_account is not None, scored[0].reasons
    assert all(c.multi_account for c in scored)


def test_two_households_tied_by_one_home_address_are_two_households():
    """Two homes whose home addresses collide are one group of accounts found by that address; the address
    is how they were found and no evidence that they are one group: listed as households, not flagged."""
    held, created, groups = _population()
    a, b = _two_homes_of_three(groups)
    held = [(x, k, "ip-home0" if k == "ip" and x in a + b else i) for x, k, i in held]
    scored = _scorer(held, created).score_all([a + b] + [g for g in groups if g not in (a, b)])
    assert scored[0].multi_account is not None and "2 households side by side" in scored[0].multi_account, \
        scored[0].reasons


def test_two_households_tied_by_two_items_are_one_group():
    """The control: a second item between the same two homes (a card) lands on homes already tied, a
    coincidence between them, and they are judged as one group of 5+ (not listed as households)."""
    held, created, groups = _population()
    a, b = _two_homes_of_three(groups)
    held = [(x, k, "ip-home0" if k == "ip" and x in a + b else i) for x, k, i in held]
    held += [(b[0], "card", "card-home0")]
    scored = _scorer(held, created).score_all([a + b] + [g for g in groups if g not in (a, b)])
    assert scored[0].multi_account is None


def test_households_side_by_side_with_money_between_them_are_a_ring():
    held, created, groups = _population()
    a, b = _two_homes_of_three(groups)
    held = [(x, k, "ip-home0" if k == "ip" and x in a + b else i) for x, k, i in held]
    scored = _scorer(held, created, links=[(a[0], b[0])]).score_all([a + b] + [g for g in groups if g not in (a, b)])
    assert scored[0].multi_account is None



def test_a_pair_on_one_device_signing_up_in_one_minute_is_no_household():
    """The burst rule frees one pair from being a ring's sign, not from being close: two accounts on one
    device and one address (no home address) created in the same minute show no household's sign (the
    e-commerce data's bot pairs) and are not listed apart."""
    held, created, groups = _population(people=5_000, homes=0)
    pair = ["p0", "p1"]
    held = [(x, k, {"device": "device-bot", "ip": "ip-bot"}.get(k, i) if x in pair else i) for x, k, i in held]
    held = [r for r in held if not (r[0] in pair and r[1] in ("card", "identifier:postal_address"))]
    created["p0"] = created["p1"] = START + 20 * DAY_S
    scored = _scorer(held, created).score_all([pair])
    assert scored[0].multi_account is None, scored[0].reasons
    created["p1"] = START + 50 * DAY_S  # the control: the same pair a month apart is one person's two accounts
    assert _scorer(held, created).score_all([pair])[0].multi_account is not None
