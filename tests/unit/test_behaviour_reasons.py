"""Reasons in words for groups found by behaviour, from a request log in a throwaway home (no server)."""
from __future__ import annotations

import numpy as np
import pandas as pd

RELEASE = pd.Timestamp("2026-09-10T00:00:00Z")


def _fleet_log(home, monkeypatch) -> list[str]:
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
                   input_tokens=1800, output_tokens=7200, user_agent="ua", _row=range(n))
    df.to_parquet(store / "x.parquet", index=False)
    return fleet


def _releases() -> pd.DataFrame:
    return pd.DataFrame({"model": ["sol-3", "sol-4"], "released": [pd.Timestamp("2026-06-01T00:00:00Z").timestamp(),
                                                                   RELEASE.timestamp()]})


def test_a_synchronised_groups_reason_names_waves_category_and_model_move(tmp_path, monkeypatch):
    """The reason detection writes for a synchronised group (cosync.describe, what strengthen puts on the
    cluster and the campaign repeats) says it as an investigator would: accounts active together in how many
    six-hourly waves, the category share in words, and the move to the newest model."""
    from detection import cosync

    fleet = _fleet_log(tmp_path, monkeypatch)
    links = cosync.no_links()
    links.pairs_searched = 1225.0
    reason = cosync.describe(fleet, fleet, links, 19 * 6.5, _releases())
    # 38 six-hourly windows from the first wave's (2026-09-01 00:00-06:00) to the release day's last one
    # (2026-09-10 06:00-12:00); the group acted together in 9 night windows and 2 on release day.
    assert reason.startswith("20 accounts active together in 11 of 38 six-hourly waves (at least 5 of them in each)")
    assert "70 % chain-of-thought elicitation" in reason
    assert "all on sol-4 within 9 h of its release" in reason
    assert "co-active beyond chance: 6.5 decades per account" in reason


def test_in_words_when_only_part_of_the_group_moved():
    from detection.behaviour_reasons import BehaviourFacts, in_words

    text = in_words(BehaviourFacts(212, 200, 143, 228, 20, 21600, "cot_elicitation", 0.71, 1800, 4.0, "sol-4",
                                   106, 2.0, 9.4, 40.0))
    assert text.startswith("200 of the 212 accounts active together in 143 of 228 six-hourly waves")
    assert "71 % chain-of-thought elicitation, 50 % on sol-4, half of them within 9 h of its release" in text
