"""Run every shipped saved query with its defaults on the loaded graph and print the time of each.

    python bench/query_timings.py            # the server ringtrace is configured for (RINGTRACE_HOME / NEO4J_URI)

Each query runs twice (cold, then warm) through the same runner as the CLI and the workbench,
with the default timeout; a query that hits it is reported as TIMEOUT and the command exits 1.
"""
from __future__ import annotations

import sys
import time

from graph.db import connect
from queries import library, runner
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

RUNS = ("cold", "warm")


def main() -> int:
    shipped = sorted(q.name for q in library.load_library().values() if q.shipped)
    failures = 0
    with connect() as g:
        accounts = g.read("MATCH (a:Account) RETURN count(a) AS n")[0]["n"]
        print(f"{len(shipped)} shipped queries on a graph of {accounts:,} accounts; "
              f"timeout {config.QUERY_TIMEOUT_S:g} s")
        print(f"{'query':45} {'cold s':>8} {'warm s':>8} {'rows':>7}  status")
        for name in shipped:
            times, rows, status = [], 0, "ok"
            for _ in RUNS:
                started = time.monotonic()
                try:
                    rows = len(runner.run_saved(g, name).rows)
                except RingtraceError as exc:
                    status = "TIMEOUT" if "timeout" in str(exc) else f"ERROR: {exc}"
                times.append(time.monotonic() - started)
                if status != "ok":
                    break
            failures += status != "ok"
            cells = [f"{t:8.2f}" for t in times] + ["       -"] * (len(RUNS) - len(times))
            print(f"{name:45} {' '.join(cells)} {rows:7d}  {status}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
