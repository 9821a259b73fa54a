"""A real browser (Debian's chromium driven by Playwright) works through the workbench."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CLICK_ATTEMPTS,
    CLICK_WAIT_MS,
    SCREENSHOT_DIR,
    STEP_TIMEOUT_MS,
    canvas_frame,
    canvas_nodes,
    click_canvas_node,
    click_first_grid_row,
    free_port,
    open_overview,
    running_workbench,
    wait_healthy,
)

from workbench.canvas import KIND_NAMES


@pytest.fixture(scope="module")
def workbench(sample_detected):
    from tracing.report import trace_all

    g, result, _ = sample_detected
    trace_all(g, result.run_id)
    with running_workbench() as url:
        yield url, result


def test_investigator_flow_in_a_real_browser(workbench, tmp_path):
    """Overview -> click a flagged cluster -> legend, nodes named by id -> search a prefix -> expand -> trace
    -> export -> re-zip the bundle with `zip -r` -> `ringtrace verify` passes."""
    pw = pytest.importorskip("playwright.sync_api")
    url, result = workbench
    top_cluster, top = result.flagged[0]
    account = top.members[0]
    shot = SCREENSHOT_DIR / "workbench-cluster.png"
    with pw.sync_playwright() as p:
        browser, page = open_overview(p, url)
        page.wait_for_timeout(1000)
        click_first_grid_row(page, "overview-clusters")
        page.get_by_text("Reasons", exact=True).wait_for()
        page.get_by_text("Top-ranked organisation", exact=False).wait_for()
        assert top.reasons[0][:40] in page.inner_text("body")
        legend = page.locator(".ringtrace-legend").first
        legend.wait_for()
        assert "Account" in legend.inner_text()
        el, frame = canvas_frame(page)
        labels = [n["name"] for n in canvas_nodes(frame)]
        kinds = {"Account", "IPAddress", "PaymentCard", "Device", "Cluster", "Organisation", "Person"}
        assert labels and not any(label in kinds for label in labels), labels[:10]
        assert any(label.startswith(("acc-", "card-fp-", "dev-")) or "accounts" in label for label in labels)
        page.screenshot(path=str(shot), full_page=True)

        page.get_by_text("Explore", exact=True).click()
        search = page.get_by_label("Search any identifier", exact=False)
        search.fill(account[:-1])
        search.press("Enter")
        page.get_by_role("button", name=f"Add Account {account}").click()
        page.get_by_role("button", name="Expand", exact=True).click()
        page.get_by_text("most telling first", exact=False).first.wait_for()
        el, frame = canvas_frame(page)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SCREENSHOT_DIR / "workbench-explore.png"))
        # clicking another node on the canvas makes it the selected node: its kind heads the panel
        other = next(n for n in canvas_nodes(frame) if n["label"] != "Account")  # the account is selected
        kind = KIND_NAMES.get(other["label"], other["label"])
        for attempt in range(CLICK_ATTEMPTS):  # the page may still move while it settles: aim again
            click_canvas_node(page, el, frame, other["id"])
            heading = page.locator("strong").filter(has_text=re.compile(rf"^{kind}$")).first
            try:
                heading.wait_for(timeout=CLICK_WAIT_MS)
                break
            except pw.TimeoutError:
                if attempt == CLICK_ATTEMPTS - 1:
                    raise

        page.get_by_text("Trace", exact=True).click()
        page.get_by_text("Top-ranked organisation", exact=False).wait_for()
        body = page.inner_text("body")
        assert any(org in body for org in ("Halcyon Reasoning Lab", "Quillon Systems", "Moravec Vision Institute"))

        page.get_by_text("Cluster", exact=True).first.click()
        page.get_by_role("button", name="Prepare evidence bundle").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download bundle").click()
        bundle = tmp_path / "bundle.zip"
        download.value.save_as(bundle)
        browser.close()
    unpacked, repacked = tmp_path / "unpacked", tmp_path / "repacked.zip"
    subprocess.run(["unzip", "-q", str(bundle), "-d", str(unpacked)], check=True)
    subprocess.run(["zip", "-q", "-r", str(repacked), "."], cwd=unpacked, check=True)
    verified = subprocess.run([sys.executable, "-m", "ringtrace.cli", "verify", str(repacked)],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert top_cluster in verified.stdout
    from PIL import Image

    img = Image.open(shot).convert("RGB")
    colours = img.resize((200, 200)).getcolors(maxcolors=200 * 200)
    assert colours and len(colours) > 20, "the screenshot looks blank"


def test_non_loopback_bind_shows_only_the_login_and_locks_out_after_failures(neo4j_server, tmp_path):
    """`streamlit run app.py --server.address 0.0.0.0`, as the README allows: login only, then lockout."""
    pw = pytest.importorskip("playwright.sync_api")
    import json

    from graph.db import server_settings
    from ringtrace.core import config

    server = server_settings()
    home = tmp_path / "home"
    env = dict(os.environ, RINGTRACE_HOME=str(home), NEO4J_URI=server.uri, NEO4J_USER=server.user,
               NEO4J_PASSWORD=server.password)
    subprocess.run([sys.executable, "-m", "ringtrace.cli", "user", "add", "ivan", "--role", "investigator",
                    "--password", "right-password"], env=env, check=True, capture_output=True)
    port = free_port()
    app = Path(__file__).resolve().parents[2] / "app.py"  # the checkout's shim over workbench/entry/app.py
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app),
                             "--server.address", "0.0.0.0", "--server.port", str(port), "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    audit_log = home / "audit.log"

    def audited(action: str) -> int:
        if not audit_log.exists():
            return 0
        return sum(json.loads(line)["action"] == action for line in audit_log.read_text().splitlines() if line)

    try:
        assert wait_healthy(url), "the workbench did not start"
        with pw.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(url)
            page.get_by_role("button", name="Sign in").wait_for()
            body = page.inner_text("body")
            assert "Overview" not in body and "Signed in as" not in body

            def attempt(password: str, action: str) -> None:
                before = audited(action)
                page.get_by_role("textbox", name="User").fill("ivan")
                page.get_by_role("textbox", name="Password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                end = time.monotonic() + 30
                while audited(action) == before and time.monotonic() < end:
                    time.sleep(0.2)
                assert audited(action) == before + 1, f"no {action} in the audit log"

            for _ in range(config.LOGIN_MAX_FAILURES):
                attempt("wrong-password", "login_failed")
            attempt("right-password", "login_refused")
            page.get_by_text("Too many failed sign-ins", exact=False).wait_for()
            assert "Signed in as" not in page.inner_text("body")
            browser.close()
        assert audited("login_failed") == config.LOGIN_MAX_FAILURES and audited("login") == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
