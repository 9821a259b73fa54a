"""The workflow layer's own logic against a recording graph (tests/recording_graph.py): rights first, one
audit record with the actor, and the statements issued. What the Cypher does is tests/integration's to check."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from cases import notes, store
from intel import reports
from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor
from tests.recording_graph import RecordingGraph
from workflows import cases, intel, query
from workflows import export as export_flow
from workflows import notes as note_flow

VIEWER, INVESTIGATOR = Actor("vic", "viewer"), Actor("ivy", "investigator")
ROOT = Path(__file__).resolve().parents[2]
# An open case as cases.store reads it (CASE's answer), with no history yet.
OPEN_CASE = {"RETURN c {.*} AS case": [{"case": {"case_id": "case-0003", "status": "new", "title": "Ring",
                                                 "priority": "medium", "assignee": None},
                                        "origin": None, "accounts": 2}]}
# A partner's STIX bundle naming one account (no alert: the recording graph knows no account).
PARTNER_REPORT = json.dumps({"type": "bundle", "id": "bundle--1c6a8b3e-6d7e-4c84-9a6f-1d2b3c4d5e6f", "objects": [
    {"type": "user-account", "spec_version": "2.1", "id": "user-account--6a0c9c2e-1f3a-4b8e-8d6f-2a1b3c4d5e6f",
     "user_id": "acc-00000001"}]}).encode()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path))
    return tmp_path


def test_a_note_is_written_with_parameters_and_audited_once_under_the_actor():
    g = RecordingGraph({"CREATE (note:Note": [{"note_id": "n-1"}]})
    assert note_flow.add_note(g, INVESTIGATOR, "4:abc:7", "  seen before  ") == "n-1"
    [written] = g.writes()
    assert written.query == notes.ADD_NOTE
    assert (written.params["element_id"], written.params["text"], written.params["author"]) == \
        ("4:abc:7", "seen before", "ivy")
    assert [(e["user"], e["action"], e["note_id"]) for e in audit.entries()] == [("ivy", "note", "n-1")]


def test_a_viewers_note_is_refused_before_any_statement_and_audited_once():
    g = RecordingGraph()
    with pytest.raises(RingtraceError, match="vic is a viewer"):
        note_flow.add_note(g, VIEWER, "4:abc:7", "mine")
    assert g.statements == []
    assert [(e["user"], e["action"]) for e in audit.entries()] == [("vic", "note_refused")]


def test_an_empty_note_writes_nothing_and_audits_nothing_but_the_check():
    g = RecordingGraph()
    with pytest.raises(RingtraceError, match="needs some text"):
        note_flow.add_note(g, INVESTIGATOR, "4:abc:7", "   ")
    assert g.statements == [] and audit.entries() == []


def test_opening_a_case_from_accounts_issues_the_store_statements_and_audits_case_opened_once():
    g = RecordingGraph({"AS n": [{"n": 7}], "covered": [{"covered": 2}]})
    case_id = cases.open_case(g, INVESTIGATOR, " Ring ", accounts=["a2", "a1"])
    assert case_id == "case-0007"
    created = [s for s in g.writes() if s.query == store.CREATE_CASE]
    assert len(created) == 1 and created[0].params["accounts"] == ["a1", "a2"] and created[0].params["by"] == "ivy"
    assert [(e["user"], e["action"], e["case_id"], e["accounts"]) for e in audit.entries()] == \
        [("ivy", "case_opened", "case-0007", 2)]


def test_a_viewer_opening_a_case_is_refused_before_any_statement_and_audited_once():
    g = RecordingGraph()
    with pytest.raises(RingtraceError, match="vic is a viewer"):
        cases.open_case(g, VIEWER, "no", accounts=["a1"])
    assert g.statements == []
    assert [(e["user"], e["action"], e["title"]) for e in audit.entries()] == [("vic", "case_open_refused", "no")]


def test_a_status_change_is_audited_once_per_history_entry_with_its_from_and_to():
    g = RecordingGraph(OPEN_CASE)
    assert cases.update(g, INVESTIGATOR, "3", status="investigating", assignee="ivy") == \
        {"status": "investigating", "assignee": "ivy"}
    events = [json.loads(s.params["detail"]) | {"action": s.params["action"]} for s in g.writes()
              if s.query == store.ADD_EVENT]
    assert events == [{"from": "new", "to": "investigating", "action": "status"},
                      {"from": None, "to": "ivy", "action": "assignee"}]
    assert [(e["user"], e["action"], e["case_id"], e["from"], e["to"]) for e in audit.entries()] == \
        [("ivy", "case_status", "case-0003", "new", "investigating"),
         ("ivy", "case_assignee", "case-0003", None, "ivy")]


def test_a_case_note_and_added_accounts_are_audited_once_each_under_the_actor():
    g = RecordingGraph({**OPEN_CASE, "AS added": [{"added": 1}]})
    assert cases.add_note(g, INVESTIGATOR, "case-0003", "  same kit  ") == "case-0003"
    assert cases.add_accounts(g, INVESTIGATOR, "case-0003", accounts=["a3"]) == 1
    assert [(e["user"], e["action"], e["case_id"], e.get("text"), e.get("added")) for e in audit.entries()] == \
        [("ivy", "case_note", "case-0003", "same kit", None), ("ivy", "case_accounts", "case-0003", None, 1)]


@pytest.mark.parametrize("write, refused", [
    (lambda g: cases.update(g, VIEWER, "case-0003", status="closed"), "case_update_refused"),
    (lambda g: cases.add_note(g, VIEWER, "case-0003", "mine"), "case_note_refused"),
    (lambda g: cases.add_accounts(g, VIEWER, "case-0003", accounts=["a3"]), "case_accounts_refused"),
    (lambda g: export_flow.export_case(g, VIEWER, "case-0003", Path("never.zip")), "export_refused"),
])
def test_a_viewers_case_write_is_refused_before_any_statement_and_audited_once(write, refused):
    g = RecordingGraph(OPEN_CASE)
    with pytest.raises(RingtraceError, match="vic is a viewer"):
        write(g)
    assert g.statements == []
    assert [(e["user"], e["action"]) for e in audit.entries()] == [("vic", refused)]


def test_the_case_store_itself_checks_no_rights_and_audits_nothing():
    """Rights and audit are the workflow's: the store writes for whoever it is given, and only the case history."""
    g = RecordingGraph({"AS n": [{"n": 8}], "covered": [{"covered": 1}]})
    assert store.open_case(g, VIEWER, "Ring", accounts=["a1"]) == "case-0008"
    assert [s.params["action"] for s in g.writes() if s.query == store.ADD_EVENT] == ["opened"]
    assert audit.entries() == []


