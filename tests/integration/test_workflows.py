"""Issue 28, item 1: every write path goes through one workflow (workflows/) that checks the actor's rights
and audits, whichever front end starts it. Each workflow is run as a viewer (refused, and the refusal audited
exactly once) and as an investigator (done), from the CLI (RINGTRACE_USER) and from the workbench (the
functions its views call, with the signed-in user as the actor, or the page itself under AppTest); and the
workbench's Trace page saves the attribution it shows, so the Overview and a bundle show the same."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from ringtrace.cli import main as cli
from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor

APP = str(Path(__file__).resolve().parents[2] / "app.py")
VIEWER, INVESTIGATOR = Actor("vic", "viewer"), Actor("ivy", "investigator")
QUERY = ("// name: wf_accounts\n// title: Mine\n// description: Accounts\n// tags: mine\n"
         "MATCH (a:Account) RETURN a.account_id AS id LIMIT 3\n")
ACCOUNTS_HEADER = "account_id,email,created_at,country,plan,status,verified,signup_ip,claimed_org,owner_person_id\n"


@pytest.fixture()
def home(sample_detected, tmp_path, monkeypatch):
    """The sample detected (not traced) and a fresh ringtrace home (audit log, users, query library; the
    sample's request log linked in) on the test server, with a viewer and an investigator."""
    from graph.db import server_settings
    from ringtrace.core import config
    from workbench import auth

    server = server_settings()
    logstore = config.home() / "logstore"
    for k, v in (("NEO4J_URI", server.uri), ("NEO4J_USER", server.user), ("NEO4J_PASSWORD", server.password)):
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RINGTRACE_USER", raising=False)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "logstore").symlink_to(logstore)
    auth.add_user("vic", "viewer-password", "viewer")
    auth.add_user("ivy", "investigator-pw", "investigator")
    g, result, _ = sample_detected
    return g, result


def _cli(*args: str, user: str | None = None) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), env={"RINGTRACE_USER": user} if user else {})
    return res.exit_code, res.output


def _since(before: int) -> list[tuple[str, str]]:
    return [(e["user"], e["action"]) for e in audit.entries()[before:]]


def _refused_once_by_cli(action: str, *args: str) -> None:
    """The CLI refuses the viewer, and the audit log gains exactly one entry: the refusal."""
    before = len(audit.entries())
    code, out = _cli(*args, user="vic")
    assert code == 1 and "vic is a viewer" in out, out
    assert _since(before) == [("vic", f"{action}_refused")], _since(before)


def _refused_once(action: str, call) -> None:
    """A workflow called as the workbench's signed-in viewer refuses, audited exactly once."""
    before = len(audit.entries())
    with pytest.raises(RingtraceError, match="vic is a viewer"):
        call(VIEWER)
    assert _since(before) == [("vic", f"{action}_refused")], _since(before)


def _done_by(user: str, action: str, before: int) -> None:
    assert (user, action) in _since(before), _since(before)


def _small_dataset(tmp_path: Path, prefix: str) -> Path:
    """Two new accounts sharing nothing with the sample (a load that changes no cluster)."""
    out = tmp_path / f"{prefix}-data"
    out.mkdir()
    (out / "accounts.csv").write_text(ACCOUNTS_HEADER + "".join(
        f"acc-{prefix}-{i},{prefix}{i}@nowhere.example,2026-03-01T00:00:0{i}Z,GB,free,active,true,,,\n"
        for i in range(2)))
    return out


def test_load_refuses_a_viewer_from_both_front_ends_and_loads_for_an_investigator(home, tmp_path):
    g, _ = home
    _refused_once_by_cli("load", "load", str(_small_dataset(tmp_path, "wfv")), "--no-progress")
    assert not g.read("MATCH (a:Account) WHERE a.account_id STARTS WITH 'acc-wfv-' RETURN a")
    from workflows import load

    _refused_once("load", lambda who: load.load(who, _small_dataset(tmp_path, "wfw"), graph=g))
    before = len(audit.entries())
    code, out = _cli("load", str(_small_dataset(tmp_path, "wfi")), "--no-progress", user="ivy")
    assert code == 0, out
    _done_by("ivy", "load", before)
    assert len(g.read("MATCH (a:Account) WHERE a.account_id STARTS WITH 'acc-wfi-' RETURN a")) == 2
    before = len(audit.entries())
    load.load(INVESTIGATOR, _small_dataset(tmp_path, "wfj"), graph=g)
    _done_by("ivy", "load", before)


