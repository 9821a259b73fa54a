"""The monitoring loop in a real browser (Debian's chromium driven by Playwright), on the sample with each
operator's next wave held back: open a case from a flagged campaign, assign it, note, confirm, export its
bundle; load the next wave; the alert names the case on the Alerts page; after detection, `ringtrace changes`
and the Changes page list the accounts that joined the case's campaign."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
import zipfile

import pytest
from browser_helpers import SCREENSHOT_DIR, choose, nav, open_overview, running_workbench


@pytest.fixture(scope="module")
def loop_workbench(first_batch_detected):
    from tracing.report import trace_all

    g, result, second, waves = first_batch_detected
    trace_all(g, result.run_id)
    with running_workbench() as url:
        yield url, g, result, second, waves


def _cli(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "ringtrace.cli", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def test_case_to_alert_to_changes_loop_in_a_real_browser(loop_workbench, tmp_path):
    pw = pytest.importorskip("playwright.sync_api")
    url, g, result, second, waves = loop_workbench
    nonce = uuid.uuid4().hex[:8]  # a kept test server may already hold a case from an earlier run
    title, note = f"Browser case {nonce}: chain-of-thought harvesting", f"Billing names match the staff list ({nonce})."
    campaign = result.campaigns[0]
    account = next(c.members[0] for cid, c in result.flagged if cid in campaign.cluster_ids)
    with pw.sync_playwright() as p:
        browser, page = open_overview(p, url)
        nav(page, "Campaign")
        page.get_by_text("Attribution across the campaign", exact=True).wait_for()
        page.get_by_label("Case title").fill(title)
        page.get_by_role("button", name="Open a case").click()
        page.get_by_role("heading").filter(has_text=title).first.wait_for()
        page.get_by_label("Assignee").fill("ivy")
        page.get_by_label("Add a note").fill(note)
        choose(page, "Set status", "confirmed")
        page.get_by_role("button", name="Save case").click()
        # the note box keeps its text until the save is done: wait for the page to say so
        page.get_by_text("Saved: status confirmed", exact=False).first.wait_for()
        page.get_by_text(note, exact=True).filter(visible=True).first.wait_for()  # not the grid's hidden cell
        page.get_by_role("button", name="Prepare case bundle").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download case bundle").click()
        bundle = tmp_path / "case.zip"
        download.value.save_as(bundle)
        record = json.loads(zipfile.ZipFile(bundle).read("case.json"))
        case_id = record["case"]["case_id"]

        nav(page, "Explore")
        search = page.get_by_label("Search any identifier", exact=False)
        search.fill(account)
        search.press("Enter")
        page.get_by_role("button", name=f"Add Account {account}").click()
        # the node panel names the case and its decision (its properties are a data grid, drawn, not text)
        page.get_by_text("decision: confirmed", exact=False).first.wait_for()
        assert "**" not in page.get_by_text(f"{case_id}: confirmed", exact=False).first.inner_text(), \
            "the case line's bold markup is rendered, not escaped"

        loaded = _cli("load", str(second), "--no-progress")  # the operator's next wave arrives
        assert case_id in loaded.stdout, loaded.stdout[-3000:]
        nav(page, "Alerts")
        alert = page.get_by_text(f"watched by case {case_id}", exact=False).filter(visible=True).first
        alert.wait_for()
        page.screenshot(path=str(SCREENSHOT_DIR / "workbench-alerts.png"), full_page=True)

        _cli("detect", "--no-progress")
        changes = _cli("changes").stdout
        joined_line = next(line for line in changes.splitlines() if f"under case {case_id}" in line)
        assert "joined" in joined_line
        nav(page, "Changes")
        page.get_by_text("Joined a case's campaign", exact=True).wait_for()
        assert f"under case {case_id}" in page.inner_text("body")
        browser.close()
    verified = subprocess.run([sys.executable, "-m", "ringtrace.cli", "verify", str(bundle)], capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert record["case"]["status"] == "confirmed" and record["case"]["assignee"] == "ivy"
    assert any(e["action"] == "note" for e in record["history"])
    decided = _cli("query", "decided_accounts", "--format", "csv").stdout
    assert f"{account},confirmed,{case_id}" in decided
    alerted = {a for row in json.loads(_cli("alerts", "--case", case_id, "--json").stdout) for a in row["accounts"]}
    next_wave = set().union(*waves.values())
    assert alerted and alerted <= next_wave, sorted(alerted - next_wave)[:10]
    assert not alerted & set(record["accounts"])  # the case's own accounts never alert on its watchlist
