"""Saved queries: every shipped query runs with its defaults; every write is refused."""
from __future__ import annotations

import pytest

from queries import library, runner
from queries.runner import QueryRefused
from ringtrace.core.errors import RingtraceError

SHIPPED = sorted(q.name for q in library.load_library().values() if q.shipped)


@pytest.fixture(scope="module")
def investigated(sample_detected):
    """The sample loaded, detected and traced."""
    from tracing.report import trace_all

    g, result, _ = sample_detected
    trace_all(g, result.run_id)
    return g


def _state(g) -> tuple[int, int, list]:
    n = g.read("MATCH (n) RETURN count(n) AS c")[0]["c"]
    r = g.read("MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"]
    labels = sorted(r["label"] for r in g.read("CALL db.labels() YIELD label RETURN label"))
    return n, r, labels


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_query_runs_with_defaults(investigated, name):
    result = runner.run_saved(investigated, name)
    assert result.columns
    # the sample has no identifiers or account links (tests/test_identifiers.py runs those queries on data that has)
    # and no decisions until a case makes one (tests/test_cases.py runs decided_accounts after a decision), nor
    # similarity searches until one runs (tests/integration/test_behaviour_workbench.py reads similar_accounts after)
    if name not in ("shortest_path_account_to_organisation", "accounts_sharing_identifier", "account_links_of",
                    "decided_accounts", "similar_accounts"):
        assert result.rows, f"{name} returned nothing on the sample with its defaults"


REFUSALS = {
    "create": "CREATE (:Intruder {x: 1})",
    "merge": "MERGE (a:Account {account_id: 'x'}) RETURN a",
    "set": "MATCH (a:Account) SET a.pwned = true",
    "delete": "MATCH (a:Account) DETACH DELETE a",
    "load_csv": "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "dbms_procedure": "CALL dbms.listConfig() YIELD name RETURN name",
    "dbms_procedure_no_parens": "CALL dbms.listConfig YIELD name RETURN name",
    "schema": "CREATE INDEX intruder IF NOT EXISTS FOR (n:Account) ON (n.pwned)",
    "drop_schema": "DROP CONSTRAINT account_id",
    "write_procedure": "CALL db.createLabel('Intruder')",
    "show": "SHOW USERS",
    "gds_procedure": "CALL gds.graph.list() YIELD graphName RETURN graphName",
    "gds_function": "MATCH (a:Account)-[r]->(b) RETURN gds.graph.project('leak', a, b)",
    "apoc_function": "RETURN apoc.text.join(['a'], ',')",
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_writes_and_unsafe_queries_are_refused(investigated, kind):
    before = _state(investigated)
    with pytest.raises(QueryRefused) as err:
        runner.run_text(investigated, REFUSALS[kind])
    assert "Refused" in str(err.value)
    assert _state(investigated) == before


@pytest.mark.parametrize("text", ["CREATE (:Intruder)", "MATCH (a:Account) SET a.x = 1"])
def test_explain_layer_refuses_writes_on_its_own(investigated, text):
    before = _state(investigated)
    with pytest.raises(QueryRefused, match="not read-only"):
        runner.check_plan(investigated, text, {})
    assert _state(investigated) == before


def test_read_only_query_with_tricky_text_is_allowed(investigated):
    # keywords inside strings or property names are not writes
    res = runner.run_text(investigated, "MATCH (a:Account) WHERE a.email <> 'create set delete' "
                                        "RETURN a.created_at AS created_at LIMIT 1")
    assert len(res.rows) == 1


def test_timeout_stops_a_long_query(investigated):
    with pytest.raises(RingtraceError, match="timeout"):
        runner.run_text(investigated, "UNWIND range(1, 1000000000) AS x WITH x WHERE x % 7 = 3 "
                                      "RETURN count(*) AS n", timeout=1.0)


def test_row_cap_truncates(investigated):
    res = runner.run_text(investigated, "MATCH (a:Account) RETURN a.account_id AS id", row_cap=10)
    assert len(res.rows) == 10 and res.truncated


def test_parameters_are_typed_and_checked(investigated):
    with pytest.raises(RingtraceError, match="must be a int"):
        runner.run_saved(investigated, "accounts_sharing_card", {"limit": "many"})
    with pytest.raises(RingtraceError, match="has no parameter"):
        runner.run_saved(investigated, "accounts_sharing_card", {"nope": "1"})
    res = runner.run_saved(investigated, "accounts_sharing_card", {"limit": "2"})
    assert len(res.rows) <= 2


def test_user_queries_are_saved_in_the_home_after_validation(investigated, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    good = ("// name: my_big_accounts\n// title: Big accounts\n// description: Accounts with many requests\n"
            "// param: min int 10 Minimum requests\n// tags: mine\n"
            "MATCH (a:Account) WHERE a.requests >= $min RETURN a.account_id AS id LIMIT 5\n")
    q = runner.save_user_query(investigated, good)
    assert q.path.parent == tmp_path / "home" / "queries"
    assert not (library.SHIPPED_DIR / "my_big_accounts.cypher").exists()
    assert runner.run_saved(investigated, "my_big_accounts", {"min": "1"}).rows
    bad = good.replace("my_big_accounts", "my_writer").replace("RETURN a.account_id AS id LIMIT 5",
                                                               "SET a.big = true")
    with pytest.raises(QueryRefused):
        runner.save_user_query(investigated, bad)
    assert not (tmp_path / "home" / "queries" / "my_writer.cypher").exists()


def test_requests_command_drills_down_to_raw_rows(investigated):
    from click.testing import CliRunner

    from ringtrace.cli import main

    res = CliRunner().invoke(main, ["requests", "acc-00004844", "--limit", "2", "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0].startswith("request_id,account_id") and len(lines) == 3