def test_a_partner_report_is_imported_and_audited_once_under_the_actor():
    g = RecordingGraph()
    result = intel.import_report(g, INVESTIGATOR, PARTNER_REPORT, "partner.json", "upload:partner.json")
    [saved] = [s for s in g.writes() if s.query == reports.SAVE_REPORT]
    assert saved.params["by"] == "ivy" and saved.params["source"] == "upload:partner.json"
    assert [(e["user"], e["action"], e["report_id"], e["source"], e["indicators"], e["alerts"])
            for e in audit.entries()] == \
        [("ivy", "intel_import", result.report.report_id, "upload:partner.json", 1, 0)]


def test_the_intel_modules_themselves_check_no_rights_and_audit_nothing():
    from intel import stix_in

    g = RecordingGraph()
    reports.import_report(g, VIEWER, stix_in.parse(PARTNER_REPORT, "partner.json"), "upload")
    assert [s.query for s in g.writes()] == [reports.SAVE_REPORT]
    assert audit.entries() == []


@pytest.mark.parametrize("write, refused", [
    (lambda g: intel.import_report(g, VIEWER, PARTNER_REPORT, "partner.json", "upload"), "intel_import_refused"),
    (lambda g: intel.export_case(g, VIEWER, "case-0003", Path("never.json")), "intel_export_refused"),
    (lambda g: intel.publish(g, VIEWER, "case-0003"), "intel_publish_refused"),
    (lambda g: intel.pull(g, VIEWER), "intel_pull_refused"),
])
def test_a_viewers_intel_write_is_refused_before_any_statement_and_audited_once(write, refused):
    g = RecordingGraph(OPEN_CASE)
    with pytest.raises(RingtraceError, match="vic is a viewer"):
        write(g)
    assert g.statements == []
    assert [(e["user"], e["action"]) for e in audit.entries()] == [("vic", refused)]


def test_a_write_query_is_refused_by_the_guard_before_the_graph_and_audited_once():
    g = RecordingGraph()
    with pytest.raises(RingtraceError):
        query.run_text(g, VIEWER, "MATCH (n) DETACH DELETE n")
    assert g.statements == []
    assert [(e["user"], e["action"]) for e in audit.entries()] == [("vic", "query_refused")]


def test_the_workflow_layer_never_imports_the_workbench():
    found = []
    for path in sorted((ROOT / "workflows").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "workbench"]
    assert found == []
