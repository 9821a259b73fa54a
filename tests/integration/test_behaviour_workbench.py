"""Issue 29 on a real Neo4j: the raster in the bundle report and on the Cluster page, stored similarity links and
their saved query, and "More accounts like these" adding accepted accounts to a case through the workbench."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 180


@pytest.fixture(autouse=True)
def listen_address():
    from streamlit import config as st_config

    st_config.set_option("server.address", "127.0.0.1")
    yield
    st_config.set_option("server.address", None)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.success]
    parts += [m.value for m in at.error] + [h.value for h in at.subheader]
    return "\n".join(str(p) for p in parts)


def _flagged(sample_detected) -> tuple:
    g, result, _ = sample_detected
    return g, result.flagged[0][0], result.flagged[0][1].members


def test_bundle_report_draws_the_clusters_raster_beside_other_accounts(sample_detected, tmp_path):
    from bundles.export import export_cluster

    g, cid, members = _flagged(sample_detected)
    out = tmp_path / "b.zip"
    export_cluster(g, cid, out, analyst="tester")
    report = zipfile.ZipFile(out).read("report.html").decode()
    section = report[report.index("Accounts by time: this cluster beside other accounts"):]
    svg = section[section.index("<svg"):section.index("</svg>")]
    assert 'fill="#c0392b"' in svg and 'fill="#34495e"' in svg  # the cluster's rows and the other accounts'
    assert "Each row is an account" in section
    assert "<script" not in svg and "href" not in svg


def test_similar_stores_its_ranking_and_the_saved_query_reads_it(sample_detected):
    from click.testing import CliRunner

    from queries import runner
    from ringtrace.cli import main
    from ringtrace.core import audit

    g, cid, _ = _flagged(sample_detected)
    out = CliRunner().invoke(main, ["similar", "--cluster", cid, "--top", "5", "--format", "csv"])
    assert out.exit_code == 0, out.output
    ranked = pd.read_csv(io.StringIO(out.output))
    stored = runner.run_saved(g, "similar_accounts", {"seeds_from": cid}).rows
    assert [r["account_id"] for r in stored] == list(ranked["account_id"])
    assert [r["rank"] for r in stored] == [1, 2, 3, 4, 5]
    assert stored[0]["score"] == pytest.approx(ranked["decades"].iloc[0]) and stored[0]["reasons"]
    member = runner.run_saved(g, "similar_accounts", {"account_id": sample_detected[1].flagged[0][1].members[0]}).rows
    assert {r["search_id"] for r in member} == {stored[0]["search_id"]}
    assert not runner.run_saved(g, "similar_accounts", {"account_id": "nobody"}).rows
    assert any(e.get("action") == "similar" and e.get("details", e).get("search_id") == stored[0]["search_id"]
               for e in audit.entries())


def test_cluster_page_draws_the_raster(sample_detected):
    from workbench.session import PAGE_FILES

    _, cid, _ = _flagged(sample_detected)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE_FILES["Cluster"]).run()
    at.selectbox(key="cluster-pick").set_value(cid).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Accounts by time: this cluster beside other accounts" in _texts(at)
    assert "Each row is an account" in _texts(at)
    assert any("<svg" in str(h.proto.body) for h in at.get("html"))


def test_more_accounts_like_these_from_a_case_adds_the_accepted_ones(sample_detected):
    """From a case: rank like its accounts, accept two, add them: the case covers them and its history says so."""
    from cases import store
    from ringtrace.core.rights import Actor
    from workbench.session import PAGE_FILES

    g, cid, members = _flagged(sample_detected)
    ivy = Actor("ivy", "investigator")
    case_id = store.open_case(g, ivy, "Similar test case", accounts=members[:6])
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE_FILES["Cases"]).run()
    at.selectbox(key="case-pick").set_value(case_id).run()
    at.button(key=f"similar-run-case-{case_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "reasons" in getattr(d.value, "columns", []))
    assert len(table) and table["reasons"].str.len().min() > 0 and not set(table["account_id"]) & set(members[:6])
    picked = list(table["account_id"].iloc[:2])
    at.multiselect(key=f"similar-accept-case-{case_id}").set_value(picked).run()
    at.button(key=f"similar-add-case-{case_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from workbench.text import md

    assert md(f"Added 2 account(s) to {case_id}.") in _texts(at)
    assert any(m.label == "Accounts" and m.value == "8" for m in at.metric)  # the case drawn again with them
    assert set(picked) <= set(store.accounts_of(g, case_id))
    assert store.show(g, case_id).history[-1]["action"] == "accounts"
    store.update(g, ivy, case_id, status="closed")


def test_a_viewer_sees_the_ranking_but_cannot_add_to_the_case(sample_detected):
    from cases import store
    from ringtrace.core.rights import Actor
    from workbench.session import PAGE_FILES

    g, _, members = _flagged(sample_detected)
    case_id = store.open_case(g, Actor("ivy", "investigator"), "Viewer similar case", accounts=members[:6])
    viewer = AppTest.from_file(APP, default_timeout=TIMEOUT)
    viewer.session_state["user"], viewer.session_state["role"] = "vic", "viewer"
    viewer.run()
    viewer.switch_page(PAGE_FILES["Cases"]).run()
    viewer.selectbox(key="case-pick").set_value(case_id).run()
    viewer.button(key=f"similar-run-case-{case_id}").click().run()
    table = next(d.value for d in viewer.dataframe if "reasons" in getattr(d.value, "columns", []))
    viewer.multiselect(key=f"similar-accept-case-{case_id}").set_value(list(table["account_id"].iloc[:1])).run()
    assert not [b for b in viewer.button if b.key == f"similar-add-case-{case_id}"]
    store.update(g, Actor("ivy", "investigator"), case_id, status="closed")
