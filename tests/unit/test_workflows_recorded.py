"""The workflow layer's own logic against a recording graph (tests/recording_graph.py): rights first, one
audit record with the actor, and the statements issued. What the Cypher does is tests/integration's to check."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cases import notes, store
from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor
from tests.recording_graph import RecordingGraph
from workflows import cases, query
from workflows import notes as note_flow

VIEWER, INVESTIGATOR = Actor("vic", "viewer"), Actor("ivy", "investigator")
ROOT = Path(__file__).resolve().parents[2]


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
