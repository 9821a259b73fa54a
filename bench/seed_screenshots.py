"""Screenshots of the Cluster, Trace and Explore canvases on the largest cluster of the latest detection run,
for the README (docs/screenshots/seed-canvas-*.png), taken in Debian's chromium against a running workbench.

    python bench/seed_screenshots.py [--url http://127.0.0.1:8501] [--explore dev-staff] [--out docs/screenshots]

Without --url it starts `ringtrace app` on a free loopback port against the configured Neo4j (RINGTRACE_HOME /
NEO4J_URI). The seed graph is not in CI, so these are taken by hand (the demo's by
tests/integration/test_browser_canvas.py). For each canvas it prints what it checked: every node captioned,
the legend visible, how many addresses are drawn apart from their group, and the groups drawn.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import (canvas_frame, canvas_nodes, explore_expanded, nav, running_workbench,  # noqa: E402
                             wait_idle)
from page_timings import CHROMIUM, CHROMIUM_ARGS, RUNNING  # noqa: E402

from graph.db import connect, server_settings  # noqa: E402

LARGEST = """
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster {run_id: d.run_id}) RETURN c.cluster_id AS cluster_id, c.size AS size ORDER BY c.size DESC LIMIT 1
"""
STEP_TIMEOUT_MS = 300_000
PICK_LABEL = "Open a cluster by id (full, or short like c0001)"


def _check(page, frame, name: str) -> None:
    nodes = canvas_nodes(frame)
    uncaptioned = [n["id"] for n in nodes if not n.get("name")]
    legend = page.locator(".ringtrace-legend").first
    apart = [n["name"] for n in nodes if n["label"] in ("IPAddress", "Proxy")]
    groups = [n["name"] for n in nodes if n["label"] == "InfrastructureGroup"]
    kinds = sorted({n["label"] for n in nodes})
    print(f"{name}: {len(nodes)} nodes ({', '.join(kinds)}); uncaptioned {len(uncaptioned)}; legend visible "
          f"{legend.is_visible()}; infrastructure groups {groups}; addresses or proxies drawn apart {len(apart)}")


def _shot(page, el, path: Path) -> None:
    """The canvas with the legend above it and the panel beside it (as the demo pictures)."""
    el.scroll_into_view_if_needed()
    page.mouse.move(1, 1)
    page.wait_for_timeout(1500)
    box = el.bounding_box()
    page.screenshot(path=str(path), clip={"x": max(box["x"] - 20, 0), "y": max(box["y"] - 110, 0),
                                          "width": 1040, "height": box["height"] + 130})
    print(f"wrote {path}")


def _open_cluster(page, cluster_id: str) -> None:
    box = page.get_by_label(PICK_LABEL, exact=True)
    box.fill(cluster_id)
    box.press("Enter")
    wait_idle(page)


def take(url: str, out: Path, explore: str) -> None:
    g = connect(server_settings())
    largest = g.read(LARGEST)[0]
    g.close()
    print(f"largest cluster {largest['cluster_id']}: {largest['size']:,} accounts")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Click a row to open its campaign or cluster", exact=False).wait_for()

        for visit in ("first", "again", "last"):  # the canvas's time on this cluster: the id typed -> nodes drawn
            nav(page, "Cluster")
            wait_idle(page)
            started = time.perf_counter()
            _open_cluster(page, largest["cluster_id"])
            page.get_by_text(f"Members ({largest['size']:,})", exact=True).wait_for()
            page.wait_for_function(f"() => !document.querySelector('{RUNNING}')")
            el, frame = canvas_frame(page)
            print(f"cluster canvas {visit}: {time.perf_counter() - started:.2f} s (load average "
                  f"{os.getloadavg()[0]:.2f})")
            if visit != "last":
                nav(page, "Cases")
        _check(page, frame, "cluster")
        _shot(page, el, out / "seed-canvas-cluster.png")

        nav(page, "Trace")
        _open_cluster(page, largest["cluster_id"])
        page.get_by_text("Evidence paths, strongest first").wait_for()
        el, frame = canvas_frame(page)
        _check(page, frame, "trace")
        _shot(page, el, out / "seed-canvas-trace.png")

        el, frame = explore_expanded(page, explore, "Add ")
        frame.wait_for_function("() => document.getElementById('cy')._cyreg.cy.nodes().length > 2")
        _check(page, frame, "explore")
        _shot(page, el, out / "seed-canvas-explore.png")
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=None)
    ap.add_argument("--explore", default="dev-staff", help="what Explore searches for, adds and expands")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args()
    if args.url:
        take(args.url, args.out, args.explore)
        return
    with running_workbench() as url:
        take(url, args.out, args.explore)


if __name__ == "__main__":
    main()
