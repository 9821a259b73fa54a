"""What the browser tests share: Debian's chromium with Playwright, a workbench started on a free port, and
steps that wait for Streamlit to settle."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
START_TIMEOUT_S = 60
STEP_TIMEOUT_MS = 60_000
CLICK_ATTEMPTS = 3
CLICK_WAIT_MS = 15_000
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / ".ringtrace" / "screenshots"


VIEWPORT = {"width": 1400, "height": 1000}


def open_overview(p, url: str):
    """Launch chromium, open the workbench's Overview and wait for it; returns (browser, page)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(url)
    page.get_by_text("Click a row to open its campaign or cluster", exact=False).wait_for()
    return browser, page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str) -> bool:
    """True once Streamlit answers its health check (within START_TIMEOUT_S)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return True
        except OSError:
            time.sleep(0.5)
    return False


@contextmanager
def running_workbench() -> Iterator[str]:
    """`ringtrace app` on a free loopback port; yields its URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ringtrace.cli", "app", "--port", str(port)],
                            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    if not wait_healthy(url):
        proc.kill()
        pytest.fail("the workbench did not start: " + proc.stdout.read().decode()[-2000:])
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_idle(page) -> None:
    """Wait until Streamlit has no script run going (its status widget shows only while one runs)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")


def nav(page, title: str) -> None:
    """Click `title` in the sidebar once the app is idle and no floating overlay (menu, tooltip) holds the page
    inert; Escape closes such an overlay."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
    for attempt in range(CLICK_ATTEMPTS):
        wait_idle(page)
        page.keyboard.press("Escape")
        try:
            link.click(timeout=CLICK_WAIT_MS)
            return
        except PlaywrightTimeout:
            if attempt == CLICK_ATTEMPTS - 1:
                raise


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the Streamlit selectbox labelled `label`."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


CANVAS_FRAME = 'iframe[title*="st_link_analysis"]'


def canvas_frame(page, index: int = 0):
    """The `index`-th canvas (st-link-analysis iframe) once Cytoscape has drawn nodes in it: (element, frame)."""
    el = page.locator(CANVAS_FRAME).nth(index)
    el.wait_for()
    el.scroll_into_view_if_needed()
    frame = el.element_handle().content_frame()
    frame.wait_for_function("() => { const c = document.getElementById('cy'); "
                            "return c && c._cyreg && c._cyreg.cy && c._cyreg.cy.nodes().length > 0; }")
    return el, frame


def explore_expanded(page, query: str, add: str):
    """On Explore: search `query`, add the first result whose button starts with `add`, expand it; the canvas
    (element, frame) once the expansion is listed."""
    nav(page, "Explore")
    search = page.get_by_label("Search any identifier", exact=False)
    search.fill(query)
    search.press("Enter")
    page.get_by_role("button", name=add, exact=False).first.click()
    wait_idle(page)
    page.get_by_role("button", name="Expand", exact=True).click()
    page.get_by_text("most telling first", exact=False).first.wait_for()
    return canvas_frame(page)


def canvas_nodes(frame) -> list[dict]:
    """Every node drawn on a canvas: its data (id, label = kind, name = caption, markers)."""
    return frame.evaluate("() => document.getElementById('cy')._cyreg.cy.nodes().map(n => n.data())")


def click_canvas_node(page, el, frame, node_id: str) -> None:
    """Click a canvas node where it is drawn on screen (fitted into view first)."""
    el.scroll_into_view_if_needed()
    spot = frame.evaluate("""(id) => {
        const cy = document.getElementById('cy')._cyreg.cy;
        cy.fit(undefined, 30);
        const r = document.getElementById('cy').getBoundingClientRect();
        const p = cy.getElementById(id).renderedPosition();
        return {x: r.left + p.x, y: r.top + p.y};
    }""", node_id)
    box = el.bounding_box()
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


GRID_ROW_PX = 35  # Streamlit's dataframe: header and rows are 35 px high


def click_first_grid_row(page, key: str) -> None:
    """Click the first data row of the Streamlit dataframe with widget key `key` (a canvas grid: its row marker)."""
    grid = page.locator(f'.st-key-{key} [data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    deadline = time.monotonic() + 30
    box = grid.bounding_box()
    while (box is None or box["height"] < 2 * GRID_ROW_PX) and time.monotonic() < deadline:
        page.wait_for_timeout(200)  # the grid grows as its rows arrive
        box = grid.bounding_box()
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + GRID_ROW_PX * 1.5)
