"""Time every workbench page in a real browser (Debian's chromium driven by Playwright).

    python bench/page_timings.py [--runs 3] [--url http://127.0.0.1:8501]

Without --url it starts `ringtrace app` on a free loopback port against the configured Neo4j
(RINGTRACE_HOME / NEO4J_URI) and stops it after. For each page it clicks the page in the
sidebar and waits until the page's main content is visible and Streamlit has finished the
run; the first visit is "cold", the best of the later visits "warm" (seconds).
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# What shows that each page's main content is there.
READY = {
    "Overview": "text=Click a row to open its campaign or cluster",
    "Campaign": "text=Attribution across the campaign",
    "Cluster": 'iframe[title*="st_link_analysis"]',
    "Explore": "text=Search and add a node to start the canvas",
    "Trace": "text=Top-ranked organisation",
    "Queries": "text=Ad-hoc read-only Cypher",
    "Cases": "h2:has-text('Cases')",
    "Alerts": "text=Partner reports",
    "Changes": "h2:has-text('Changes')",
}
RUNNING = '[data-testid="stStatusWidget"]'
START_TIMEOUT_S = 90
STEP_TIMEOUT_MS = 120_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_app() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ringtrace.cli", "app", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the workbench did not start")


def _visit(page, name: str) -> float:
    started = time.perf_counter()
    page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name, exact=True).first.wait_for()
    page.locator(READY[name]).first.wait_for()
    page.wait_for_function(f"() => !document.querySelector('{RUNNING}')", timeout=STEP_TIMEOUT_MS)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    proc, url = (None, args.url) if args.url else _start_app()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            times: dict[str, list[float]] = {name: [] for name in READY}
            started = time.perf_counter()
            page.goto(url)  # the first page is Overview: its cold time includes the page load
            page.locator(READY["Overview"]).first.wait_for()
            page.wait_for_function(f"() => !document.querySelector('{RUNNING}')", timeout=STEP_TIMEOUT_MS)
            times["Overview"].append(time.perf_counter() - started)
            order = [name for name in READY if name != "Overview"] + ["Overview"]
            for _ in range(args.runs):
                for name in order:
                    times[name].append(_visit(page, name))
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{'page':10} {'cold s':>8} {'warm s':>8}")
    for name, t in times.items():
        print(f"{name:10} {t[0]:8.2f} {min(t[1:] or t):8.2f}")


if __name__ == "__main__":
    main()