def test_detect_refuses_a_viewer_from_both_front_ends_and_runs_for_an_investigator(home):
    g, _ = home
    runs = len(g.read("MATCH (d:DetectionRun) RETURN d"))
    _refused_once_by_cli("detect", "detect", "--no-progress")
    from workflows import detect

    _refused_once("detect", lambda who: detect.detect(g, who))
    assert len(g.read("MATCH (d:DetectionRun) RETURN d")) == runs, "a refused run saved nothing"
    before = len(audit.entries())
    code, out = _cli("detect", "--no-progress", user="ivy")
    assert code == 0, out
    _done_by("ivy", "detect", before)
    assert len(g.read("MATCH (d:DetectionRun) RETURN d")) == runs + 1


def test_trace_saving_refuses_a_viewer_from_both_front_ends_and_saves_for_an_investigator(home):
    g, _ = home
    latest = g.read("MATCH (d:DetectionRun) RETURN d.run_id AS r ORDER BY d.started_at DESC LIMIT 1")[0]["r"]
    cid = f"{latest}-c0001"
    saved = "MATCH (:Cluster {cluster_id: $c})-[r:ATTRIBUTED_TO]->() RETURN count(r) AS n"
    g.write("MATCH (:Cluster {cluster_id: $c})-[r:ATTRIBUTED_TO]->() DELETE r", {"c": cid})
    _refused_once_by_cli("trace", "trace", "--cluster", "c0001")
    _refused_once_by_cli("trace", "trace", "--all")
    from workflows import trace

    _refused_once("trace", lambda who: trace.trace_cluster(g, who, cid))
    assert g.read(saved, {"c": cid})[0]["n"] == 0
    before = len(audit.entries())
    code, out = _cli("trace", "--cluster", "c0001", user="ivy")
    assert code == 0, out
    _done_by("ivy", "trace", before)
    assert g.read(saved, {"c": cid})[0]["n"] >= 1


def test_export_refuses_a_viewer_from_both_front_ends_and_exports_for_an_investigator(home, tmp_path):
    g, result = home
    out_zip = tmp_path / "c.zip"
    _refused_once_by_cli("export", "export", "--cluster", "c0001", "--out", str(out_zip))
    _refused_once_by_cli("export", "export", "--campaign", "k0001", "--out", str(out_zip))
    cid = result.flagged[0][0]
    from workflows import export

    _refused_once("export", lambda who: export.export_cluster(g, who, cid, out_zip))
    _refused_once("export", lambda who: export.export_campaign(g, who, result.campaigns[0].campaign_id, out_zip))
    _refused_once("export", lambda who: export.export_canvas(g, who, {}, set(), out_zip))
    assert not out_zip.exists()
    before = len(audit.entries())
    code, out = _cli("export", "--cluster", "c0001", "--out", str(out_zip), user="ivy")
    assert code == 0, out
    assert _since(before) == [("ivy", "export")], "the export is audited once"
    before = len(audit.entries())
    export.export_cluster(g, INVESTIGATOR, cid, tmp_path / "w.zip")
    assert _since(before) == [("ivy", "export")]
    assert json.loads(zipfile.ZipFile(tmp_path / "w.zip").read("manifest.json"))["analyst"] == "ivy"


def test_saving_a_query_refuses_a_viewer_from_both_front_ends_and_saves_for_an_investigator(home, tmp_path):
    g, _ = home
    src = tmp_path / "mine.cypher"
    src.write_text(QUERY)
    _refused_once_by_cli("save_query", "query", "save", str(src))
    from workflows import query

    _refused_once("save_query", lambda who: query.save_query(g, who, QUERY))
    assert not (tmp_path / "home" / "queries" / "wf_accounts.cypher").exists()
    before = len(audit.entries())
    code, out = _cli("query", "save", str(src), user="ivy")
    assert code == 0, out
    assert _since(before) == [("ivy", "save_query")]
    before = len(audit.entries())
    query.save_query(g, INVESTIGATOR, QUERY.replace("wf_accounts", "wf_accounts_2"))
    assert _since(before) == [("ivy", "save_query")]
    assert (tmp_path / "home" / "queries" / "wf_accounts_2.cypher").exists()


