"""The pair test's inner loop, compiled (numba): for each candidate pair, its mean under the null, its shared
days and the bound on log10 p, in one pass over the two accounts' active buckets.

The same arithmetic as detection/cosync.py's PairNull (which documents the null) and log10_tail: at seed scale
(500,000 accounts, 120 M candidate pairs) scipy's row gathers and products took three minutes, this about 50 s.
Pairs come sorted by their first account (candidate_pairs), so its buckets are marked once in a table the size
of the bucket count and each partner's buckets are looked up in it; what remains is memory-bound (a block of
8 M seed pairs: 3.1 s with random partners, 0.5 s with neighbouring ones). tests/unit/test_cosync_kernel.py
checks it against the scipy reference on random matrices.
"""
from __future__ import annotations

import math

import numba
import numpy as np

LN10 = math.log(10.0)
CHUNKS = 64  # pairs are split into this many chunks, run in parallel threads


@numba.njit(cache=True, nogil=True)
def log10_tail_one(k: float, lam: float) -> float:
    """cosync.log10_tail for one pair: an upper bound on log10 P(X >= k), X a sum of Bernoullis of mean lam."""
    lam = max(lam, 1e-300)
    if k < lam + 1:
        return 0.0
    log_pmf = k * math.log(lam) - lam - math.lgamma(k + 1)
    bound = (log_pmf - math.log1p(-min(lam / (k + 1), 1 - 1e-12))) / LN10
    return min(bound, 0.0)


@numba.njit(cache=True, nogil=True)
def _pairs(indptr, indices, day_of_col, n_days, a, length, r, s2h, days, u, v, bar, use_bar, lo, hi,
           shared, lam, lp):
    seen = np.zeros(n_days, dtype=np.int64)  # seen[d] == i + 1: day d already counted for pair i
    mark = np.zeros(len(day_of_col), dtype=np.int64)  # mark[c] == stamp: bucket c is one of the current account's
    current, stamp = -1, 0
    hours = r.shape[1]
    for i in range(lo, hi):
        x, y = u[i], v[i]
        dot = 0.0
        for h in range(hours):
            dot += r[x, h] * r[y, h] * s2h[h]
        mean = (length[x] + length[y] - 1) / (length[x] * length[y]) * (a[x] * a[y] * dot)
        lam[i] = mean
        if use_bar and log10_tail_one(min(days[x], days[y]), mean) > bar:
            continue  # could not reach the bar even sharing every active day of the less active account
        if x != current:  # pairs come sorted by their first account: mark its buckets once for all its pairs
            current = x
            stamp += 1
            for p in range(indptr[x], indptr[x + 1]):
                mark[indices[p]] = stamp
        k = 0
        for q in range(indptr[y], indptr[y + 1]):
            c = indices[q]
            if mark[c] == stamp:
                d = day_of_col[c]
                if seen[d] != i + 1:
                    seen[d] = i + 1
                    k += 1
        shared[i] = k
        lp[i] = log10_tail_one(k, mean)


@numba.njit(cache=True, parallel=True, nogil=True)
def _run(indptr, indices, day_of_col, n_days, a, length, r, s2h, days, u, v, bar, use_bar, shared, lam, lp):
    n = len(u)
    step = (n + CHUNKS - 1) // CHUNKS
    for c in numba.prange(CHUNKS):
        lo = c * step
        hi = min(n, lo + step)
        if lo < hi:
            _pairs(indptr, indices, day_of_col, n_days, a, length, r, s2h, days, u, v, bar, use_bar, lo, hi,
                   shared, lam, lp)


def pair_tests(indptr: np.ndarray, indices: np.ndarray, day_of_col: np.ndarray, a: np.ndarray, length: np.ndarray,
               r: np.ndarray, s2h: np.ndarray, days: np.ndarray, u: np.ndarray, v: np.ndarray,
               bar: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shared days, mean under the null, log10 p) per pair. `indptr`/`indices`: the accounts x buckets CSR
    matrix with sorted indices; `day_of_col`: each bucket's day number; `r` (accounts x hours) and `s2h`: the
    hour profiles (one column of ones and [S2] without hours). With `bar`, pairs that could not reach it are
    reported as 0 shared days and log10 p 0, as in PairNull.test."""
    n = len(u)
    shared, lam, lp = np.zeros(n, dtype=np.int64), np.empty(n), np.zeros(n)
    if n:
        n_days = int(day_of_col.max()) + 1 if len(day_of_col) else 1
        f8, i8 = np.float64, np.int64
        _run(np.asarray(indptr, i8), np.asarray(indices, np.int32), np.asarray(day_of_col, i8), n_days,
             np.asarray(a, f8), np.asarray(length, f8), np.ascontiguousarray(r, dtype=f8), np.asarray(s2h, f8),
             np.asarray(days, f8), np.asarray(u, i8), np.asarray(v, i8), -np.inf if bar is None else float(bar),
             bar is not None, shared, lam, lp)
    return shared, lam, lp
