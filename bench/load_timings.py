"""Load timings: a whole dataset into an empty graph, then the same data as two batches (the second
half of the accounts loaded into a graph that holds the first half), each on a fresh local Neo4j.

    python bench/load_timings.py DATASET_DIR [OUT_DIR]

Prints wall time, peak RSS of the loader and input rows per second for each load. A table with an
`account_id` (or `src_account_id`) column is split by account; every other table goes with the first
half, which is what a platform's daily batch looks like: new accounts and their activity.
"""
from __future__ import annotations

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


def split(dataset: Path, out: Path) -> tuple[Path, Path]:
    """Two datasets: the first half of the accounts (and every table without accounts), then the second."""
    if (out / "second" / "accounts.csv").exists() or (out / "second" / "accounts.parquet").exists():
        return out / "first", out / "second"
    accounts = read_table(next(dataset.glob("accounts.*")))["account_id"]
    return split_by_accounts(dataset, accounts.iloc[len(accounts) // 2:], out)


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
    dataset = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else dataset.parent / "load-bench"
    first, second = split(dataset, out)
    total, half = rows_in(dataset), rows_in(second)
    print("load | input rows | wall s | rows/s | loader peak RSS GB (max of loads so far)")
    env = fresh_server(out / "home-full")
    try:
        seconds, rss = timed_load(env, dataset)
        print(f"whole dataset into an empty graph | {total:,} | {seconds:.0f} | {total / seconds:,.0f} | {rss:.2f}")
    finally:
        subprocess.run(["ringtrace", "neo4j", "stop"], env=env, stdout=subprocess.DEVNULL)
    env = fresh_server(out / "home-halves")
    try:
        timed_load(env, first)
        seconds, rss = timed_load(env, second)
        print(f"second half into a graph holding the first | {half:,} | {seconds:.0f} | {half / seconds:,.0f} | "
              f"{rss:.2f}")
    finally:
        subprocess.run(["ringtrace", "neo4j", "stop"], env=env, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
