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

import pandas as pd

PORT = "7697"
ACCOUNT_COLUMNS = ("account_id", "src_account_id")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False) if path.suffix == ".parquet" else frame.to_csv(path, index=False)


def split(dataset: Path, out: Path) -> tuple[Path, Path]:
    """Two datasets: the first half of the accounts (and every table without accounts), then the second."""
    first, second = out / "first-half", out / "second-half"
    if (second / "accounts.csv").exists() or (second / "accounts.parquet").exists():
        return first, second
    for d in (first, second):
        d.mkdir(parents=True, exist_ok=True)
    accounts = _read(next(dataset.glob("accounts.*")))["account_id"]
    later = set(accounts.iloc[len(accounts) // 2:])
    for path in sorted(dataset.iterdir()):
        if path.name.startswith("truth"):
            continue
        frame = _read(path)
        column = next((c for c in ACCOUNT_COLUMNS if c in frame.columns), None)
        if column is None:
            _write(frame, first / path.name)
            continue
        in_second = frame[column].isin(later)
        _write(frame[~in_second], first / path.name)
        _write(frame[in_second], second / path.name)
    return first, second


def rows_in(dataset: Path) -> int:
    return sum(len(_read(p)) for p in dataset.iterdir())


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
