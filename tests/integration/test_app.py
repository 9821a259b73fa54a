"""The workbench under Streamlit's AppTest: every page, empty states, Neo4j down, login, roles."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench.session import PAGE_FILES
from workbench.text import md

APP = str(Path(__file__).resolve().parents[2] / "app.py")


PAGES = ("Overview", "Campaign", "Cluster", "Explore", "Trace", "Queries", "Cases", "Alerts", "Changes")


TIMEOUT = 120


@pytest.fixture(autouse=True)
def listen_address():
    """The workbench decides on a login from Streamlit's own `server.address`; AppTest has none
    (which means every interface, so a login), so tests set it as `ringtrace app` does."""
    from streamlit import config as st_config

    def set_address(address: str | None) -> None:
        st_config.set_option("server.address", address)

    set_address("127.0.0.1")
    yield set_address
    set_address(None)


def _open(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(PAGE_FILES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _signed_in(at: AppTest) -> bool:
    """Whether the workbench shows its pages (the sidebar names the signed-in user)."""
    return any("Signed in as" in str(c.value) for c in at.sidebar.caption)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.info]
    parts += [m.value for m in at.warning] + [m.value for m in at.error] + [h.value for h in at.header]
    parts += [h.value for h in at.subheader]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def investigated(sample_detected):
    from tracing.report import trace_all

    g, result, _ = sample_detected
    trace_all(g, result.run_id)
    return g, result


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_errors(investigated, page):
    at = _open(page)
    assert not at.error, [e.value for e in at.error]
    assert page in _texts(at)


# before the tests that empty the database: the module's detection result must still be in it
def test_cluster_page_says_which_part_of_the_flag_rule_a_cluster_missed_and_members_read_to_the_second(investigated):
    """Issue 27 item 7: "not flagged" is no green up-arrow and names the threshold it missed; the member table shows
    times to the second and no repeated cluster id; the score breakdown's reasons are not cut off."""
    _, result = investigated
    cid = next(cid for cid, c in zip(result.cluster_ids, result.clusters) if not c.flagged and c.multi_account is None)
    at = _open("Cluster")
    at.selectbox(key="cluster-pick").set_value(cid).run()
    assert not at.exception, [e.value for e in at.exception]
    score = next(m for m in at.metric if m.label == "Score")
    assert not score.delta, f"a delta draws an arrow: {score.delta!r}"
    text = _texts(at).replace("\\", "")  # shown as escaped Markdown
    assert re.search(r"not flagged: .*(below the 1 needed|above the run's false-discovery rate 0\.05)", text), text
    members = next(df.value for df in at.dataframe if "account_id" in df.value.columns)
    assert "cluster_id" not in members.columns
    assert members["created_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC").all(), members["created_at"][:3]
    breakdown = [t.value for t in at.table]
    assert breakdown and "reason" in breakdown[0].columns, "the score breakdown is a table whose cells wrap"


def test_a_warm_cluster_page_run_reads_the_data_version_once_and_checks_the_connection_once(investigated,
                                                                                            monkeypatch):
    """Issue 27 (the Cluster page took 4.8 s warm): a warm run of the page read the data version once per cached
    read (16 times) and checked the connection before every statement (22 times), each a round trip to Neo4j.
    Now once per page run each."""
    from neo4j import Driver

    from graph.db import Graph
    from workbench.session import VERSION_KEY

    at = _open("Cluster")
    at.run()
    sent: list[str] = []
    checks: list[int] = []
    real_read, real_verify = Graph.read, Driver.verify_connectivity

    def counted_read(self, query, params=None, *args, **kwargs):
        sent.append(query)
        return real_read(self, query, params, *args, **kwargs)

    def counted_verify(self, *args, **kwargs):
        checks.append(1)
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(Graph, "read", counted_read)
    monkeypatch.setattr(Driver, "verify_connectivity", counted_verify)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert sent.count(VERSION_KEY) == 1, f"{sent.count(VERSION_KEY)} data-version reads in one run"
    assert len(checks) == 1, f"{len(checks)} connection checks in one run"
    assert len(sent) <= 8, f"{len(sent)} statements in a warm run: {sent}"


