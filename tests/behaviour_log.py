"""A small request log in a throwaway home: one fleet acting together and ordinary accounts (tests of issue 29)."""
from __future__ import annotations

import numpy as np
import pandas as pd

RELEASE = pd.Timestamp("2026-09-10T00:00:00Z")


def fleet_log(home, monkeypatch) -> list[str]:
    """20 fleet accounts acting together at 02:00 each day for 10 days (70 % chain-of-thought elicitation), all
    moving to sol-4 within 9 h of its release; 30 ordinary accounts at random hours."""
    monkeypatch.setenv("RINGTRACE_HOME", str(home))
    store = home / "logstore" / "exchanges"
    store.mkdir(parents=True)
    rng = np.random.default_rng(3)
    rows = []
    fleet = [f"f{i:02d}" for i in range(20)]
    for d in range(10):
        day = pd.Timestamp("2026-09-01T02:00:00Z") + pd.Timedelta(days=d)
        for i, a in enumerate(fleet):
            for k in range(10):
                ts = day + pd.Timedelta(minutes=int(rng.integers(0, 30)))
                if d == 9:
                    ts = RELEASE + pd.Timedelta(hours=1 + i % 9, minutes=k)  # 1 h .. 9 h after the release
                rows.append((a, ts, "sol-4" if d == 9 else "sol-3", "cot_elicitation" if k < 7 else "reasoning"))
    for j in range(30):
        for k in range(12):
            ts = pd.Timestamp("2026-09-01T00:00:00Z") + pd.Timedelta(minutes=int(rng.integers(0, 14_000)))
            rows.append((f"p{j:02d}", ts, "sol-3", "chat"))
    df = pd.DataFrame(rows, columns=["account_id", "ts", "model", "category"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True).dt.as_unit("us")
    n = len(df)
    df = df.assign(request_id=[f"r{i}" for i in range(n)], ip="100.64.0.1", prompt_fingerprint="t",
                   input_tokens=1800, output_tokens=7200, user_agent="ua", tls_fingerprint="tls-fleet",
                   _row=range(n))
    df.to_parquet(store / "x.parquet", index=False)
    return fleet


def releases() -> pd.DataFrame:
    return pd.DataFrame({"model": ["sol-3", "sol-4"], "released": [pd.Timestamp("2026-06-01T00:00:00Z").timestamp(),
                                                                   RELEASE.timestamp()]})
