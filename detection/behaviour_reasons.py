"""Reasons in words for groups found by behaviour (synchronised activity, detection/cosync.py).

"212 accounts active together in 143 of 228 six-hourly waves (at least 22 of them in each), 71 % chain-of-thought
elicitation, all on sol-4 within 9 h of its release; ...". `in_words` only formats (`BehaviourFacts`);
`facts_of` measures a group in the log store (DuckDB, per-window and per-account aggregates only).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detection import behaviour
from ringtrace.core import config

WAVE_MIN_SHARE = 0.1       # a window is one of the group's waves when a tenth of its accounts act in it
WAVE_MIN_ACCOUNTS = 5      # ... and at least this many
CATEGORY_WORDS = {"chat": "chat", "coding": "coding", "tool_use": "tool use", "agentic": "agentic tasks",
                  "reasoning": "reasoning", "cot_elicitation": "chain-of-thought elicitation", "vision": "vision",
                  "other": "other requests"}
WINDOW_WORDS = {3600: "hourly", 6 * 3600: "six-hourly", 12 * 3600: "twelve-hourly", 86400: "daily"}


@dataclass
class BehaviourFacts:
    """What a behaviour group did, measured: the numbers its reason states."""

    accounts: int                      # the group's accounts
    linked: int                        # of them, those with a co-activity link
    waves: int                         # windows in which at least `need` of the linked accounts acted
    windows: int                       # windows from the linked accounts' first to their last request
    need: int
    window_s: int
    category: str | None = None        # the most requested category and its share of the group's requests
    category_share: float = 0.0
    in_median: float | None = None     # median over accounts of their median input tokens
    ratio_median: float | None = None  # ... and of their median output / input ratio
    model: str | None = None           # the newest released model
    moved: int = 0                     # accounts that used it after its release
    first_h: float | None = None       # hours from the release to the first, the median and the last of them
    median_h: float | None = None
    last_h: float | None = None
    decades: float | None = None       # the group's co-activity evidence beyond the search charge, per account
    pairs_searched: float | None = None


def window_words(window_s: int) -> str:
    return WINDOW_WORDS.get(window_s, f"{window_s / 3600:g}-hour")


def in_words(f: BehaviourFacts) -> str:
    """The group's reason: headline (accounts, waves, category, model move), then the evidence and token shape."""
    who = f"{f.accounts:,} accounts" if f.linked == f.accounts else f"{f.linked:,} of the {f.accounts:,} accounts"
    head = [f"{who} active together in {f.waves:,} of {f.windows:,} {window_words(f.window_s)} waves "
            f"(at least {f.need:,} of them in each)"]
    if f.category:
        head.append(f"{f.category_share * 100:.0f} % {CATEGORY_WORDS.get(f.category, f.category.replace('_', ' '))}")
    if f.model and f.moved:
        if f.moved == f.accounts:
            head.append(f"all on {f.model} within {f.last_h:.0f} h of its release")
        else:
            head.append(f"{f.moved / f.accounts * 100:.0f} % on {f.model}, half of them within {f.median_h:.0f} h "
                        f"of its release (the first after {f.first_h:.0f} h)")
    words = [", ".join(head)]
    if f.decades is not None:
        words.append(f"co-active beyond chance: {f.decades:.1f} decades per account beyond the charge for searching "
                     f"{f.pairs_searched or 0:,.0f} pairs")
    if f.in_median is not None:
        words.append(f"median {f.in_median:,.0f} input tokens, output {f.ratio_median:.1f}x")
    return "; ".join(words)


def facts_of(members: list[str], linked: list[str], releases: pd.DataFrame, decades: float | None = None,
             pairs_searched: float | None = None, window_s: int = config.BEHAVIOUR_WAVE_S) -> BehaviourFacts:
    """Measure a group in the log store: waves of its linked accounts, category mix, token shape, model move."""
    linked = linked or members
    need = max(WAVE_MIN_ACCOUNTS, int(np.ceil(WAVE_MIN_SHARE * len(linked))))
    per = behaviour.wave_counts(linked, window_s)
    windows = int(per["window"].max() - per["window"].min() + 1) if len(per) else 0
    f = BehaviourFacts(len(members), len(linked), int((per["active"] >= need).sum()), windows, need, window_s,
                       decades=decades, pairs_searched=pairs_searched)
    prof = behaviour.profiles(members, releases)
    if not len(prof):
        return f
    cats = prof[[c for c in prof.columns if c.startswith("cat_")]].mul(prof["requests"], axis=0).sum()
    if cats.sum() > 0:
        f.category, f.category_share = str(cats.idxmax())[4:], float(cats.max() / cats.sum())
    f.in_median, f.ratio_median = float(prof["in_median"].median()), float(prof["ratio_median"].median())
    if len(releases):
        f.model = str(releases.sort_values("released")["model"].iloc[-1])
        col = f"switch_{f.model}"
        moved = prof[col].dropna() if col in prof else pd.Series(dtype=float)
        if len(moved):
            f.moved = len(moved)
            f.first_h, f.median_h, f.last_h = float(moved.min()), float(moved.median()), float(moved.max())
    return f


def group_reason(members: list[str], linked: list[str], releases: pd.DataFrame, decades: float | None = None,
                 pairs_searched: float | None = None) -> str:
    """A behaviour group's reason in words (facts_of, then in_words)."""
    return in_words(facts_of(members, linked, releases, decades, pairs_searched))
