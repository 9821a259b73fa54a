"""Normalised mutual information between two partitions (Danon et al., J. Stat. Mech. 2005)."""
from __future__ import annotations

import math
from collections import Counter
from typing import Hashable, Mapping


def nmi(a: Mapping[Hashable, Hashable], b: Mapping[Hashable, Hashable]) -> float:
    """NMI = 2 I(A;B) / (H(A) + H(B)) over the nodes both partitions label."""
    nodes = [n for n in a if n in b]
    n = len(nodes)
    if n == 0:
        return 0.0
    ca = Counter(a[x] for x in nodes)
    cb = Counter(b[x] for x in nodes)
    cab = Counter((a[x], b[x]) for x in nodes)
    mi = sum(c / n * math.log(c * n / (ca[i] * cb[j])) for (i, j), c in cab.items())
    ha = -sum(c / n * math.log(c / n) for c in ca.values())
    hb = -sum(c / n * math.log(c / n) for c in cb.values())
    if ha + hb == 0:
        return 1.0
    return 2 * mi / (ha + hb)