def test_campaign_reasons_say_why_and_tables_show_reasons_in_full(investigated):
    _, result = investigated
    campaign = result.campaigns[0]
    top = max(campaign.cluster_ids, key=lambda c: dict(result.flagged)[c].score)
    assert campaign.reasons[0].startswith(f"{len(campaign.cluster_ids)} flagged cluster")
    assert dict(result.flagged)[top].why()[0] in campaign.reasons[0], campaign.reasons[0]
    at = _open("Overview")
    text = _texts(at)
    assert md(campaign.reasons[0]) in text, "the campaign table's reasons are shown in full below it"
    assert md(result.flagged[0][1].reasons[1]) in text, "...and the flagged clusters' too"
    at = _open("Campaign")
    assert md(campaign.reasons[0]) in _texts(at)


def test_overview_shows_counts_runs_and_flagged_clusters(investigated):
    at = _open("Overview")
    labels = {m.label for m in at.metric}
    assert "Account" in labels
    assert "Latest detection" in _texts(at)
    assert len(at.dataframe) >= 1


def test_cluster_page_shows_reasons_attribution_and_export(investigated):
    _, result = investigated
    at = _open("Cluster")
    text = _texts(at)
    assert "Reasons" in text and "Attribution" in text
    assert md(result.flagged[0][1].reasons[0]) in text  # shown as escaped Markdown
    orgs = [df.value for df in at.dataframe if "confidence" in df.value.columns]
    assert orgs and orgs[0].iloc[0]["name"].endswith(("Lab", "Systems", "Institute"))
    assert any(b.label == "Prepare evidence bundle" for b in at.button)


