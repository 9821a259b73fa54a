"""Load timings: a whole dataset into an empty graph, then the same data as two batches (the last
accounts, `--second-share` of them, loaded into a graph that holds the rest), each on a fresh local Neo4j.

    python bench/load_timings.py DATASET_DIR [OUT_DIR] [--second-share 0.1] [--skip-full]

Prints wall time, peak RSS of the loader and input rows per second for each load. Rows naming an account
go with that account's batch (loaders/batches.py); every other table goes with the first, which is what a
platform's daily batch looks like: new accounts and their activity.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from loaders.batches import read_table, split_by_accounts  # noqa: E402

PORT = "7697"


def split(dataset: Path, out: Path, second_share: float) -> tuple[Path, Path]:
    """Two datasets: the first accounts (and every table without accounts), then the last `second_share`."""
    if (out / "second" / "accounts.csv").exists() or (out / "second" / "accounts.parquet").exists():
        return out / "first", out / "second"
    accounts = read_table(next(dataset.glob("accounts.*")))["account_id"]
    return split_by_accounts(dataset, accounts.iloc[int(len(accounts) * (1 - second_share)):], out)


def rows_in(dataset: Path) -> int:
    return sum(len(read_table(p)) for p in dataset.iterdir())


def timed_load(env: dict[str, str], dataset: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one `ringtrace load`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    subprocess.run(["ringtrace", "load", str(dataset), "--no-progress"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024 / 1024


def fresh_server(home: Path) -> dict[str, str]:
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "RINGTRACE_HOME": str(home), "RINGTRACE_NEO4J_PORT": PORT}
    env.pop("NEO4J_URI", None)
    subprocess.run(["ringtrace", "neo4j", "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--second-share", type=float, default=0.5, help="share of accounts in the second batch")
    parser.add_argument("--skip-full", action="store_true", help="only the two batches")
    args = parser.parse_args()
    out = args.out or args.dataset.parent / f"load-bench-{args.second_share:g}"
    first, second = split(args.dataset, out, args.second_share)
    print("load | input rows | wall s | rows/s | loader peak RSS GB (max of loads so far)", flush=True)
    if not args.skip_full:
        total = rows_in(args.dataset)
        env = fresh_server(out / "home-full")
        try:
            seconds, rss = timed_load(env, args.dataset)
            print(f"whole dataset into an empty graph | {total:,} | {seconds:.0f} | {total / seconds:,.0f} | "
                  f"{rss:.2f}", flush=True)
        finally:
            subprocess.run(["ringtrace", "neo4j", "stop"], env=env, stdout=subprocess.DEVNULL)
            shutil.rmtree(out / "home-full", ignore_errors=True)
    env = fresh_server(out / "home-batches")
    try:
        seconds, rss = timed_load(env, first)
        rows = rows_in(first)
        print(f"first {1 - args.second_share:.0%} into an empty graph | {rows:,} | {seconds:.0f} | "
              f"{rows / seconds:,.0f} | {rss:.2f}", flush=True)
        seconds, rss = timed_load(env, second)
        rows = rows_in(second)
        print(f"last {args.second_share:.0%} into a graph holding the rest | {rows:,} | {seconds:.0f} | "
              f"{rows / seconds:,.0f} | {rss:.2f}", flush=True)
    finally:
        subprocess.run(["ringtrace", "neo4j", "stop"], env=env, stdout=subprocess.DEVNULL)
        shutil.rmtree(out / "home-batches", ignore_errors=True)


if __name__ == "__main__":
    main()