def test_running_a_query_is_audited_once_whichever_front_end_runs_it(home):
    g, _ = home
    before = len(audit.entries())
    code, out = _cli("query", "flagged_clusters", "--format", "json", user="vic")
    assert code == 0, out
    assert _since(before) == [("vic", "query")]
    before = len(audit.entries())
    from workflows import query

    query.run_saved(g, VIEWER, "flagged_clusters")
    with pytest.raises(Exception):
        query.run_text(g, VIEWER, "MATCH (a:Account) DETACH DELETE a")
    assert _since(before) == [("vic", "query"), ("vic", "query_refused")]


def test_case_writes_and_notes_refuse_a_viewer_from_both_front_ends_and_work_for_an_investigator(home):
    from cases import store
    from workbench import data

    g, result = home
    cid = result.flagged[0][0]
    _refused_once_by_cli("case_open", "case", "open", "--title", "Viewer case", "--cluster", "c0001")
    from workflows import cases, notes

    _refused_once("case_open", lambda who: cases.open_case(g, who, "Viewer case", cid))
    before = len(audit.entries())
    code, out = _cli("case", "open", "--title", "Workflow case", "--cluster", "c0001", user="ivy")
    assert code == 0, out
    _done_by("ivy", "case_opened", before)
    case_id = out.split()[1]
    _refused_once_by_cli("case_note", "case", "note", case_id, "A viewer's note")
    _refused_once_by_cli("case_update", "case", "set", case_id, "--status", "closed")
    _refused_once("case_note", lambda who: cases.add_note(g, who, case_id, "A viewer's note"))
    _refused_once("case_update", lambda who: cases.update(g, who, case_id, status="closed"))
    _refused_once("case_accounts", lambda who: cases.add_accounts(g, who, case_id, accounts=["acc-00000000"]))
    assert store.show(g, case_id).case["status"] == "new" and not store.show(g, case_id).notes
    before = len(audit.entries())
    code, out = _cli("case", "note", case_id, "Checked", user="ivy")
    assert code == 0, out
    cases.update(g, INVESTIGATOR, case_id, status="investigating")
    assert _since(before) == [("ivy", "case_note"), ("ivy", "case_status")]
    # a note on a graph element (the workbench's node panel)
    element = g.read("MATCH (a:Account {account_id: 'acc-00000000'}) RETURN elementId(a) AS e")[0]["e"]
    _refused_once("note", lambda who: notes.add_note(g, who, element, "A viewer's note"))
    assert not g.read(data.NOTES_OF, {"element_id": element})
    before = len(audit.entries())
    notes.add_note(g, INVESTIGATOR, element, "Seen before")
    assert _since(before) == [("ivy", "note")]
    assert [n["author"] for n in g.read(data.NOTES_OF, {"element_id": element})] == ["ivy"]
    cases.update(g, INVESTIGATOR, case_id, status="closed")


def _partner_report(tmp_path: Path, account: str) -> Path:
    bundle = {"type": "bundle", "id": "bundle--1c6a8b3e-6d7e-4c84-9a6f-1d2b3c4d5e6f", "objects": [
        {"type": "user-account", "spec_version": "2.1", "id": "user-account--6a0c9c2e-1f3a-4b8e-8d6f-2a1b3c4d5e6f",
         "user_id": account}]}
    path = tmp_path / "partner.json"
    path.write_text(json.dumps(bundle))
    return path


