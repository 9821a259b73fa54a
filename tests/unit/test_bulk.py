"""The bulk load path (neo4j-admin import): the graph and rejects the incremental path makes, the path chosen
as documented, and a load killed at any point (bulk or incremental) recoverable to the clean load's counts."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ringtrace.core import config
from ringtrace.server import journal

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")),
                                reason="the bulk path imports into the project-run local server only")


def _store(root: Path, label: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "store").write_text(label)


def test_a_swap_killed_half_way_is_finished_by_the_next_start(tmp_path):
    paths = config.LocalPaths(root=tmp_path)
    work = tmp_path / journal.WORK_DIR
    db = config.DEFAULT_DATABASE
    for sub in journal.STORE_DIRS:
        _store(paths.data_dir / sub / db, "old")
        _store(work / "data" / sub / db, "new")
    (work / journal.JOURNAL).write_text(json.dumps({"database": db}))
    # killed after the first directory was swapped, before the second
    (work / "replaced").mkdir()
    (paths.data_dir / "databases" / db).rename(work / "replaced" / "databases")
    (work / "data" / "databases" / db).rename(paths.data_dir / "databases" / db)
    assert journal.finish_interrupted_import(paths).startswith("finished")
    for sub in journal.STORE_DIRS:
        assert (paths.data_dir / sub / db / "store").read_text() == "new"
    assert not work.exists()


def test_an_import_that_never_completed_is_dropped_and_the_database_kept(tmp_path):
    paths = config.LocalPaths(root=tmp_path)
    work = tmp_path / journal.WORK_DIR
    db = config.DEFAULT_DATABASE
    _store(paths.data_dir / "databases" / db, "old")
    _store(work / "data" / "databases" / db, "half")
    (work / journal.OWNER).write_text("999999999")  # a process that no longer runs
    assert journal.finish_interrupted_import(paths).startswith("removed")
    assert (paths.data_dir / "databases" / db / "store").read_text() == "old"
    assert not work.exists()
