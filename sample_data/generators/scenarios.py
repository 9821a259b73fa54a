"""Synthetic datasets of every scenario (`ringtrace sample --scenario`), written in the data contract's format.

Each scenario is a module of its own (campaigns, marketplace, stealth); this one picks one and writes its tables.
The generators import the ground floor (ringtrace.core) at most, never the CLI."""
from __future__ import annotations

from pathlib import Path

from ringtrace.core import config
from sample_data.generators.campaigns import MIN_ACCOUNTS, Gen
from sample_data.generators.marketplace import Households, Marketplace
from sample_data.generators.stealth import Stealth

SCENARIOS = config.SAMPLE_SCENARIOS


def generate(out: Path, n_accounts: int = 5000, seed: int = 7, truth: bool = True,
             exchanges_format: str = "parquet", scenario: str = SCENARIOS[0]) -> dict[str, int]:
    """Write a dataset directory of one scenario; returns the row count of each table.

    campaigns: distillation campaigns through proxy services among legitimate API users (the sample);
    marketplace: rings of 2-10 accounts among people who share innocently, no request log;
    fragmented: the same campaigns, each run as many card groups of about 30 accounts with cards and
    devices of their own, two of them through the same proxy service;
    households: homes of 2-3 accounts sharing a card, a device and a home address among small rings;
    stealth: fleets sharing no infrastructure, only how they call the API (sample_data/generators/stealth.py)."""
    if n_accounts < MIN_ACCOUNTS:
        raise ValueError(f"a synthetic dataset needs at least {MIN_ACCOUNTS} accounts to hold every group")
    if scenario in ("marketplace", "households"):
        tables = (Marketplace if scenario == "marketplace" else Households)(n_accounts, seed).build()
    elif scenario == "stealth":
        tables = Stealth(n_accounts, seed).build()
    elif scenario in ("campaigns", "fragmented"):
        tables = Gen(n_accounts, seed, fragmented=scenario == "fragmented").build()
    else:
        raise ValueError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, frame in tables.items():
        if name == "truth" and not truth:
            continue
        for old in out.glob(f"{name}.*"):
            old.unlink()
        if name in ("exchanges", "logins") and exchanges_format == "parquet":
            frame.to_parquet(out / f"{name}.parquet", index=False)
        else:
            frame.to_csv(out / f"{name}.csv", index=False)
        counts[name] = len(frame)
    return counts