def test_intel_refuses_a_viewer_from_both_front_ends_and_imports_for_an_investigator(home, tmp_path):
    g, result = home
    report = _partner_report(tmp_path, result.flagged[0][1].members[0])
    reports = "MATCH (r:IntelReport) RETURN count(r) AS n"
    known = g.read(reports)[0]["n"]
    _refused_once_by_cli("intel_import", "intel", "import", str(report))
    _refused_once_by_cli("intel_export", "intel", "export", "--case", "1", "--out", str(tmp_path / "i.json"))
    _refused_once_by_cli("intel_publish", "intel", "publish", "--case", "1")
    _refused_once_by_cli("intel_pull", "intel", "pull")
    from workflows import intel

    _refused_once("intel_import", lambda who: intel.import_report(g, who, report.read_bytes(), report.name, "upload"))
    assert g.read(reports)[0]["n"] == known
    before = len(audit.entries())
    code, out = _cli("intel", "import", str(report), user="ivy")
    assert code == 0, out
    assert _since(before) == [("ivy", "intel_import")]
    before = len(audit.entries())
    intel.import_report(g, INVESTIGATOR, report.read_bytes(), report.name, "upload:partner.json")
    assert _since(before) == [("ivy", "intel_import")]


def _app_as(user: str, role: str) -> AppTest:
    from streamlit import config as st_config

    st_config.set_option("server.address", "127.0.0.1")  # as `ringtrace app` sets it (tests/test_app.py)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"], at.session_state["role"] = user, role
    at.run()
    return at


def test_the_trace_page_saves_what_it_shows_and_the_overview_and_a_bundle_show_the_same(home, tmp_path):
    """The attribution the Trace page shows an investigator is saved: the Overview's top organisation and a
    bundle's cluster_attribution are the page's; a viewer's page saves nothing and says so."""
    from workbench.session import PAGE_FILES

    g, result = home
    latest = g.read("MATCH (d:DetectionRun) RETURN d.run_id AS r ORDER BY d.started_at DESC LIMIT 1")[0]["r"]
    cid, other = [r["cid"] for r in g.read(
        "MATCH (c:Cluster {run_id: $r, flagged: true}) RETURN c.cluster_id AS cid ORDER BY c.rank LIMIT 2",
        {"r": latest})]
    # never traced: no saved attribution and no traced mark (the pages read a saved one rather than trace)
    g.write("MATCH (c:Cluster {run_id: $r}) OPTIONAL MATCH (c)-[r:ATTRIBUTED_TO]->() DELETE r "
            "REMOVE c.traced_at, c.traced_infrastructure", {"r": latest})
    saved = ("MATCH (:Cluster {cluster_id: $c})-[r:ATTRIBUTED_TO {target_kind: 'organisation'}]->(t) "
             "RETURN r.rank AS rank, t.org_id AS id, r.confidence AS confidence ORDER BY rank")

    at = _app_as("ivy", "investigator")
    at.switch_page(PAGE_FILES["Trace"]).run()
    at.selectbox(key="trace-pick").set_value(cid).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    organisations = at.dataframe[0].value
    rows = g.read(saved, {"c": cid})
    assert rows, "the Trace page saved the attribution it showed"
    assert [r["id"] for r in rows] == list(organisations["id"][:len(rows)]), "saved: the reported ones, in order"
    top = organisations.iloc[0]
    overview = _app_as("ivy", "investigator")
    flagged = next(df.value for df in overview.dataframe if "top organisation" in df.value.columns)
    row = flagged[flagged["cluster_id"] == cid].iloc[0]
    assert (row["top organisation"], round(row["confidence"], 6)) == (top["name"], round(top["confidence"], 6))
    from workflows import export

    export.export_cluster(g, INVESTIGATOR, cid, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        bundled = [n for n in z.namelist() if "cluster_attribution" in n and n.endswith(".json")]
        assert bundled, z.namelist()
        text = z.read(bundled[0]).decode()
    assert str(top["id"]) in text

    viewer = _app_as("vic", "viewer")
    viewer.switch_page(PAGE_FILES["Trace"]).run()
    viewer.selectbox(key="trace-pick").set_value(other).run()
    assert not viewer.exception, [e.value for e in viewer.exception]
    assert any("viewers cannot save" in str(c.value) for c in viewer.caption)
    assert not g.read(saved, {"c": other}), "a viewer's Trace page saves nothing"
