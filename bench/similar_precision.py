"""Precision of "more accounts like these" on the stealth scenario, per fleet.

    python bench/similar_precision.py [OUT_DIR] [--accounts 10000] [--top 100] [--port 7726]

Generates the stealth scenario (`ringtrace sample --scenario stealth`), loads it into a fresh local Neo4j,
and per fleet: opens a case holding 10 of the fleet's accounts, confirms it, runs
`ringtrace similar --case ID --top N` (the CLI, the same function the workbench action calls) and prints the
share of the N ranked accounts that are that fleet's other accounts (precision at N; target >= 0.95).
Only this bench reads the truth table: the case is built from it, the ranking never sees it.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import time
from pathlib import Path

import pandas as pd

SEED = "11"
SEEDS_PER_CASE = 10


def ringtrace(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["ringtrace", *args], env=env, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="/tmp/ringtrace-similar", type=Path)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--port", default="7726")
    args = parser.parse_args()
    base = args.out / f"stealth-{args.accounts}"
    env = {**os.environ, "RINGTRACE_HOME": str(base / "home"), "RINGTRACE_NEO4J_PORT": args.port}
    env.pop("NEO4J_URI", None)
    env.pop("RINGTRACE_USER", None)  # the local operator (admin) opens and confirms the cases
    data = base / "data"
    if not (data / "accounts.csv").exists():
        ringtrace(env, "sample", str(data), "--scenario", "stealth", "--accounts", str(args.accounts), "--seed", SEED)
    truth = pd.read_csv(data / "truth.csv", keep_default_na=False)
    fleets = sorted(c for c in truth["campaign_id"].unique() if c.startswith("fleet-"))
    ringtrace(env, "neo4j", "start")
    try:
        ringtrace(env, "load", str(data), "--no-progress")
        print(f"stealth scenario, {args.accounts:,} accounts, seed {SEED}: precision at {args.top} of each fleet's "
              f"other accounts, from a confirmed case of {SEEDS_PER_CASE}")
        print("fleet | fleet size | case | precision@%d | similar s" % args.top)
        for fleet in fleets:
            members = sorted(truth.loc[truth["campaign_id"] == fleet, "account_id"])
            seeds, others = members[:SEEDS_PER_CASE], set(members[SEEDS_PER_CASE:])
            opened = ringtrace(env, "case", "open", "--title", f"bench {fleet}", "--accounts", ",".join(seeds))
            case_id = opened.split()[1]
            ringtrace(env, "case", "set", case_id, "--status", "confirmed")
            started = time.monotonic()
            out = ringtrace(env, "similar", "--case", case_id, "--top", str(args.top), "--format", "csv")
            seconds = time.monotonic() - started
            ranked = [r["account_id"] for r in csv.DictReader(io.StringIO(out))]
            hits = sum(a in others for a in ranked)
            print(f"{fleet} | {len(members):,} | {case_id} | {hits / max(len(ranked), 1):.3f} ({hits}/{len(ranked)})"
                  f" | {seconds:.1f}", flush=True)
    finally:
        ringtrace(env, "neo4j", "stop")


if __name__ == "__main__":
    main()
