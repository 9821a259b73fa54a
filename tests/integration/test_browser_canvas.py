"""The investigation canvas in a real browser (Debian's chromium, Playwright, a real workbench and Neo4j):
Cluster, Trace and Explore draw captioned nodes with a legend and grouped infrastructure; clicking a node opens
its panel with an Expand action that draws the group's addresses."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_helpers import (
    SCREENSHOT_DIR,
    canvas_frame,
    canvas_nodes,
    click_canvas_node,
    explore_expanded,
    nav,
    open_overview,
    running_workbench,
    wait_idle,
)

# Set RINGTRACE_DOCS_SCREENSHOTS=1 to refresh the README's pictures in docs/screenshots from this run.
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def workbench(sample_detected):
    from tracing.report import trace_all

    g, result, _ = sample_detected
    trace_all(g, result.run_id)
    with running_workbench() as url:
        yield url, result


def _shot(page, el, name: str) -> Path:
    el.scroll_into_view_if_needed()
    page.mouse.move(1, 1)  # no tooltip over the picture
    page.wait_for_timeout(500)
    box = el.bounding_box()
    path = SCREENSHOT_DIR / name
    # the canvas with the legend and panel around it: from above the legend to below the frame
    page.screenshot(path=str(path), clip={"x": max(box["x"] - 20, 0), "y": max(box["y"] - 110, 0),
                                          "width": 1040, "height": box["height"] + 130})
    import os

    if os.environ.get("RINGTRACE_DOCS_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_SHOTS / name)
    return path


def test_canvases_caption_group_and_open_a_panel_with_expand(workbench):
    pw = pytest.importorskip("playwright.sync_api")
    url, result = workbench
    with pw.sync_playwright() as p:
        browser, page = open_overview(p, url)
        nav(page, "Cluster")
        el, frame = canvas_frame(page)
        nodes = canvas_nodes(frame)
        assert nodes and all(n.get("name") for n in nodes), "every node is captioned"
        lone = [n["name"] for n in nodes if n["label"] == "IPAddress"]
        assert len(lone) <= 2, f"addresses are grouped by default (only a lone one stays apart): {lone}"
        groups = [n for n in nodes if n["label"] == "InfrastructureGroup"]
        assert any(n["name"].startswith("HydraNet Proxies: ") and n["name"].endswith(" exit addresses")
                   for n in groups), [n["name"] for n in groups]
        assert any(n["label"] == "Person" and not n["name"].startswith("person-") for n in nodes), \
            "people are captioned by name"
        assert any(n.get("flagged") for n in nodes), "the flagged cluster's accounts are marked"
        legend = page.locator(".ringtrace-legend").first
        assert "Infrastructure (grouped)" in legend.inner_text() and legend.is_visible()
        _shot(page, el, "canvas-cluster.png")

        proxy = next(n for n in groups if n["name"].startswith("HydraNet Proxies"))
        click_canvas_node(page, el, frame, proxy["id"])
        page.locator("strong", has_text="Infrastructure (grouped)").first.wait_for()
        expand = page.get_by_role("button", name="Expand", exact=True)
        expand.wait_for()
        assert page.get_by_text("No case covers its accounts.").first.is_visible()
        expand.click()
        wait_idle(page)
        page.get_by_text("Drew the ", exact=False).first.wait_for()
        el, frame = canvas_frame(page)
        page.wait_for_function("""() => { const f = document.querySelector('iframe[title*="st_link_analysis"]');
            const cy = f && f.contentDocument.getElementById('cy')._cyreg.cy;
            return cy && cy.nodes("[label = 'IPAddress']").length > 0; }""")

        nav(page, "Trace")
        page.get_by_text("Evidence paths, strongest first").wait_for()
        el, frame = canvas_frame(page)
        trace_nodes = canvas_nodes(frame)
        assert all(n.get("name") for n in trace_nodes)
        assert {"Cluster", "Organisation", "Person"} <= {n["label"] for n in trace_nodes}
        assert "works for" in page.inner_text("body"), "the chain through the staff member is listed"
        _shot(page, el, "canvas-trace.png")

        el, frame = explore_expanded(page, "dev-staff", "Add Device dev-staff-")
        page.wait_for_function("""() => { const f = document.querySelector('iframe[title*="st_link_analysis"]');
            const cy = f && f.contentDocument.getElementById('cy')._cyreg.cy;
            return cy && cy.nodes().length > 2; }""")
        explore_nodes = canvas_nodes(frame)
        accounts = [n for n in explore_nodes if n["label"] == "Account"]
        assert accounts and any(n.get("flagged") for n in accounts), "accounts of flagged clusters are marked"
        assert page.locator(".ringtrace-legend").first.is_visible()
        _shot(page, el, "canvas-explore.png")
        browser.close()
