"""Issue 26, item 8 (first part): with RINGTRACE_USER naming a viewer, `ringtrace query save` and
`ringtrace export` are refused (the workbench already refuses both to a viewer), and the audit log names
the actor, not `analyst` or `$USER`."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringtrace.cli import main as cli
from ringtrace.core import audit

QUERY = ("// name: my_accounts\n// title: Mine\n// description: Accounts\n// tags: mine\n"
         "MATCH (a:Account) RETURN a.account_id AS id LIMIT 3\n")


@pytest.fixture()
def home(sample_detected, tmp_path, monkeypatch):
    """A fresh ringtrace home (audit log, user library, users) on the test server, with a viewer and an
    investigator."""
    from graph.db import server_settings
    from workbench import auth

    server = server_settings()
    for k, v in (("NEO4J_URI", server.uri), ("NEO4J_USER", server.user), ("NEO4J_PASSWORD", server.password)):
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RINGTRACE_USER", raising=False)
    auth.add_user("vic", "viewer-password", "viewer")
    auth.add_user("ivy", "investigator-pw", "investigator")
    return tmp_path / "home"


def _run(*args: str, user: str | None = None):
    res = CliRunner().invoke(cli, list(args), env={"RINGTRACE_USER": user} if user else {})
    return res.exit_code, res.output


def test_a_viewer_cannot_save_a_query_and_the_audit_names_them(home, tmp_path):
    src = tmp_path / "mine.cypher"
    src.write_text(QUERY)
    code, out = _run("query", "save", str(src), user="vic")
    assert code == 1 and "vic is a viewer" in out, out
    assert not (home / "queries" / "my_accounts.cypher").exists()
    assert audit.entries()[-1]["user"] == "vic" and audit.entries()[-1]["action"] == "save_query_refused"
    code, out = _run("query", "save", str(src), user="ivy")
    assert code == 0, out
    assert (home / "queries" / "my_accounts.cypher").exists()
    assert (audit.entries()[-1]["user"], audit.entries()[-1]["action"]) == ("ivy", "save_query")


def test_a_viewer_cannot_export_and_the_audit_names_the_exporter(home, tmp_path):
    out_zip = tmp_path / "c.zip"
    code, out = _run("export", "--cluster", "c0001", "--out", str(out_zip), user="vic")
    assert code == 1 and "vic is a viewer" in out, out
    assert not out_zip.exists()
    assert (audit.entries()[-1]["user"], audit.entries()[-1]["action"]) == ("vic", "export_refused")
    code, out = _run("export", "--cluster", "c0001", "--out", str(out_zip), user="ivy")
    assert code == 0, out
    assert (audit.entries()[-1]["user"], audit.entries()[-1]["action"]) == ("ivy", "export")
    assert json.loads(zipfile.ZipFile(out_zip).read("manifest.json"))["analyst"] == "ivy"


def test_queries_run_from_the_cli_are_audited_under_the_actor(home):
    code, out = _run("query", "flagged_clusters", "--format", "json", user="vic")
    assert code == 0, out
    assert (audit.entries()[-1]["user"], audit.entries()[-1]["action"]) == ("vic", "query")
    code, out = _run("query", "flagged_clusters", "--format", "json")
    assert code == 0, out
    assert audit.entries()[-1]["user"].startswith("cli:"), "without RINGTRACE_USER: the local operator"


def test_export_without_a_user_is_the_local_operator(home, tmp_path):
    out_zip = Path(tmp_path) / "local.zip"
    code, out = _run("export", "--cluster", "c0001", "--out", str(out_zip), "--analyst", "Jo Analyst")
    assert code == 0, out
    entry = audit.entries()[-1]
    assert entry["action"] == "export" and entry["user"].startswith("cli:") and entry["analyst"] == "Jo Analyst"


@pytest.fixture()
def users_home(tmp_path, monkeypatch):
    """A fresh ringtrace home with a viewer and an investigator (user management needs no server)."""
    from workbench import auth

    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RINGTRACE_USER", raising=False)
    auth.add_user("vic", "viewer-password", "viewer")
    auth.add_user("ivy", "investigator-pw", "investigator")
    return tmp_path / "home"


def test_user_management_is_for_admins_and_audited_under_the_actor(users_home):
    """Issue 26, item 8 (rest): a viewer must not make itself or anyone an admin, and every change of a user
    (made or refused) is in the audit log under whoever made it, never with the password."""
    users = users_home / "users.json"
    code, out = _run("user", "add", "mallory", "--role", "admin", "--password", "mallory-password", user="vic")
    assert code == 1 and "vic is a viewer" in out, out
    assert "mallory" not in json.loads(users.read_text())
    entry = audit.entries()[-1]
    assert (entry["user"], entry["action"], entry["name"], entry["role"]) == ("vic", "user_add_refused", "mallory",
                                                                             "admin")
    code, out = _run("user", "add", "vic", "--role", "admin", "--password", "viewer-password", user="ivy")
    assert code == 1 and "ivy is an investigator" in out, out
    assert json.loads(users.read_text())["vic"]["role"] == "viewer"
    assert (audit.entries()[-1]["user"], audit.entries()[-1]["action"]) == ("ivy", "user_add_refused")

    code, out = _run("user", "add", "ada", "--role", "admin", "--password", "admin-password")
    assert code == 0, out
    entry = audit.entries()[-1]
    assert entry["action"] == "user_add" and entry["user"].startswith("cli:"), entry
    assert (entry["name"], entry["role"], entry["previous_role"]) == ("ada", "admin", None)
    code, out = _run("user", "add", "ivy", "--role", "admin", "--password", "new-investigator-pw", user="ada")
    assert code == 0, out
    entry = audit.entries()[-1]
    assert (entry["user"], entry["action"], entry["name"], entry["role"], entry["previous_role"]) == \
        ("ada", "user_update", "ivy", "admin", "investigator")
    log_text = (users_home / "audit.log").read_text()
    assert "password" not in log_text.replace("_password", "") and "new-investigator-pw" not in log_text
