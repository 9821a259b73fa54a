"""Offline import into the local server's database with `neo4j-admin database import full`.

The importer writes into a staging data directory while the live database stays as it was; only a
completed import is swapped in, through a journal that the next start (or import) finishes if a kill
interrupts the swap. So an interrupted bulk load leaves either the old database or the complete new one.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.server import journal, local_neo4j

ARRAY_DELIMITER = "U+001F"
RSS_POLL_S = 0.5
REPORT_TAIL_LINES = 20


@dataclass
class ImportResult:
    seconds: float
    peak_rss_bytes: int
    report: Path


def _arg(value: str) -> str:
    """One line of a picocli argument file: quoted, so spaces in paths stay one argument."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _peak_rss(pid: int, peak: list[int], done: threading.Event) -> None:
    while not done.wait(RSS_POLL_S):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) * 1024)
        except OSError:
            return


def import_database(nodes: list[tuple[str, Path, Path]], relationships: list[tuple[str, Path, Path]],
                    multiline: bool, database: str = config.DEFAULT_DATABASE,
                    logs: list[tuple[Path, Path]] = ()) -> ImportResult:
    """Replace the local server's `database` with the given CSV files (label or type, header, data); the
    `logs` (staged file, place in the log store) move in with it, through the same journal.

    The server is stopped for the import and started again after it, whether the import succeeded or not."""
    paths = config.local_paths()
    java = local_neo4j.find_java()
    journal.finish_interrupted_import(paths)
    work = journal.work_dir(paths)
    (work / "data").mkdir(parents=True)
    (work / journal.OWNER).write_text(str(os.getpid()))
    for _, head, data in nodes + relationships:
        if "," in str(head) + str(data):
            raise RingtraceError(f"The import files' folder {head.parent} has a comma in its path, which "
                                 "neo4j-admin cannot read; set RINGTRACE_HOME to a path without one.")
    extra = work / "import.conf"
    extra.write_text(f"server.directories.data={work / 'data'}\n", encoding="utf-8")
    report = work / "import.report"
    args = ["database", "import", "full",
            *(f"--nodes={label}={head},{data}" for label, head, data in nodes),
            *(f"--relationships={rel}={head},{data}" for rel, head, data in relationships),
            f"--array-delimiter={ARRAY_DELIMITER}", f"--multiline-fields={str(multiline).lower()}",
            "--overwrite-destination=true", f"--report-file={report}", f"--additional-config={extra}",
            f"--max-off-heap-memory={config.IMPORT_OFF_HEAP}", "--", database]
    local_neo4j.stop()
    started = time.monotonic()
    peak = [0]
    try:
        env = dict(os.environ, NEO4J_HOME=str(paths.server_home), NEO4J_CONF=str(paths.conf_dir))
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            argfile = Path(tmp) / "import-args"
            argfile.write_text("\n".join(_arg(a) for a in args) + "\n", encoding="utf-8")
            log = work / "import.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen([java, f"-Xmx{config.IMPORT_HEAP}", "-cp", f"{paths.lib}/*",
                                         local_neo4j.ADMIN_TOOL, f"@{argfile}"],
                                        stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)
                done = threading.Event()
                watcher = threading.Thread(target=_peak_rss, args=(proc.pid, peak, done), daemon=True)
                watcher.start()
                code = proc.wait()
                done.set()
        if code != 0:
            tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-REPORT_TAIL_LINES:])
            raise RingtraceError(f"neo4j-admin database import failed (exit {code}); the database is unchanged. "
                                 f"Its last lines:\n{tail}\nRun the load again with --mode incremental to write "
                                 "through the server instead.")
        pending = work / (journal.JOURNAL + ".tmp")  # written whole, then renamed: a kill never leaves half a journal
        pending.write_text(json.dumps({"database": database, "logs": [[str(a), str(b)] for a, b in logs]}),
                           encoding="utf-8")
        pending.replace(work / journal.JOURNAL)
        (work / journal.OWNER).unlink()  # from here the journal decides: a later start finishes the swap
        kept = paths.root / "loads" / "last-import.report"
        kept.parent.mkdir(parents=True, exist_ok=True)
        if report.exists():
            shutil.copyfile(report, kept)
        shutil.copyfile(log, kept.with_suffix(".log"))  # the importer's own account of its stages
        journal.swap(paths, database, [(str(a), str(b)) for a, b in logs])
    finally:
        if not (work / journal.JOURNAL).exists():
            shutil.rmtree(work, ignore_errors=True)
        local_neo4j.start(quiet=True)
    return ImportResult(seconds=time.monotonic() - started, peak_rss_bytes=peak[0],
                        report=paths.root / "loads" / "last-import.report")
