"""The swap journal of the offline import (ringtrace/server/local_import.py): the staging folder under the home,
and the journal that moves a completed import's store, and its load's staged log files, into place.

Each step of a swap can be repeated after a kill; the next start of the local server (or the next import)
finishes a swap a kill interrupted, or drops the staging of an import that never completed.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from ringtrace.core import config, processes

WORK_DIR = "bulk-import"          # under the ringtrace home: staging data, report, journal
JOURNAL = "swap.json"
OWNER = "importer.pid"
STORE_DIRS = ("databases", "transactions")


def work_dir(paths: config.LocalPaths) -> Path:
    return paths.root / WORK_DIR


def finish_interrupted_import(paths: config.LocalPaths) -> str | None:
    """Complete a swap a kill interrupted, or drop the staging of an import that never completed; says which."""
    work = work_dir(paths)
    journal = work / JOURNAL
    owner = work / OWNER
    if owner.exists() and processes.pid_alive(int(owner.read_text() or 0)):
        return None  # another process is importing right now
    if journal.exists():
        entry = json.loads(journal.read_text())
        swap(paths, entry["database"], entry.get("logs", []))
        return "finished an interrupted swap of an imported database"
    if work.exists():
        shutil.rmtree(work, ignore_errors=True)
        return "removed the staging of an import that did not complete"
    return None


def journal_logs(paths: config.LocalPaths) -> list[tuple[str, str]]:
    """The (staged, stored) log files a swap not yet finished moves into the log store."""
    journal = work_dir(paths) / JOURNAL
    return [tuple(m) for m in json.loads(journal.read_text()).get("logs", [])] if journal.exists() else []


def swap(paths: config.LocalPaths, database: str, logs: list[tuple[str, str]] = ()) -> None:
    """Move the staged store into place (each step can be repeated after a kill), then drop the old one; the
    load's staged log files move into the log store with it (loaders/logstore.py pending_dir)."""
    work = work_dir(paths)
    for sub in STORE_DIRS:
        new, live, old = work / "data" / sub / database, paths.data_dir / sub / database, work / "replaced" / sub
        if not new.exists():
            continue
        if live.exists():
            old.mkdir(parents=True, exist_ok=True)
            live.rename(old / f"{database}-{time.time_ns()}")
        live.parent.mkdir(parents=True, exist_ok=True)
        new.rename(live)
    move_logs(logs)
    (work / JOURNAL).unlink()
    shutil.rmtree(work, ignore_errors=True)


def move_logs(moves: list[tuple[str, str]]) -> None:
    """Move a load's staged log files into the log store (each move can be repeated after a kill)."""
    for src, dst in moves:
        if Path(src).exists():
            Path(dst).parent.mkdir(parents=True, exist_ok=True)
            Path(src).replace(dst)
