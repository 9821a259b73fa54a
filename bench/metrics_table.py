"""Account-level figures for one method: P, R, F1 of what it flags, and ranking figures of its scores."""
from __future__ import annotations

import numpy as np
import pandas as pd

PRECISION_AT = 100


def account_metrics(is_fraud: pd.Series, score: pd.Series, flagged: pd.Series | None = None) -> dict[str, float]:
    """`is_fraud` (account -> bool) over all accounts; `score` (account -> float, missing = 0); `flagged`
    (account -> bool, default score > 0). ROC AUC by ranks (ties averaged), average precision, P@100."""
    y = is_fraud.astype(bool)
    s = score.reindex(y.index).fillna(0.0).astype(float)
    f = (s > 0) if flagged is None else flagged.reindex(y.index).fillna(False).astype(bool)
    tp = int((f & y).sum())
    p = tp / int(f.sum()) if f.sum() else 0.0
    r = tp / int(y.sum()) if y.sum() else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    pos, neg = int(y.sum()), int((~y).sum())
    ranks = s.rank(method="average")
    auc = float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg)) if pos and neg else float("nan")
    order = np.argsort(-s.to_numpy(), kind="stable")
    hits = y.to_numpy()[order]
    cum = np.cumsum(hits)
    ap = float((cum[hits] / (np.flatnonzero(hits) + 1)).mean()) if pos else float("nan")
    k = min(PRECISION_AT, len(hits))
    return {"flagged": int(f.sum()), "P": p, "R": r, "F1": f1, "AUC": auc, "AP": ap, f"P@{PRECISION_AT}": float(hits[:k].mean())}
