"""Synchronised activity as linking evidence (detection/cosync.py): the test's calibration under its null
(pure, no server), blocking, explanation by an open identity, and the stealth scenario end to end."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, vstack

from detection import cosync


def _null_matrix(n: int, t: int, seed: int, hours: bool = False) -> tuple[csr_matrix, np.ndarray]:
    """Accounts active independently: bucket t with probability a_u w_t (busy and quiet buckets), and with
    `hours`, each account keeping to its own hours of the day."""
    rng = np.random.default_rng(seed)
    w = rng.gamma(0.7, 1.0, t)
    hour = np.arange(t) // 4 % 24
    w = w * (1 + np.sin(hour / 24 * 2 * np.pi))  # a day's rhythm
    w /= w.sum()
    a = rng.integers(3, 80, n)
    p = a[:, None] * w[None, :]
    if hours:  # each account prefers a few hours of the day
        pref = rng.gamma(0.5, 1.0, (n, 24))[:, hour]
        p = p * pref / (p * pref).sum(axis=1, keepdims=True) * a[:, None]
    p = np.minimum(p, 1.0)
    return csr_matrix((rng.random((n, t)) < p).astype(np.float32)), hour


def _all_pair_log10_p(m: csr_matrix, hours: bool) -> np.ndarray:
    u, v = np.triu_indices(m.shape[0], 1)
    return cosync.pair_tests(m, u, v, hours=hours)[2]


def test_co_activity_test_is_calibrated_under_its_null():
    """Under independent activity, P(p <= alpha) <= alpha at every level (the Poisson bound is conservative),
    also with uneven busyness."""
    m, _ = _null_matrix(1500, 2000, seed=1)
    lp = _all_pair_log10_p(m, False)
    for alpha in (1e-1, 1e-2, 1e-3, 1e-4):
        assert (lp <= np.log10(alpha)).mean() <= alpha, alpha


def test_hour_profiles_keep_people_with_the_same_working_hours_apart():
    """Accounts that keep to their own hours of the day: the busyness-only null calls too many pairs
    synchronised, the null that keeps each account's hours stays calibrated."""
    m, hour = _null_matrix(1500, 2000, seed=2, hours=True)
    plain = _all_pair_log10_p(m, False)
    kept = _all_pair_log10_p(m, True)
    assert (plain <= -4).mean() > 1e-4, "the plain null is fooled by shared hours"
    for alpha in (1e-2, 1e-3, 1e-4):
        assert (kept <= np.log10(alpha)).mean() <= alpha, alpha


def _fleet_among_people(seed: int = 3) -> tuple[np.ndarray, csr_matrix, np.ndarray, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    t, people, fleet, org = 96 * 28, 1500, 40, 30
    rows = []
    for _ in range(people):  # a few sessions of two buckets at their own times
        start = rng.integers(0, t - 2, rng.poisson(8) + 1)
        rows.append(np.unique(np.concatenate([start, start + 1])))
    waves = np.sort(rng.choice(t, 120, replace=False))
    for _ in range(fleet):  # a dispatcher's waves, each account in about a third of them
        rows.append(waves[rng.random(len(waves)) < 0.33])
    nightly = np.arange(8, t, 96)
    for _ in range(org):  # one company's nightly jobs
        rows.append(nightly[rng.random(len(nightly)) < 0.95])
    ids = np.array([f"p{i:05d}" for i in range(people)] + [f"f{i:03d}" for i in range(fleet)]
                   + [f"o{i:03d}" for i in range(org)], dtype=object)
    r = np.concatenate([np.full(len(x), i) for i, x in enumerate(rows)])
    c = np.concatenate(rows)
    m = csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(ids), t))
    m.data[:] = 1
    return ids, m, np.arange(t) // 4 % 24, [a for a in ids if a.startswith("f")], [a for a in ids if a.startswith("o")]


def test_sessions_over_several_buckets_count_once():
    """People whose sessions run over two buckets: counting buckets calls pairs who met in a few sessions
    synchronised; counting runs does not."""
    ids, m, _, fleet, org = _fleet_among_people()
    people = np.flatnonzero(np.char.startswith(ids.astype(str), "p"))
    u, v = np.triu_indices(len(people), 1)
    u, v = people[u], people[v]
    shared_buckets = cosync.pair_counts(m, u, v)
    a, s2 = cosync.expected_overlap(m)
    by_bucket = cosync.log10_tail(shared_buckets, a[u] * a[v] * s2)
    by_run = cosync.pair_tests(m, u, v)[2]
    bar = np.log10(0.05 / len(u))
    assert (by_bucket <= bar).sum() > 0 and (by_run <= bar).sum() == 0


