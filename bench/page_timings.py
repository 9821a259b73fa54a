"""Time every workbench page with Streamlit's AppTest against the configured Neo4j.

    python bench/page_timings.py [--runs 3]

Each page is rendered `runs` times in a fresh AppTest (so the first run pays for cold
caches); prints the cold time and the best warm time per page, in seconds.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ("Overview", "Cluster", "Explore", "Trace", "Queries")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    print(f"{'page':10} {'cold s':>8} {'warm s':>8}")
    for page in PAGES:
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            at.sidebar.radio(key="page").set_value(page).run()
            times.append(time.perf_counter() - t)
            errors = [e.value for e in at.error] + [str(e.value) for e in at.exception]
            if errors:
                print(f"{page}: {errors[0][:200]}")
            at.sidebar.radio(key="page").set_value("Queries" if page != "Queries" else "Overview").run()
        print(f"{page:10} {times[0]:8.2f} {min(times[1:] or times):8.2f}")


if __name__ == "__main__":
    main()
