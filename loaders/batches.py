"""Split a dataset directory into two batches by account, as a platform's next daily batch would arrive:
the second holds the chosen accounts and every row about them (any column naming an account), the first
holds everything else (and every table that names no account). Used by benchmarks and monitoring tests."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

ACCOUNT_COLUMNS = ("account_id", "src_account_id", "dst_account_id")
SKIPPED = ("truth",)  # scoring only: never part of a batch


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str, keep_default_na=False)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False) if path.suffix == ".parquet" else frame.to_csv(path, index=False)


def split_by_accounts(dataset: Path, later: Iterable[str], out: Path) -> tuple[Path, Path]:
    """Write `out/first` and `out/second`; the second holds the `later` accounts and their rows."""
    later = set(later)
    first, second = out / "first", out / "second"
    for d in (first, second):
        d.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in dataset.iterdir() if p.is_file()):
        if path.name.startswith(SKIPPED):
            continue
        frame = read_table(path)
        columns = [c for c in ACCOUNT_COLUMNS if c in frame.columns]
        if not columns:
            write_table(frame, first / path.name)
            continue
        in_second = frame[columns].isin(later).any(axis=1)
        write_table(frame[~in_second], first / path.name)
        write_table(frame[in_second], second / path.name)
    return first, second
