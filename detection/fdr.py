"""The flag threshold as an expected false-discovery rate over a run's clusters.

Benjamini & Hochberg, "Controlling the false discovery rate: a practical and powerful approach to
multiple testing", J. R. Stat. Soc. B 57:289 (1995): with m p-values sorted p(1) <= ... <= p(m), reject
the k smallest, k the largest rank with p(k) <= q k / m. Under independent (or positively dependent)
nulls the expected share of false discoveries among the rejected is at most q.
"""
from __future__ import annotations

import numpy as np


def benjamini_hochberg(log10_p: np.ndarray, q: float) -> tuple[np.ndarray, float]:
    """Which tests are discoveries at FDR `q`, given log10 p-values; and the p-value cut (0 when none)."""
    lp = np.minimum(np.asarray(log10_p, dtype=float), 0.0)
    m = len(lp)
    if m == 0:
        return np.zeros(0, dtype=bool), 0.0
    order = np.argsort(lp, kind="stable")
    bar = np.log10(q) + np.log10(np.arange(1, m + 1) / m)
    passing = np.flatnonzero(lp[order] <= bar)
    keep = np.zeros(m, dtype=bool)
    if not len(passing):
        return keep, 0.0
    k = passing[-1]
    keep[order[:k + 1]] = True
    return keep, float(10 ** bar[k])


def q_values(log10_p: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (the smallest FDR at which each test would be a discovery)."""
    lp = np.minimum(np.asarray(log10_p, dtype=float), 0.0)
    m = len(lp)
    if m == 0:
        return np.zeros(0)
    order = np.argsort(lp, kind="stable")
    adj = lp[order] + np.log10(m / np.arange(1, m + 1))
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(10 ** adj, 1.0)
    return out
