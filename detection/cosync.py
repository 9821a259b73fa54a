"""Synchronised activity as linking evidence: accounts co-active in more time buckets than chance allows.

SynchroTrap (Cao et al., CCS 2014) and CopyCatch (Beutel et al., WWW 2013) find fleets by loosely
synchronised actions. Here the rule is a test with a stated null. Accounts x time buckets (15 minutes) is a
0/1 matrix; account u was active in ``a_u`` buckets and bucket t holds ``c_t`` active accounts, a share
``w_t = c_t / sum(c)`` of all activity. **Null** (independent activity given each account's activity and each
bucket's busyness): u is active in bucket t with probability ``a_u w_t``, independently of v. The number X of
buckets both are active in is then a sum of independent Bernoullis with mean ``lambda = a_u a_v sum_t w_t^2``,
and for k >= lambda + 1 its tail is at most the Poisson tail (Hoeffding 1956, Anderson & Samuels 1967), itself
bounded by ``pmf(k) / (1 - lambda / (k + 1))``: the test is the **Poisson tail of co-activity counts**, conservative.
What is counted is days, not buckets (PairNull): whatever one day brings everyone to do at once, a release-day
rush or an outage, is one coincidence, while a dispatcher's waves recur day after day.

Links are decided family-wise: a pair links when its p-value is at most ``alpha / M``, ``M = N (N - 1) / 2``
every pair of the N active accounts (Bonferroni over all pairs, tested or not, so choosing candidates by their
overlap costs nothing): Benjamini-Hochberg would be lenient exactly where a fleet brings 100,000 true links,
and one false link hangs an innocent account on a fleet. The clusters these links form are then tested like
every other cluster (BH over the run's clusters, detection/fdr.py), their evidence being the decades each link
of a maximum spanning tree carries beyond the charge ``log10 M`` for having searched every pair.

Candidates without all pairs (blocking): in each bucket its accounts are put in a random order and each is paired
with the next ``COSYNC_PEERS`` (all pairs when the bucket is that small), so candidates grow with the activity,
not its square; a fleet pair co-active in 20 busy buckets is almost surely a candidate in one of them, and the
overlap of every candidate is then counted over all buckets.

Open identity: a link between two accounts that openly identify the same organisation (at least two of: an email
domain it controls, its name typed at sign-up, a card billed to it, most requests from its network) is explained,
not evidence: one company's nightly jobs or one course's lab hours are synchronised by design.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.special import gammaln

from detection import behaviour
from detection.behaviour_reasons import group_reason
from detection.scoring import Contribution
from ringtrace.core import config
from ringtrace.core.memory import release_freed_memory

LN10 = np.log(10.0)
PAIR_CHUNK = 200_000
KERNEL_MIN_PAIRS = 1_000_000  # pairs tested at once from which the compiled kernel pays for importing numba
BLOCK_CELLS = 1_000_000    # active cells whose candidates are made and tested at once
OPEN_IDENTITY_MIN_SIGNALS = 2
NETWORK_SHARE = 0.5        # most of an account's requests from an organisation's network is one signal
WAVE_MIN_SHARE = 0.1       # a bucket is one of the group's waves when a tenth of its members act in it
WAVE_MIN_ACCOUNTS = 5


def expected_overlap(m: csr_matrix) -> tuple[np.ndarray, float]:
    """Per account its active buckets a_u, and S2 = sum_t w_t^2 (lambda_uv = a_u a_v S2)."""
    a = np.asarray(m.sum(axis=1)).ravel()
    c = np.asarray(m.sum(axis=0)).ravel()
    total = c.sum()
    s2 = float(((c / total) ** 2).sum()) if total else 0.0
    return a, s2


def hour_profiles(m: csr_matrix, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per account its activity by hour of day relative to everyone's (R, accounts x 24), and per hour
    S2_h = sum over that hour's buckets of w_t^2: with p_ut = a_u w_t R_u[h(t)] (still summing to a_u),
    lambda_uv = a_u a_v sum_h R_u[h] R_v[h] S2_h, so two people who both work afternoons are not in step."""
    c = np.asarray(m.sum(axis=0)).ravel()
    w = c / max(c.sum(), 1)
    onehot = csr_matrix((np.ones(len(hours)), (np.arange(len(hours)), hours)), shape=(len(hours), 24))
    share = np.asarray(onehot.T @ w).ravel()
    s2h = np.asarray(onehot.T @ (w ** 2)).ravel()
    per_hour = np.asarray((m @ onehot).todense())
    a = per_hour.sum(axis=1, keepdims=True)
    r = np.divide(per_hour / np.maximum(a, 1), share[None, :], out=np.zeros_like(per_hour), where=share[None, :] > 0)
    return r, s2h


