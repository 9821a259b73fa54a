"""The compiled pair test (detection/cosync_kernel.py) against its scipy reference (PairNull.reference)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import random as sparse_random

from detection import cosync


def _case(seed: int, accounts: int = 300, buckets: int = 500, density: float = 0.05):
    rng = np.random.default_rng(seed)
    m = sparse_random(accounts, buckets, density=density, random_state=seed, format="csr")
    m.data[:] = 1.0
    # a planted fleet: 12 accounts active together in 40 buckets
    fleet, waves = rng.choice(accounts, 12, replace=False), rng.choice(buckets, 40, replace=False)
    m = m.tolil()
    for x in fleet:
        for t in waves:
            m[x, t] = 1.0
    m = m.tocsr().astype(np.float32)
    bucket_numbers = np.sort(rng.choice(20 * buckets, buckets, replace=False))  # gaps, several days
    u, v = np.triu_indices(accounts, 1)
    return m, bucket_numbers, u.astype(np.int64), v.astype(np.int64)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("hours", [False, True])
@pytest.mark.parametrize("bar", [None, -3.0])
def test_kernel_matches_the_scipy_reference(seed: int, hours: bool, bar: float | None) -> None:
    m, b, u, v = _case(seed)
    null = cosync.PairNull(m, b, hours=hours, bucket_s=900)
    got, want = null.kernel(u, v, bar), null.reference(u, v, bar)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)  # the reference holds activity in float32
    np.testing.assert_allclose(got[2], want[2], rtol=1e-6, atol=1e-9)
    assert (got[2] < -3).sum() >= 12 * 11 // 2  # the planted fleet's pairs stand out: the check is not vacuous


def test_unsorted_columns_and_indices() -> None:
    """Buckets not in time order and CSR rows with unsorted indices give the reference's counts."""
    m, b, u, v = _case(3, accounts=120, buckets=300)
    order = np.random.default_rng(3).permutation(m.shape[1])
    m2, b2 = m[:, order], b[order]
    m2.has_sorted_indices = False
    null = cosync.PairNull(m2, b2, hours=True, bucket_s=900)
    np.testing.assert_array_equal(null.kernel(u, v)[0], cosync.PairNull(m, b, hours=True, bucket_s=900).reference(u, v)[0])


def test_no_pairs() -> None:
    m, b, _, _ = _case(4, accounts=20, buckets=50)
    shared, lam, lp = cosync.PairNull(m, b).kernel(np.zeros(0, np.int64), np.zeros(0, np.int64), -2.0)
    assert len(shared) == len(lam) == len(lp) == 0


def test_many_pairs_go_to_the_kernel_few_to_the_reference(monkeypatch) -> None:
    m, b, u, v = _case(5, accounts=60, buckets=100)
    null = cosync.PairNull(m, b)
    calls = []
    monkeypatch.setattr(cosync.PairNull, "kernel", lambda self, *a: calls.append("kernel") or ([], [], []))
    monkeypatch.setattr(cosync.PairNull, "reference", lambda self, *a: calls.append("reference") or ([], [], []))
    null.test(u, v)
    monkeypatch.setattr(cosync, "KERNEL_MIN_PAIRS", len(u))
    null.test(u, v)
    assert calls == ["reference", "kernel"]
