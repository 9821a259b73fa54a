"""Time the investigation canvas on a synthetic cluster of N accounts in a real browser.

    python bench/canvas_render.py [--accounts 8000] [--cards-per 30] [--ungrouped]

Builds `bundle_evidence_graph`-shaped rows for one cluster (accounts sharing a card per `cards-per` accounts,
a device per 10, two of 500 proxy exit addresses each, a staff member's device and a billed organisation),
then prints the time of workbench.cluster_graph.build, the nodes and edges it draws, and, in Debian's chromium,
the time from opening a Streamlit page holding only the canvas until Cytoscape has drawn every node and its
layout has stopped moving. No Neo4j is needed: this measures the drawing, not the query.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)
from workbench import cluster_graph  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
EXITS = 500
PAGE = """
import json, sys
sys.path.insert(0, {root!r})
import streamlit as st
from workbench import cluster_graph
from workbench.canvas import canvas, legend
rows = json.load(open({rows!r}))
g = cluster_graph.build(rows, names={{"Organisation:proxy-hydra": {{"name": "HydraNet Proxies"}},
                                      "Organisation:org-lab": {{"name": "Quillon Systems"}},
                                      "Person:person-1": {{"name": "Bex Glenrock"}}}}, flagged=True,
                        **({{"group_above": 10 ** 9}} if {ungrouped!r} else {{}}))
nodes = dict(list(g.nodes.items())[:300])
legend(sorted({{n["label"] for n in nodes.values()}}))
canvas(nodes, g.edges, "bench")
"""


def rows_for(accounts: int, cards_per: int) -> list[dict]:
    rows = []
    for i in range(accounts):
        a = f"acc-{i:06d}"
        rows += [{"source_label": "Account", "source": a, "type": "MEMBER_OF", "target_label": "Cluster",
                  "target": "c"},
                 {"source_label": "Account", "source": a, "type": "PAID_WITH", "target_label": "PaymentCard",
                  "target": f"card-{i // cards_per}"},
                 {"source_label": "Account", "source": a, "type": "USED_DEVICE", "target_label": "Device",
                  "target": "dev-staff" if i % 7 == 0 else f"dev-{i // 10}"}]
        for j in (i % EXITS, (i * 7 + 3) % EXITS):
            rows.append({"source_label": "Account", "source": a, "type": "LOGGED_IN_FROM",
                         "target_label": "IPAddress", "target": f"100.64.{j // 256}.{j % 256}"})
    rows += [{"source_label": "IPAddress", "source": f"100.64.{j // 256}.{j % 256}", "type": "EXIT_NODE_OF",
              "target_label": "Organisation", "target": "proxy-hydra"} for j in range(EXITS)]
    rows += [{"source_label": "PaymentCard", "source": "card-0", "type": "BILLED_TO", "target_label": "Organisation",
              "target": "org-lab"},
             {"source_label": "Person", "source": "person-1", "type": "USES_DEVICE", "target_label": "Device",
              "target": "dev-staff"}]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=8000)
    ap.add_argument("--cards-per", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ungrouped", action="store_true",
                    help="the worst drawing: no account grouping, so the 300-node cap is reached")
    args = ap.parse_args()
    rows = rows_for(args.accounts, args.cards_per)
    t = time.perf_counter()
    g = cluster_graph.build(rows, **({"group_above": 10 ** 9} if args.ungrouped else {}))
    build_s = time.perf_counter() - t
    print(f"{args.accounts:,} accounts, {len(rows):,} evidence rows: build {build_s:.2f} s -> "
          f"{len(g.nodes):,} nodes, {len(g.edges):,} edges (drawn: at most 300 nodes)")
    work = Path(tempfile.mkdtemp())
    (work / "rows.json").write_text(json.dumps(rows))
    (work / "page.py").write_text(PAGE.format(root=ROOT, rows=str(work / "rows.json"), ungrouped=args.ungrouped))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(work / "page.py"), "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for run in range(args.runs):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(180_000)
                t = time.perf_counter()
                page.goto(url)
                el = page.locator('iframe[title*="st_link_analysis"]').first
                el.wait_for()
                frame_s = time.perf_counter() - t
                frame = el.element_handle().content_frame()
                frame.wait_for_function("() => { const c = document.getElementById('cy'); "
                                        "return c && c._cyreg && c._cyreg.cy.nodes().length > 0; }")
                drawn_s = time.perf_counter() - t
                still = "() => JSON.stringify(document.getElementById('cy')._cyreg.cy.nodes().map(n => n.position()))"
                before = frame.evaluate(still)
                while True:  # settled: no node moves across 300 ms
                    page.wait_for_timeout(300)
                    now = frame.evaluate(still)
                    if now == before:
                        break
                    before = now
                settled_s = time.perf_counter() - t - 0.3
                n = frame.evaluate("() => document.getElementById('cy')._cyreg.cy.nodes().length")
                print(f"run {run + 1}: page script done and canvas frame there at {frame_s:.2f} s, {n} nodes drawn "
                      f"at {drawn_s:.2f} s, still at {settled_s:.2f} s (load average {os.getloadavg()[0]:.1f})")
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