def log10_tail(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """An upper bound on log10 P(X >= k) for X a sum of independent Bernoullis of mean lam (0 where k < lam + 1)."""
    k = np.asarray(k, dtype=float)
    lam = np.maximum(np.asarray(lam, dtype=float), 1e-300)
    ok = k >= lam + 1
    kk = np.where(ok, k, 1.0)
    log_pmf = kk * np.log(lam) - lam - gammaln(kk + 1)
    bound = (log_pmf - np.log1p(-np.minimum(lam / (kk + 1), 1 - 1e-12))) / LN10
    return np.where(ok, np.minimum(bound, 0.0), 0.0)


def candidate_pairs(m: csr_matrix, peers: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (u < v) pairs: in every bucket, each account with the next `peers` in a random order."""
    col = m.tocsc()
    rng = np.random.default_rng(seed)
    rows = col.indices.astype(np.int64)
    counts = np.diff(col.indptr).astype(np.int64)
    bucket = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((rng.random(len(rows)), bucket))
    rows = rows[order]
    start = np.repeat(col.indptr[:-1].astype(np.int64), counts)
    size = np.repeat(counts, counts)
    pos = np.arange(len(rows)) - start
    us, vs = [], []
    for s in range(1, peers + 1):
        keep = size > s  # a bucket of c accounts has c - 1 partners per account
        partner = start + (pos + s) % np.maximum(size, 1)
        u, v = rows[keep], rows[partner[keep]]
        us.append(np.minimum(u, v))
        vs.append(np.maximum(u, v))
    if not us:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    pair = np.sort(np.concatenate(us) * m.shape[0] + np.concatenate(vs))
    pair = pair[np.concatenate([[True], pair[1:] != pair[:-1]])] if len(pair) else pair  # sorted, distinct
    return pair // m.shape[0], pair % m.shape[0]


def pair_counts(m: csr_matrix, u: np.ndarray, v: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Buckets both accounts of each pair were active in (each bucket counted by `weights`, default 1)."""
    out = np.empty(len(u), dtype=np.int64)
    for s in range(0, len(u), PAIR_CHUNK):
        both = m[u[s:s + PAIR_CHUNK]].multiply(m[v[s:s + PAIR_CHUNK]])
        out[s:s + PAIR_CHUNK] = np.rint(np.asarray(both.sum(axis=1)).ravel() if weights is None
                                        else both @ weights).astype(np.int64)
    return out


def day_of_bucket(columns: int, buckets: np.ndarray, bucket_s: int) -> csr_matrix:
    """columns x days, 1 where a column's bucket falls on that day (UTC)."""
    day = np.asarray(buckets, dtype=np.int64) * bucket_s // 86_400
    _, index = np.unique(day, return_inverse=True)
    days = int(index.max()) + 1 if columns else 0
    return csr_matrix((np.ones(columns), (np.arange(columns), index)), shape=(columns, days))


def pair_days(m: csr_matrix, u: np.ndarray, v: np.ndarray, day: csr_matrix) -> np.ndarray:
    """Distinct days on which both accounts of each pair were active in one same bucket."""
    out = np.empty(len(u), dtype=np.int64)
    for s in range(0, len(u), PAIR_CHUNK):
        both = m[u[s:s + PAIR_CHUNK]].multiply(m[v[s:s + PAIR_CHUNK]]).tocsr() @ day
        out[s:s + PAIR_CHUNK] = np.asarray((both > 0).sum(axis=1)).ravel()
    return out


@dataclass
class Links:
    """Significant, unexplained co-activity links between accounts (indices into `accounts`)."""

    accounts: np.ndarray
    u: np.ndarray
    v: np.ndarray
    shared: np.ndarray
    expected: np.ndarray
    log10_p: np.ndarray
    pairs_searched: float          # M: every pair of active accounts
    candidates: int                # pairs tested (a pair met again in a later block of buckets counts again)
    explained: int = 0
    groups: list[list[str]] = field(default_factory=list)
    matrix: csr_matrix | None = None  # accounts x buckets, for describing groups
    attached: dict[str, float] = field(default_factory=dict)  # account -> decades beyond its charge (attach)

    @property
    def charge(self) -> float:
        return float(np.log10(max(self.pairs_searched, 1.0)))


def continued(m: csr_matrix, buckets: np.ndarray | None = None) -> csr_matrix:
    """1 where an account is active in a bucket and in the one just before it (a session going on)."""
    b = np.arange(m.shape[1]) if buckets is None else np.asarray(buckets)
    adjacent = np.flatnonzero(np.diff(b) == 1) + 1  # column j follows column j - 1 in time
    shift = csr_matrix((np.ones(len(adjacent)), (adjacent - 1, adjacent)), shape=(m.shape[1], m.shape[1]))
    return m.multiply(m @ shift).tocsr()


class PairNull:
    """The null's per-account and per-bucket parts, computed once; `test` scores any pairs against them.

    One day's shared activity is one event, however many buckets it spans: a session running over several
    buckets, a release-day rush, an outage's retries. The count is of shared *days* (days on which both were
    active in one same bucket), independent under the null because buckets are. Its mean is at most the mean
    number of shared *runs* (maximal stretches of consecutive buckets both are active in; a day with a shared
    bucket holds at least one), which is the bucket mean scaled by (L_u + L_v - 1) / (L_u L_v), L the account's
    mean run length (two runs of lengths L_u, L_v overlap when their starts lie within L_u + L_v - 1 buckets of
    each other); the Poisson tail grows with its mean, so the test stays conservative. With `hours` the null
    also keeps each account's hours of the day (hour_profiles)."""

    def __init__(self, m: csr_matrix, buckets: np.ndarray | None = None, hours: bool = False,
                 bucket_s: int = config.COSYNC_BUCKET_S) -> None:
        self.m = m
        self.a, self.s2 = expected_overlap(m)
        self.cont = continued(m, buckets)
        self.runs = np.maximum(self.a - np.asarray(self.cont.sum(axis=1)).ravel(), 1)
        self.length = np.maximum(self.a / self.runs, 1.0)
        b = np.arange(m.shape[1]) if buckets is None else np.asarray(buckets, dtype=np.int64)
        self.day = day_of_bucket(m.shape[1], b, bucket_s)
        self.days = np.asarray((m @ self.day > 0).sum(axis=1)).ravel()
        self.hours = hours
        self._kernel_input: tuple | None = None
        if hours:
            self.r, self.s2h = hour_profiles(m, bucket_hours(b, bucket_s))

    def test(self, u: np.ndarray, v: np.ndarray, bar: float | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(shared days, the bound on their mean under the null, log10 p) for the pairs (u, v). With `bar`, pairs
        that could not reach it even if every active day of the less active one were shared are not counted
        (their shared days and log10 p are reported as 0). Many pairs go to the compiled kernel, few to the
        scipy reference (the same figures)."""
        return self.kernel(u, v, bar) if len(u) >= KERNEL_MIN_PAIRS else self.reference(u, v, bar)

    def kernel(self, u: np.ndarray, v: np.ndarray, bar: float | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`test` compiled (detection/cosync_kernel.py)."""
        # deferred: importing numba takes 1-2.4 s (measured), more than the whole co-activity step on the
        # 5,000-account sample (1.2 s), which never reaches KERNEL_MIN_PAIRS
        from detection import cosync_kernel

        if self._kernel_input is None:
            csr = self.m.tocsr()
            csr = csr if csr.has_sorted_indices else csr.sorted_indices()
            r, s2h = (self.r, self.s2h) if self.hours else (np.ones((self.m.shape[0], 1)), np.array([self.s2]))
            self._kernel_input = (csr.indptr.astype(np.int64), csr.indices.astype(np.int32),
                                  self.day.indices.astype(np.int64),  # each column's day: one 1 per row of `day`
                                  self.a.astype(np.float64), self.length.astype(np.float64), r, s2h,
                                  self.days.astype(np.float64))
        indptr, indices, day_of_col, a, length, r, s2h, days = self._kernel_input
        return cosync_kernel.pair_tests(indptr, indices, day_of_col, a, length, r, s2h, days, u, v, bar)

    def reference(self, u: np.ndarray, v: np.ndarray, bar: float | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`test` in scipy sparse products (slow at scale; the kernel's check)."""
        a, length = self.a, self.length
        scale = (length[u] + length[v] - 1) / (length[u] * length[v])
        if not self.hours:
            lam = a[u] * a[v] * self.s2 * scale
        else:
            lam = scale * (np.concatenate([a[u[i:i + PAIR_CHUNK]] * a[v[i:i + PAIR_CHUNK]]
                                           * ((self.r[u[i:i + PAIR_CHUNK]] * self.r[v[i:i + PAIR_CHUNK]]) @ self.s2h)
                                           for i in range(0, len(u), PAIR_CHUNK)]) if len(u) else np.zeros(0))
        shared = np.zeros(len(u), dtype=np.int64)
        need = np.ones(len(u), dtype=bool) if bar is None else \
            log10_tail(np.minimum(self.days[u], self.days[v]), lam) <= bar  # shared days <= either's days
        if need.any():
            shared[need] = pair_days(self.m, u[need], v[need], self.day)
        return shared, lam, np.where(need, log10_tail(shared, lam), 0.0)


def pair_tests(m: csr_matrix, u: np.ndarray, v: np.ndarray, buckets: np.ndarray | None = None,
               hours: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shared days, the bound on their mean under the null, log10 p) for the pairs (u, v) (PairNull)."""
    return PairNull(m, buckets, hours).test(u, v)


def _column_blocks(m: csr_matrix, cells: int) -> list[np.ndarray]:
    """Consecutive runs of columns holding about `cells` active cells each."""
    per = np.diff(m.tocsc().indptr)
    edges = np.searchsorted(np.cumsum(per), np.arange(cells, per.sum() + cells, cells), side="right")
    edges = np.unique(np.concatenate([[0], np.minimum(edges, len(per))]))
    return [np.arange(lo, hi) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]


def co_activity_links(accounts: np.ndarray, m: csr_matrix, fwer: float | None = None,
                      peers: int = config.COSYNC_PEERS, org_of: pd.Series | None = None, seed: int = 0,
                      buckets: np.ndarray | None = None, hours: bool = False, block_cells: int = BLOCK_CELLS) -> Links:
    """The pairs co-active beyond chance at family-wise error `fwer` over all pairs (PairNull), less those an
    open identity explains (`org_of`: account -> the organisation it openly identifies). `buckets`: each
    column's bucket number (default: consecutive). Candidates are made and tested a block of buckets at a
    time (`block_cells` active cells), so memory holds one block's candidates and the links found."""
    n = m.shape[0]
    pairs = n * (n - 1) / 2
    null = PairNull(m, buckets, hours)
    fwer = config.COSYNC_FWER if fwer is None else fwer
    bar = np.log10(fwer) - np.log10(max(pairs, 1.0))
    found, candidates, linked = [], 0, np.zeros(0, dtype=np.int64)
    for i, cols in enumerate(_column_blocks(m, block_cells)):
        bu, bv = candidate_pairs(m[:, cols], peers, seed + i)
        fresh = ~np.isin(bu * n + bv, linked)  # a pair linked in an earlier block is not tested again
        bu, bv = bu[fresh], bv[fresh]
        candidates += len(bu)
        shared, lam, lp = null.test(bu, bv, bar)
        ok = lp <= bar
        found.append(pd.DataFrame({"u": bu[ok], "v": bv[ok], "shared": shared[ok], "lam": lam[ok], "lp": lp[ok]}))
        linked = np.union1d(linked, bu[ok] * n + bv[ok])
    got = pd.concat(found, ignore_index=True).drop_duplicates(["u", "v"]) if found else \
        pd.DataFrame({"u": [], "v": [], "shared": [], "lam": [], "lp": []})
    u, v = got["u"].to_numpy(np.int64), got["v"].to_numpy(np.int64)
    shared, lam, lp = got["shared"].to_numpy(), got["lam"].to_numpy(), got["lp"].to_numpy()
    links = Links(accounts, u, v, shared, lam, lp, pairs, candidates)
    if org_of is not None:
        explain(links, org_of)
    return links


def explain(links: Links, org_of: pd.Series) -> None:
    """Drop the links between two accounts that openly identify the same organisation (`org_of`), counted."""
    if not len(links.u):
        return
    org = org_of.reindex(links.accounts).to_numpy(dtype=object)
    ou, ov = org[links.u], org[links.v]
    same = pd.notna(ou) & (ou == ov)
    links.explained += int(same.sum())
    for name in ("u", "v", "shared", "expected", "log10_p"):
        setattr(links, name, getattr(links, name)[~same])


def bucket_hours(buckets: np.ndarray, bucket_s: int = config.COSYNC_BUCKET_S) -> np.ndarray:
    """Each bucket's hour of the day (UTC)."""
    return (np.asarray(buckets, dtype=np.int64) * bucket_s // 3600 % 24).astype(np.int64)


def components(links: Links, min_group: int) -> list[list[str]]:
    """Connected components of the links with at least `min_group` accounts, largest first."""
    n = len(links.accounts)
    if not len(links.u):
        return []
    g = coo_matrix((np.ones(len(links.u)), (links.u, links.v)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    linked = np.unique(np.concatenate([links.u, links.v]))
    groups = pd.Series(links.accounts[linked]).groupby(label[linked]).agg(list)
    out = [sorted(g_) for g_ in groups if len(g_) >= min_group]
    return sorted(out, key=lambda g_: (-len(g_), g_[0]))


def attach(links: Links, m: csr_matrix, buckets: np.ndarray, min_group: int, fwer: float = config.COSYNC_FWER,
           org_of: pd.Series | None = None, bucket_s: int = config.COSYNC_BUCKET_S) -> list[list[str]]:
    """Each synchronised group (connected components of the links) with the accounts that follow its waves.

    A pair test needs two accounts to meet often; an account active in few of a fleet's waves meets each
    other member too rarely, yet joins the waves on more days than chance allows. CopyCatch's step (Beutel et
    al. 2013): the group's waves are the buckets in which at least a tenth of it (and WAVE_MIN_ACCOUNTS) acted;
    an account x outside every group is tested on the days it acted in a wave, against the Poisson tail with
    mean ``a_x sum_{t in waves} w_t R_x[h(t)]`` (the pair null with the group's waves in place of a second
    account; by days as in PairNull; ``w`` and the hour shares behind ``R`` from every account but the group's,
    since under the null x ignores the group, and ``w`` as the day's share times the hour's, separable_busyness),
    family-wise over every account and group: log10 p <= log10(fwer / (N * groups)). x joins the group it
    follows most strongly, unless an open identity it shares with most of the group explains it."""
    groups = components(links, min_group)
    if not groups:
        return groups
    n = len(links.accounts)
    hours = bucket_hours(np.asarray(buckets, dtype=np.int64), bucket_s)
    onehot = csr_matrix((np.ones(len(hours)), (np.arange(len(hours)), hours)), shape=(len(hours), 24))
    per_hour = np.asarray((m @ onehot).todense())  # accounts x 24: active buckets by hour of day
    day = day_of_bucket(m.shape[1], np.asarray(buckets, dtype=np.int64), bucket_s)
    day_index = day.indices  # each column's day (one 1 per row of `day`)
    c_all = np.asarray(m.sum(axis=0)).ravel()
    index = pd.Index(links.accounts)
    member = np.zeros(n, dtype=bool)
    for g in groups:
        member[index.get_indexer(g)] = True
    charge = np.log10(max(n * len(groups), 1) / fwer)
    best, owner = np.zeros(n), np.full(n, -1)
    org = org_of.reindex(links.accounts).to_numpy(dtype=object) if org_of is not None else None
    for gi, g in enumerate(groups):
        rows = index.get_indexer(g)
        per_bucket = np.asarray(m[rows].sum(axis=0)).ravel()
        waves = per_bucket >= max(WAVE_MIN_ACCOUNTS, int(np.ceil(WAVE_MIN_SHARE * len(g))))
        if not waves.any():
            continue
        # under the null x ignores the group: how busy a bucket is comes from everyone else, as the day's share
        # times the hour of day's (the group's waves are spikes of single buckets; members the pair test
        # missed act in them too, so the buckets' own counts would charge x for the fleet it follows)
        w = separable_busyness(c_all - per_bucket, day_index, hours)
        share = np.asarray(onehot.T @ w).ravel()
        by_hour = np.bincount(hours[waves], weights=w[waves], minlength=24)
        lam = per_hour @ np.divide(by_hour, share, out=np.zeros(24), where=share > 0)
        in_waves = m[:, np.flatnonzero(waves)].tocsr() @ day[np.flatnonzero(waves)]
        days = np.asarray((in_waves > 0).sum(axis=1)).ravel()
        decades = -log10_tail(days, lam) - charge
        decades[member] = 0.0
        if org is not None:
            common = pd.Series(org[rows]).mode()
            if len(common) and (org[rows] == common.iloc[0]).mean() >= 0.5:
                decades[org == common.iloc[0]] = 0.0
        better = decades > np.maximum(best, 0.0)
        best[better], owner[better] = decades[better], gi
    for i in np.flatnonzero(owner >= 0):
        groups[owner[i]].append(links.accounts[i])
        links.attached[links.accounts[i]] = float(best[i])
    return sorted((sorted(g) for g in groups), key=lambda g_: (-len(g_), g_[0]))


def separable_busyness(counts: np.ndarray, day: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Each bucket's share of activity as (its day's share) x (its hour of day's share), normalised: how busy
    the platform is then, without the spikes of single buckets."""
    by_day = np.bincount(day, weights=counts)
    by_hour = np.bincount(hours, weights=counts, minlength=24)
    w = by_day[day] * by_hour[hours]
    return w / max(w.sum(), 1e-300)


def tree_decades(links: Links, members: list[str]) -> float:
    """Decades a maximum spanning tree of the members' links carries beyond the search charge log10 M, and
    those of members attached by following the group's waves (attach) beyond theirs."""
    index = pd.Index(links.accounts)
    inside = np.zeros(len(links.accounts), dtype=bool)
    inside[index.get_indexer(members)] = True
    keep = inside[links.u] & inside[links.v]
    followers = sum(links.attached.get(a, 0.0) for a in members)
    if not keep.any():
        return followers
    beyond = np.maximum(-links.log10_p[keep] - links.charge, 1e-9)
    n = len(links.accounts)
    # scipy has only a minimum spanning tree: weights M - beyond keep the order reversed and positive
    top = float(beyond.max()) + 1.0
    g = csr_matrix((top - beyond, (links.u[keep], links.v[keep])), shape=(n, n))
    t = minimum_spanning_tree(g).tocoo()
    return float((top - t.data).sum()) + followers


def open_identity(accounts: pd.DataFrame, cards: pd.DataFrame, organisations: pd.DataFrame,
                  network: pd.DataFrame) -> pd.Series:
    """account -> the organisation it openly identifies by at least two of: an email domain the organisation
    controls, its name typed at sign-up, a card billed to it, most of its requests from its network.
    `network`: (account, org, requests) from the organisation's netblocks or ASNs."""
    names = dict(zip(organisations["name"].astype(str).str.strip().str.lower(), organisations["org_id"]))
    acc = accounts.drop_duplicates("account")
    claimed = acc["claimed_org"].where(acc["claimed_org"].map(lambda x: isinstance(x, str)))
    parts = [pd.DataFrame({"account": acc["account"], "org": acc["domain_org"], "source": "domain"}),
             pd.DataFrame({"account": acc["account"], "org": claimed.str.strip().str.lower().map(names),
                           "source": "claimed"}),
             pd.DataFrame({"account": cards["account"], "org": cards["billed_org"], "source": "card"})]
    if len(network):
        req = acc.set_index("account")["requests"]
        share = network["requests"].to_numpy(float) / np.maximum(req.reindex(network["account"]).to_numpy(float), 1)
        net = network[share >= NETWORK_SHARE]
        parts.append(pd.DataFrame({"account": net["account"], "org": net["org"], "source": "network"}))
    sig = pd.concat(parts, ignore_index=True).dropna(subset=["org"]).drop_duplicates()
    per = sig.groupby(["account", "org"])["source"].nunique().reset_index()
    per = per[per["source"] >= OPEN_IDENTITY_MIN_SIGNALS].sort_values(["account", "source"], ascending=[True, False])
    return per.drop_duplicates("account").set_index("account")["org"]


def merge_groups(groups: list[list[str]], synced: list[list[str]], min_group: int) -> tuple[list[list[str]], set[int]]:
    """The community step's groups with the synchronised groups laid over them: a group mostly inside a
    synchronised group joins it (a fleet's leaked card or device group is the fleet's), other groups lose the
    synchronised accounts. Returns the groups and the indices of the synchronised ones."""
    owner = {a: i for i, g in enumerate(synced) for a in g}
    merged = [set(g) for g in synced]
    rest = []
    for g in groups:
        hits = pd.Series([owner[a] for a in g if a in owner], dtype="int64")
        if len(hits) and hits.value_counts().iloc[0] * 2 >= len(g):
            merged[int(hits.value_counts().index[0])].update(g)
            continue
        left = [a for a in g if a not in owner]
        if len(left) >= min_group:
            rest.append(left)
    seen: set[str] = set()
    out = []
    for g in merged:  # an account absorbed twice stays in the first (largest) synchronised group
        g = sorted(g - seen)
        seen.update(g)
        if len(g) >= min_group:
            out.append(g)
    rest = [[a for a in g if a not in seen] for g in rest]
    return out + [g for g in rest if len(g) >= min_group], set(range(len(out)))


# --- the detection run's use of the links (hooked into detection/run.py) ------------------------------------
NETWORK_REQUESTS = """
MATCH (a:Account)-[r:REQUESTED_FROM]->(:IPAddress)-[:IN_NETWORK_OF]->(o:Organisation)
RETURN a.account_id AS account, o.org_id AS org, sum(r.requests) AS requests
"""


def no_links() -> Links:
    """No co-activity links (linking switched off, or no request log)."""
    empty = np.array([], dtype=np.int64)
    return Links(np.array([], dtype=object), empty, empty, np.array([]), np.array([]), np.array([]), 0.0, 0)


@dataclass
class Pending:
    """Co-activity links before the open-identity explanation, which needs the evidence read from Neo4j."""

    links: Links
    buckets: np.ndarray
    network: pd.DataFrame  # requests from organisations' networks (NETWORK_REQUESTS)


def link_activity(graph) -> Pending:
    """The pair tests over every account of the request log (detection/behaviour.py's matrix, read from the log
    store): needs nothing read from the graph but the organisations' network requests."""
    ids, buckets, m = behaviour.activity_matrix(config.COSYNC_BUCKET_S)
    release_freed_memory()  # DuckDB's working memory, before the pair tests take theirs
    network = graph.read_df(NETWORK_REQUESTS)
    if not len(network.columns):
        network = pd.DataFrame(columns=["account", "org", "requests"])
    if not len(ids):
        links = Links(ids, *(np.array([], dtype=np.int64) for _ in range(2)), *(np.array([]) for _ in range(3)),
                      0.0, 0)
    else:
        links = co_activity_links(ids, m, buckets=buckets, hours=True)
    links.matrix = m
    return Pending(links, buckets, network)


def finish(pending: Pending, ev, min_group: int) -> Links:
    """The links an open identity does not explain, and the synchronised groups they form (attach)."""
    links = pending.links
    if not len(links.accounts):
        return links
    org = open_identity(ev.accounts, ev.cards, ev.organisations, pending.network)
    explain(links, org)
    links.groups = attach(links, links.matrix, pending.buckets, min_group, org_of=org)
    return links


def find(graph, ev, min_group: int) -> Links:
    """Co-activity links over every account of the request log, and the synchronised groups they form."""
    return finish(link_activity(graph), ev, min_group)


def describe(members: list[str], linked: list[str], links: Links, decades: float, releases: pd.DataFrame) -> str:
    """The synchronised group in words (detection/behaviour_reasons.py): waves, category mix, model move, evidence."""
    return group_reason(members, linked, releases, decades / max(len(members) - 1, 1), links.pairs_searched)


def strengthen(scored: list, groups: list[list[str]], synced: set[int], links: Links, releases: pd.DataFrame) -> None:
    """Add the co-activity evidence (decades per account after the first) to the synchronised groups' scores."""
    linked = set(links.accounts[np.unique(np.concatenate([links.u, links.v]))]) if len(links.u) else set()
    for i in synced:
        c, members = scored[i], groups[i]
        n = len(members)
        decades = tree_decades(links, members)
        density = decades / max(n - 1, 1)
        reason = describe(members, [a for a in members if a in linked], links, decades, releases)
        c.contributions.append(Contribution("co_activity", density, round(density, 3), reason))
        c.score = round(c.score + density, 3)
        c.evidence = round(c.evidence + decades, 3)
        c.facts["co_activity"] = reason


def campaign_reasons(found: list, facts: dict[str, dict]) -> None:
    """A campaign of synchronised clusters says how they act together."""
    for k in found:
        k.reasons.extend(facts[cid]["co_activity"] for cid in k.cluster_ids if "co_activity" in facts.get(cid, {}))