def test_a_fleet_is_one_group_and_an_open_identity_explains_its_nightly_jobs():
    ids, m, _, fleet, org = _fleet_among_people()
    plain = cosync.co_activity_links(ids, m)
    groups = cosync.components(plain, 2)
    assert sorted(map(sorted, groups)) == sorted([sorted(fleet), sorted(org)])
    explained = cosync.co_activity_links(ids, m, org_of=pd.Series("org-corvid", index=org))
    assert cosync.components(explained, 2) == [sorted(fleet)]
    assert explained.explained > 0
    assert cosync.tree_decades(explained, fleet) > 0


def test_candidates_grow_with_activity_not_its_square():
    ids, m, _, fleet, _ = _fleet_among_people()
    u, v = cosync.candidate_pairs(m, peers=4)
    assert len(u) <= 4 * m.nnz
    assert (u < v).all()
    inside = np.isin(ids[u], fleet) & np.isin(ids[v], fleet)
    assert inside.sum() >= 0.5 * len(fleet) * (len(fleet) - 1) / 2, "most fleet pairs meet in some bucket"


def test_merge_groups_lays_synchronised_groups_over_the_community_step():
    groups = [["f1", "f2", "x9"], ["a", "b"], ["c", "f3", "d"]]
    merged, synced = cosync.merge_groups(groups, [["f1", "f2", "f3", "f4"]], min_group=2)
    assert merged[0] == ["f1", "f2", "f3", "f4", "x9"]  # the leaked group is the fleet's
    assert ["a", "b"] in merged and ["c", "d"] in merged
    assert synced == {0}


def _tiny_log_store(home, monkeypatch) -> None:
    """A request log of three accounts in a throwaway home (no server)."""
    monkeypatch.setenv("RINGTRACE_HOME", str(home))
    store = home / "logstore" / "exchanges"
    store.mkdir(parents=True)
    ts = pd.to_datetime(["2026-09-01T10:00:00Z", "2026-09-01T10:05:00Z", "2026-09-02T03:00:00Z"] * 3, utc=True)
    pd.DataFrame({"request_id": [f"r{i}" for i in range(9)], "account_id": ["a1"] * 3 + ["a2"] * 3 + ["b' OR '1'='1"] * 3,
                  "ts": ts.as_unit("us"), "ip": "100.64.0.1", "model": "sol-3", "category": "chat",
                  "prompt_fingerprint": "t", "input_tokens": 100, "output_tokens": 200, "user_agent": "ua",
                  "tls_fingerprint": "tls-1", "_row": range(9)}).to_parquet(store / "x.parquet", index=False)


def test_fingerprints_and_similar_take_account_ids_as_data(tmp_path, monkeypatch):
    """An account id that looks like SQL is one account's id, never a filter: the seeds' own rows only."""
    from detection import behaviour, similar

    _tiny_log_store(tmp_path, monkeypatch)
    prof = behaviour.profiles(["x' OR '1'='1"], pd.DataFrame(columns=["model", "released"]))
    assert prof.empty
    prof = behaviour.profiles(["b' OR '1'='1"], pd.DataFrame(columns=["model", "released"]))
    assert list(prof["account_id"]) == ["b' OR '1'='1"] and prof["client_tls_fingerprint"].iloc[0] == "tls-1"
    import pytest

    from ringtrace.core.errors import RingtraceError

    with pytest.raises(RingtraceError, match="None of the given accounts"):
        similar.rank(["x' OR '1'='1"], pd.DataFrame(columns=["model", "released"]))
    ranked = similar.rank(["a1"], pd.DataFrame(columns=["model", "released"]), top=5)
    assert {r.account for r in ranked} == {"a2", "b' OR '1'='1"}


def _release_rush(seed: int = 4) -> tuple[np.ndarray, csr_matrix, list[str]]:
    """People with their own sessions over three months; on each of three release days a fifth of them try the
    new model in a burst over the same evening (the blind scenario's release-day rush, which linked 1,391 pairs
    of innocent accounts there, most over one to three days), and a fleet's waves recur for weeks."""
    rng = np.random.default_rng(seed)
    t, people, fleet = 96 * 90, 1200, 30
    rows = []
    release_days = (15, 45, 75)
    for _ in range(people):
        start = rng.integers(0, t - 2, rng.poisson(20) + 1)
        own = [start, start + 1]
        for d in release_days:  # a burst over the evening everyone tries the new model
            if rng.random() < 0.2:
                own.append(d * 96 + 72 + rng.choice(20, rng.integers(8, 14), replace=False))
        rows.append(np.unique(np.concatenate(own)))
    waves = np.sort(rng.choice(t, 240, replace=False))
    for _ in range(fleet):
        rows.append(waves[rng.random(len(waves)) < 0.4])
    ids = np.array([f"p{i:05d}" for i in range(people)] + [f"f{i:03d}" for i in range(fleet)], dtype=object)
    r = np.concatenate([np.full(len(x), i) for i, x in enumerate(rows)])
    m = csr_matrix((np.ones(len(r), dtype=np.float32), (r, np.concatenate(rows))), shape=(len(ids), t))
    m.data[:] = 1
    return ids, m, [a for a in ids if a.startswith("f")]