def _opened_on(page: str, cluster_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.session_state["open_cluster"] = cluster_id
    at.switch_page(PAGE_FILES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _candidates_shown(at: AppTest) -> list[dict]:
    return [row for df in at.dataframe if {"rank", "confidence", "evidence"} <= set(df.value.columns)
            for row in df.value.to_dict("records")]


def test_cluster_and_trace_pages_show_the_saved_attribution_and_never_recompute_it(investigated, monkeypatch):
    """`trace --all` saved every flagged cluster's attribution: the pages read it back (the very figures the
    Overview and bundles read), they do not trace again; a cluster never traced is traced, and the page says so."""
    from tracing import attribution

    g, result = investigated
    cid = result.flagged[0][0]
    saved = runner_rows(g, cid)
    assert saved, "trace_all saved the top cluster's attribution"
    top = saved[0]
    # a figure only the stored relationship holds: a page that recomputed could not show it
    g.write("MATCH (:Cluster {cluster_id: $c})-[r:ATTRIBUTED_TO {rank: $rank, target_kind: $kind}]->() "
            "SET r.confidence = 0.4321", {"c": cid, "rank": top["rank"], "kind": top["target_kind"]})

    def no_trace(*_a, **_k):
        raise AssertionError("the attribution was recomputed although one is saved")

    try:
        with monkeypatch.context() as m:
            m.setattr(attribution, "trace_cluster", no_trace)
            for page in ("Cluster", "Trace"):
                at = _opened_on(page, cid)
                shown = {(r["id"], r["rank"]): r for r in _candidates_shown(at)}
                for row in runner_rows(g, cid):
                    cell = shown[(row["target_id"], row["rank"])]
                    assert cell["confidence"] == row["confidence"] and cell["evidence"] == row["evidence"], page
                assert {r["confidence"] for r in shown.values()} >= {0.4321}, page
                assert "Saved attribution, traced" in _texts(at), page
            assert "Evidence paths, strongest first" in _texts(at), "the saved paths are drawn and listed"
    finally:
        g.write("MATCH (:Cluster {cluster_id: $c})-[r:ATTRIBUTED_TO {rank: $rank, target_kind: $kind}]->() "
                "SET r.confidence = $v", {"c": cid, "rank": top["rank"], "kind": top["target_kind"],
                                          "v": top["confidence"]})
    never = next(c for c, s in zip(result.cluster_ids, result.clusters) if not s.flagged)
    calls = []
    real = attribution.trace_cluster
    monkeypatch.setattr(attribution, "trace_cluster", lambda graph, c: calls.append(c) or real(graph, c))
    at = _opened_on("Cluster", never)
    assert calls == [never], "a cluster with no saved attribution is traced"
    assert "No saved attribution for this cluster: traced now and saved" in _texts(at)


def test_trace_again_recomputes_the_attribution_saves_it_and_shows_the_new_figures(investigated, monkeypatch):
    """A saved attribution is shown until the investigator asks: Trace again traces once, saves the result
    over the saved one (what the Overview and bundles read next) and shows it, newly dated."""
    from tracing import attribution

    g, result = investigated
    cid = result.flagged[0][0]
    top = runner_rows(g, cid)[0]
    g.write("MATCH (:Cluster {cluster_id: $c})-[r:ATTRIBUTED_TO {rank: $rank, target_kind: $kind}]->() "
            "SET r.confidence = 0.4321", {"c": cid, "rank": top["rank"], "kind": top["target_kind"]})
    before = g.read("MATCH (c:Cluster {cluster_id: $c}) RETURN c.traced_at AS t", {"c": cid})[0]["t"]
    calls = []
    real = attribution.trace_cluster
    monkeypatch.setattr(attribution, "trace_cluster", lambda graph, c: calls.append(c) or real(graph, c))
    at = _opened_on("Trace", cid)
    assert calls == [] and 0.4321 in {r["confidence"] for r in _candidates_shown(at)}, "the saved one first"
    at.button(key=f"trace-again-{cid}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls == [cid], "Trace again traces the cluster once"
    shown = {r["confidence"] for r in _candidates_shown(at)}
    saved = runner_rows(g, cid)
    assert 0.4321 not in shown and 0.4321 not in {r["confidence"] for r in saved}, "recomputed and saved over"
    assert any(r["confidence"] == top["confidence"] for r in saved)
    after = g.read("MATCH (c:Cluster {cluster_id: $c}) RETURN c.traced_at AS t", {"c": cid})[0]["t"]
    assert after > before, "the saved attribution is newly dated"


def test_the_cluster_picker_lists_the_flagged_and_top_ranked_and_opens_any_other_by_id(investigated, monkeypatch):
    """Every option is sent to the browser on every run: the picker lists the flagged and PICKER_CLUSTERS
    top-ranked clusters, and a typed id opens any other (again after a visit elsewhere)."""
    from workbench import widgets

    _, result = investigated
    monkeypatch.setattr(widgets, "PICKER_CLUSTERS", 1)
    widgets._picker_rows.clear()  # listed under the default by the tests before
    flagged = {cid for cid, _ in result.flagged}
    at = _open("Cluster")
    options = set(at.selectbox(key="cluster-pick").options)
    assert len(options) == len(flagged | {result.cluster_ids[0]}) < len(result.cluster_ids)
    assert f"of {len(result.cluster_ids):,} clusters; open any other by its id" in _texts(at)
    other = next(c for c, s in zip(result.cluster_ids, result.clusters) if not s.flagged and c != result.cluster_ids[0])
    for _ in range(2):
        at.text_input(key="cluster-pick-typed").set_value(other).run()
        assert at.selectbox(key="cluster-pick").value == other
        at.switch_page(PAGE_FILES["Cases"]).run()
        at.switch_page(PAGE_FILES["Cluster"]).run()
    widgets._picker_rows.clear()


def runner_rows(g, cluster_id: str) -> list[dict]:
    """The cluster's saved attribution as the bundles and `ringtrace query cluster_attribution` read it."""
    from queries import runner

    return runner.run_saved(g, "cluster_attribution", {"cluster_id": cluster_id}).rows


def test_the_cluster_page_draws_its_charts_without_altair_and_reads_requests_only_when_asked(investigated,
                                                                                           monkeypatch):
    """Issue 27 (Cluster 4.8 s warm): every run built its two charts through Altair, which validated them against
    the Vega-Lite schema (0.1-0.3 s a run), and sent and drew 500 request rows in a closed expander. The charts are
    plain Vega-Lite now (the timeline keeps its release markers) and the requests are read when asked."""
    import altair

    def no_altair(*args, **kwargs):
        raise AssertionError("the Cluster page built a chart through Altair")

    monkeypatch.setattr(altair, "Chart", no_altair)
    monkeypatch.setattr(altair, "layer", no_altair)
    monkeypatch.setattr(altair.TopLevelMixin, "to_dict", no_altair)
    at = _open("Cluster")
    assert not at.exception, [e.value for e in at.exception]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2, "the score breakdown and the activity timeline"
    specs = [json.loads(c.proto.spec) for c in charts]
    timeline = next(s for s in specs if "layer" in s)
    assert timeline["layer"][0]["encoding"]["x"]["field"] == "bucket"
    assert [layer["mark"]["type"] for layer in timeline["layer"]] == ["bar", "rule"], "the release is marked"
    assert not [df for df in at.dataframe if "request_id" in df.value.columns], "requests read before asked"
    toggle = next(t for t in at.toggle if t.label.startswith("Individual requests"))
    toggle.set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    raw = [df.value for df in at.dataframe if "request_id" in df.value.columns]
    assert raw and len(raw[0]) > 0, "the individual requests behind the aggregates are shown when asked"


def test_campaign_page_shows_clusters_attribution_and_exports_a_verifiable_bundle(investigated, tmp_path):
    from bundles.manifest import verify

    _, result = investigated
    top = result.campaigns[0]
    at = _open("Campaign")
    text = _texts(at)
    assert md(top.reasons[0]) in text and "Attribution across the campaign" in text
    tables = [df.value for df in at.dataframe]
    assert any("cluster" in t.columns and len(t) == len(top.cluster_ids) for t in tables), "its clusters are listed"
    people = [t for t in tables if "through clusters" in t.columns]
    assert people and (people[0]["kind"] == "person").any()
    at.button(key=f"export-{top.campaign_id}").click().run()
    assert not at.exception and not at.error
    payload = at.session_state[f"bundle-{top.campaign_id}"][1]
    bundle = tmp_path / "campaign.zip"
    bundle.write_bytes(payload)
    report = verify(bundle)
    assert report.ok, report.summary()


def test_explore_search_add_expand_collapse(investigated):
    _, result = investigated
    account = result.flagged[0][1].members[0]
    at = _open("Explore")
    at.text_input(key="search").set_value(account).run()
    add = [b for b in at.button if b.label.startswith("Add Account")]
    assert add, _texts(at)
    add[0].click().run()
    at.button(key="explore-node-expand").click().run()
    assert not at.error, [e.value for e in at.error]
    canvas = at.session_state["canvas"]
    assert len(canvas["nodes"]) > 1 and canvas["edges"]
    at.button(key="export-canvas").click().run()
    assert any(b.label == "Download canvas bundle" for b in at.get("download_button")), "no canvas download"
    at.button(key="collapse").click().run()
    assert len(at.session_state["canvas"]["nodes"]) == 1
    assert any(b.label.startswith("Open cluster") for b in at.button)


def test_queries_page_runs_a_saved_query_and_refuses_writes(investigated):
    at = _open("Queries")
    at.selectbox(key="q-name").set_value("flagged_clusters").run()
    at.button(key="q-run").click().run()
    assert at.dataframe and len(at.dataframe[0].value) >= 1
    at.text_area(key="adhoc").set_value("MATCH (a:Account) DETACH DELETE a").run()
    at.button(key="adhoc-run").click().run()
    assert any("Refused" in e.value for e in at.error)
    assert not at.exception


def test_login_required_beyond_loopback_and_viewer_cannot_export(investigated, monkeypatch, tmp_path,
                                                                   listen_address):
    from workbench import auth

    home = Path(os.environ["RINGTRACE_HOME"])
    monkeypatch.setattr(auth, "users_file", lambda: tmp_path / "users.json")
    auth.add_user("vera", "viewer-password", "viewer")
    auth.add_user("ivan", "investigator-pw", "investigator")
    listen_address("0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert at.text_input(key="login-user") is not None
    assert not _signed_in(at), "pages must not show before login"
    at.text_input(key="login-user").set_value("vera")
    at.text_input(key="login-password").set_value("viewer-password")
    at.button[0].click().run()
    assert any("not started behind ringtrace's gate" in e.value for e in at.error), "no browser cookie: fail closed"
    assert not _signed_in(at)
    # AppTest has no HTTP request: the gate's signed cookie is what a browser's websocket handshake would carry
    from workbench import gate
    from workbench.entry import app as entry_app

    monkeypatch.setattr(entry_app, "browser", lambda cookie=gate.new_cookie(): cookie)
    at.text_input(key="login-user").set_value("vera")
    at.text_input(key="login-password").set_value("wrong-password")
    at.button[0].click().run()
    assert any("Wrong user or password" in e.value for e in at.error)
    assert not _signed_in(at)
    at.text_input(key="login-password").set_value("viewer-password")
    at.button[0].click().run()
    at.switch_page(PAGE_FILES["Cluster"]).run()
    assert "Viewers cannot export" in _texts(at)
    assert not any(b.label == "Prepare evidence bundle" for b in at.button)
    assert home.exists()


def test_data_is_never_rendered_as_markdown(investigated):
    """An organisation named like a markdown image must not make the browser fetch anything."""
    g, _ = investigated
    hostile = "![b](http://127.0.0.1:8799/x.png)"
    originals = g.read("MATCH (o:Organisation) RETURN o.org_id AS id, o.name AS name")
    g.write("MATCH (o:Organisation) SET o.name = $n", {"n": hostile})
    import streamlit as st

    st.cache_data.clear()  # results are cached per load and detection run; a rename is neither
    try:
        for page in ("Cluster", "Trace"):
            at = _open(page)
            rendered = [str(m.value) for m in at.markdown] + [str(c.value) for c in at.caption]
            assert any("8799" in r for r in rendered), "the hostile name is shown"
            assert not any(re.search(r"(?<!\\)!\[", r) or re.search(r"(?<!\\)\]\(", r) for r in rendered), rendered
    finally:
        g.write("UNWIND $rows AS r MATCH (o:Organisation {org_id: r.id}) SET o.name = r.name", {"rows": originals})
        st.cache_data.clear()


_UNESCAPED_LINK = re.compile(r"(?<!\\)!\[|(?<!\\)\]\(")


def test_a_case_assignee_is_never_rendered_as_markdown(investigated):
    """Issue 26, item 9: an assignee (free text any investigator types) shown by `st.metric`, and the message
    after saving it, rendered a markdown image: every viewer's browser fetched the URL."""
    from cases import store
    from ringtrace.core.rights import Actor

    g, result = investigated
    hostile = "![b](http://127.0.0.1:8799/x.png)"
    ivy = Actor("ivy", "investigator")
    case_id = store.open_case(g, ivy, "Markup test case", result.campaigns[0].campaign_id)
    try:
        at = _open("Cases")
        at.selectbox(key="case-pick").set_value(case_id).run()
        next(t for t in at.text_input if t.label == "Assignee").set_value(hostile)  # its key ends in a digest
        at.button(key=f"FormSubmitter:case-edit-{case_id}-Save case").click().run()
        assert store.show(g, case_id).case["assignee"] == hostile
        at.selectbox(key="case-pick").set_value(case_id).run()
        shown = [str(m.value) for m in at.metric] + [str(m.label) for m in at.metric]
        shown += [str(m.value) for m in at.success] + [str(m.value) for m in at.markdown]
        shown += [str(c.value) for c in at.caption] + [str(c.value) for c in at.sidebar.caption]
        assert any("8799" in s for s in shown), "the assignee is shown"
        assert not [s for s in shown if _UNESCAPED_LINK.search(s)], shown
    finally:
        store.update(g, ivy, case_id, status="closed")


def test_a_bind_address_decides_the_login_and_fails_closed(investigated, listen_address):
    for address, needs_login in (("127.0.0.1", False), ("::1", False), ("0.0.0.0", True), ("", True),
                                 (None, True), ("192.0.2.10", True)):
        listen_address(address)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        shows_login = bool(at.text_input) and at.text_input[0].key == "login-user"
        assert shows_login == needs_login, address
        assert _signed_in(at) != needs_login, address


def test_load_runs_left_running_by_a_killed_loader_show_as_interrupted(investigated):
    import socket
    import subprocess
    import sys

    from loaders import cypher
    from loaders.load import mark_interrupted_runs

    g, _ = investigated
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    from datetime import datetime, timezone

    g.write(cypher.CREATE_LOAD_RUN, {"run": "load-killed-app", "started_at": datetime.now(timezone.utc).isoformat(),
                                     "dataset": "x", "version": "t", "host": socket.gethostname(), "pid": dead.pid})
    try:
        assert "load-killed-app" in mark_interrupted_runs(g)
        at = _open("Overview")
        runs = [df.value for df in at.dataframe if "status" in df.value.columns]
        assert runs and "interrupted" in set(runs[0]["status"])
    finally:
        g.write("MATCH (l:LoadRun {run_id: 'load-killed-app'}) DETACH DELETE l")


def test_overview_counts_organisations_and_people_and_shows_times_to_the_second(investigated):
    at = _open("Overview")
    labels = [m.label for m in at.metric]
    assert {"Account", "Organisation", "Person"} <= set(labels)
    assert not {"LoadRun", "DetectionRun", "Note"} & set(labels)
    text = _texts(at)
    assert re.search(r"Requests from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text.replace("\\", "")), text[:500]
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6,}", text), "no nanoseconds"


def test_search_finds_any_kind_by_prefix_and_names_by_part(investigated):
    from workbench import data

    g, result = investigated
    account = result.flagged[0][1].members[0]
    assert any(h["props"].get("account_id") == account for h in data.search(g, account[:-1]))
    org = g.read("MATCH (o:Organisation) RETURN o.name AS name, o.org_id AS id LIMIT 1")[0]
    part = org["name"].split()[-1][1:].lower()
    assert any(h["props"].get("org_id") == org["id"] for h in data.search(g, part))
    tpl = g.read("MATCH (t:PromptTemplate) RETURN t.prompt_fingerprint AS id LIMIT 1")[0]["id"]
    assert any(h["label"] == "PromptTemplate" for h in data.search(g, tpl[:-1]))
    for kind, query in (("EmailDomain", "MATCH (n:EmailDomain) RETURN n.domain AS id LIMIT 1"),
                        ("Proxy", "MATCH (n:Proxy) RETURN n.proxy_id AS id LIMIT 1")):
        key = g.read(query)[0]["id"]
        assert any(h["label"] == kind for h in data.search(g, key)), kind
    short = result.flagged[0][0].rsplit("-", 1)[1]
    hits = data.search(g, short)
    assert hits and hits[0]["props"].get("cluster_id") == result.flagged[0][0], "exact matches come first"


def test_cluster_page_has_a_legend_and_hides_kinds(investigated):
    at = _open("Cluster")
    assert any(m.key and m.key.startswith("hide-kinds-") for m in at.multiselect)
    assert "Legend" in " ".join(str(h.value) for h in at.get("html"))


def test_a_saved_result_stays_when_an_adhoc_query_runs_and_unknown_clusters_are_named(investigated):
    at = _open("Queries")
    at.selectbox(key="q-name").set_value("cluster_members").run()
    at.text_input(key="q-cluster_members-cluster_id").set_value("c9999").run()
    at.button(key="q-run").click().run()
    assert any("c9999" in e.value for e in at.error)
    at.text_input(key="q-cluster_members-cluster_id").set_value("c0001").run()
    at.button(key="q-run").click().run()
    members = len(at.dataframe[0].value)
    at.text_area(key="adhoc").set_value("RETURN 1 AS one").run()
    at.button(key="adhoc-run").click().run()
    assert len(at.dataframe) == 2 and len(at.dataframe[0].value) == members


def test_the_bundle_download_stays_after_a_rerun(investigated):
    at = _open("Cluster")
    export = next(b for b in at.button if b.label == "Prepare evidence bundle")
    export.click().run()
    assert any(d.label == "Download bundle" for d in at.get("download_button"))
    at.run()
    assert any(d.label == "Download bundle" for d in at.get("download_button")), "still there after a rerun"


# These two run last: the first empties the database the module's other tests use.
def test_cases_page_investigators_change_a_case_viewers_only_read(investigated):
    from cases import store
    from ringtrace.core.rights import Actor

    g, result = investigated
    case_id = store.open_case(g, Actor("ivy", "investigator"), "App test case", result.campaigns[0].campaign_id)
    at = _open("Cases")
    assert case_id in _texts(at) or any(case_id in str(df.value) for df in at.dataframe)
    at.selectbox(key="case-pick").set_value(case_id).run()
    next(s for s in at.selectbox if s.label == "Set status").set_value("investigating")
    next(t for t in at.text_input if t.label == "Assignee").set_value("ivy")
    at.text_area(key=f"case-note-{case_id}-0").set_value("Checked the billing names.")
    at.button(key=f"FormSubmitter:case-edit-{case_id}-Save case").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    view = store.show(g, case_id)
    assert view.case["status"] == "investigating" and view.case["assignee"] == "ivy"
    assert view.notes[-1]["text"] == "Checked the billing names." and view.notes[-1]["by"] == "local"

    viewer = AppTest.from_file(APP, default_timeout=TIMEOUT)
    viewer.session_state["user"], viewer.session_state["role"] = "vic", "viewer"
    viewer.run()
    viewer.switch_page(PAGE_FILES["Cases"]).run()
    viewer.selectbox(key="case-pick").set_value(case_id).run()
    assert "Viewers can read cases" in _texts(viewer)
    assert not [f for f in viewer.get("form")], "no edit form for a viewer"
    viewer.switch_page(PAGE_FILES["Campaign"]).run()
    assert not any(b.label == "Open a case" for b in viewer.button)
    store.update(g, Actor("ivy", "investigator"), case_id, status="closed")


def test_alerts_page_lists_a_partner_reports_alert_and_viewers_cannot_import(investigated):
    """An alert raised by importing a partner's report shows on the Alerts page; a viewer sees no import."""
    from intel import reports, stix_in
    from ringtrace.core.rights import Actor

    g, result = investigated
    account = result.flagged[0][1].members[0]
    bundle = {"type": "bundle", "id": "bundle--0b6a8b3e-6d7e-4c84-9a6f-1d2b3c4d5e6f", "objects": [
        {"type": "user-account", "spec_version": "2.1", "id": "user-account--5a0c9c2e-1f3a-4b8e-8d6f-2a1b3c4d5e6f",
         "user_id": account}]}
    report = stix_in.parse(json.dumps(bundle), "partner.json")
    imported = reports.import_report(g, Actor("tester", "admin"), report, "test")
    assert imported.alerts and imported.alerts[0]["accounts"] == [account]
    at = _open("Alerts")
    from workbench.text import md

    assert imported.alerts[0]["alert_id"] in _texts(at) and md(account) in _texts(at)  # shown as text, escaped
    assert at.get("file_uploader"), "investigators and admins can import a report"
    viewer = AppTest.from_file(APP, default_timeout=TIMEOUT)
    viewer.session_state["user"], viewer.session_state["role"] = "vic", "viewer"
    viewer.run()
    viewer.switch_page(PAGE_FILES["Alerts"]).run()
    assert not viewer.exception and not viewer.get("file_uploader")


def test_every_view_shows_its_cypher_and_back_returns_to_what_was_open(investigated):
    _, result = investigated
    at = _open("Cluster")
    panel = [e for e in at.expander if e.label.startswith("Cypher behind this page")]
    assert panel, [e.label for e in at.expander]
    code = "\n".join(c.value for c in at.code)
    assert "MATCH (c)<-[:MEMBER_OF]-(a:Account)" in code, "the members query is shown"
    assert ":params {cluster_id: " in code and "ringtrace query cluster_members --param cluster_id=" in code
    first = at.session_state["cluster-pick"]
    at.switch_page(PAGE_FILES["Campaign"]).run()
    assert at.sidebar.button(key="nav-back").disabled is False
    at.sidebar.button(key="nav-back").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Score breakdown" in _texts(at) and at.session_state["cluster-pick"] == first
    at.sidebar.button(key="nav-forward").click().run()
    assert "Attribution across the campaign" in _texts(at)


# These two leave the database empty or unreachable: they run last.
def test_empty_database_and_no_detection_are_explained(graph):
    at = _open("Overview")
    assert "No data loaded yet" in _texts(at)
    at.switch_page(PAGE_FILES["Cluster"]).run()
    assert "No detection run yet" in _texts(at)
    assert not at.exception


def test_neo4j_down_is_a_helpful_message(neo4j_server, monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")
    monkeypatch.setenv("NEO4J_USER", "neo4j")
    monkeypatch.setenv("NEO4J_PASSWORD", "x")
    at = _open("Overview")
    errors = [e.value for e in at.error]
    assert errors and "Cannot reach Neo4j" in errors[0]
    assert "Traceback" not in "\n".join(errors)
