"""Detection on every synthetic scenario at two sizes, each on its own fresh local Neo4j.

    python bench/detection_scenarios.py [OUT_DIR] [--only SCENARIO]

For each (scenario, accounts): generate, load, `ringtrace detect --results` (default thresholds:
nothing here is tuned per scenario), then score against the truth table with
bench/score_detection.py. Prints one row per run: precision and recall of fraudulent accounts,
rings (or campaigns) recovered as one flagged cluster with Jaccard >= 0.8, true campaigns with
>= 90 % of their flagged accounts under one campaign id, detected campaigns with purity >= 90 %,
legitimate clusters flagged, and detect's wall time.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_detection import score  # noqa: E402

RUNS = (("campaigns", 10_000), ("campaigns", 30_000), ("marketplace", 10_000), ("marketplace", 30_000),
        ("fragmented", 20_000), ("fragmented", 50_000),
        ("stealth", 10_000), ("stealth", 50_000))
PORT = "7695"
SEED = "11"  # not the seed the scenarios were written with


def ringtrace(env: dict[str, str], *args: str) -> None:
    subprocess.run(["ringtrace", *args], env=env, check=True, stdout=subprocess.DEVNULL)


def run(out: Path, scenario: str, accounts: int) -> dict:
    base = out / f"{scenario}-{accounts}"
    env = {**os.environ, "RINGTRACE_HOME": str(base / "home"), "RINGTRACE_NEO4J_PORT": PORT}
    env.pop("NEO4J_URI", None)
    if not (base / "data" / "accounts.csv").exists():
        ringtrace(env, "sample", str(base / "data"), "--scenario", scenario, "--accounts", str(accounts),
                  "--seed", SEED)
    ringtrace(env, "neo4j", "start")
    try:
        ringtrace(env, "load", str(base / "data"), "--no-progress")
        started = time.monotonic()
        ringtrace(env, "detect", "--results", str(base / "results"), "--no-progress")
        seconds = time.monotonic() - started
    finally:
        ringtrace(env, "neo4j", "stop")
    return {**score(base / "data", base / "results"), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="/tmp/ringtrace-scenarios", type=Path)
    parser.add_argument("--only", default=None)
    args = parser.parse_args()
    header = ("scenario", "accounts", "precision", "recall", "recovered J>=0.8", "one campaign", "pure campaigns",
              "legit flagged", "detect s")
    print(" | ".join(header))
    for scenario, accounts in RUNS:
        if args.only and scenario != args.only:
            continue
        r = run(args.out, scenario, accounts)
        one, pure = r.get("one_campaign", (0, 0)), r.get("pure_campaigns", (0, 0))
        print(" | ".join([scenario, f"{accounts:,}", f"{r['precision']:.4f}", f"{r['recall']:.4f}",
                          f"{r['recovered']:.1%}", f"{one[0]}/{one[1]}", f"{pure[0]}/{pure[1]}",
                          str(len(r["legit_flagged_clusters"])), f"{r['seconds']:.0f}"]), flush=True)


if __name__ == "__main__":
    main()