def test_a_release_day_rush_is_one_coincidence_a_day_and_links_nobody():
    """The trap for the co-activity null: a fifth of everyone in a burst on the same three evenings. Counted
    by runs, people who rushed together link and chain; counted by days, only the fleet links."""
    ids, m, fleet = _release_rush()
    links = cosync.co_activity_links(ids, m)
    assert cosync.components(links, 2) == [sorted(fleet)]
    people = ~np.char.startswith(ids[links.u].astype(str), "f") | ~np.char.startswith(ids[links.v].astype(str), "f")
    assert not people.any()


def test_accounts_that_follow_a_fleets_waves_join_it_and_nobody_else_does():
    """Fleet accounts sent into few of the dispatcher's waves meet each other member too rarely for a pair
    link; tested against the fleet's waves (attach) they join it, and none of the people or the company's
    nightly jobs do. The trap: a person who happens to be active at the fleet's busiest hours every day."""
    ids, m, _, fleet, org = _fleet_among_people()
    fl = np.flatnonzero(np.isin(ids, fleet))
    waves = np.flatnonzero(np.asarray(m[fl].sum(axis=0)).ravel() >= 5)
    rng = np.random.default_rng(9)
    followers = [waves[rng.random(len(waves)) < 0.12] for _ in range(15)]
    day_hours = np.arange(m.shape[1]) // 4 % 24
    busiest = np.bincount(day_hours[waves], minlength=24).argmax()
    regular = np.flatnonzero(day_hours == busiest)  # every day, in the fleet's busiest hour
    rows = followers + [regular]
    r = np.concatenate([np.full(len(x), i) for i, x in enumerate(rows)])
    extra = csr_matrix((np.ones(len(r), dtype=np.float32), (r, np.concatenate(rows))), shape=(len(rows), m.shape[1]))
    names = np.array([f"w{i:02d}" for i in range(15)] + ["regular"], dtype=object)
    ids2, m2 = np.concatenate([ids, names]), vstack([m, extra]).tocsr()
    links = cosync.co_activity_links(ids2, m2, hours=True, org_of=pd.Series("org-corvid", index=org))
    paired = {a for g in cosync.components(links, 2) for a in g}
    groups = cosync.attach(links, m2, np.arange(m2.shape[1]), 2, org_of=pd.Series("org-corvid", index=org))
    joined = {a for g in groups for a in g} - paired
    assert len(groups) == 1 and set(fleet) <= set(groups[0])
    assert joined and all(a.startswith("w") for a in joined), joined
    assert len({a for a in groups[0] if a.startswith("w")}) >= 12
    assert cosync.tree_decades(links, groups[0]) > cosync.tree_decades(links, sorted(paired))


def test_a_fleet_busy_enough_to_make_its_own_waves_busy_still_gets_its_followers():
    """The trap for attach's busyness: 400 fleet accounts among 1,500 people, 300 of them sent into a tenth of
    the 120 waves. Their own activity makes the wave buckets the busiest of the month, so with each bucket's
    own count as its busyness the followers are charged for the fleet they follow (193 of 400 in the group);
    with the day's share times the hour's they join (392), and no person does."""
    rng = np.random.default_rng(5)
    t, people = 96 * 28, 1500
    rows = []
    for _ in range(people):
        start = rng.integers(0, t - 2, rng.poisson(8) + 1)
        rows.append(np.unique(np.concatenate([start, start + 1])))
    waves = np.sort(rng.choice(t, 120, replace=False))
    for p in np.r_[np.full(100, 0.33), np.full(300, 0.1)]:
        rows.append(waves[rng.random(len(waves)) < p])
    ids = np.array([f"p{i:05d}" for i in range(people)] + [f"f{i:03d}" for i in range(400)], dtype=object)
    r = np.concatenate([np.full(len(x), i) for i, x in enumerate(rows)])
    m = csr_matrix((np.ones(len(r), dtype=np.float32), (r, np.concatenate(rows))), shape=(len(ids), t))
    m.data[:] = 1
    links = cosync.co_activity_links(ids, m, hours=True)
    groups = cosync.attach(links, m, np.arange(t), 2)
    assert len(groups) == 1 and all(a.startswith("f") for a in groups[0])
    assert len(groups[0]) >= 380
