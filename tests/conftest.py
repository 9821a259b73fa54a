"""Shared fixtures. Integration tests (tests/integration/) talk to a real Neo4j over Bolt; unit tests
(tests/unit/) may use none of the server fixtures below (checked at collection).

With NEO4J_URI set, tests use that server (and wipe its database: point it at a
scratch server). Otherwise they run the project's local Neo4j in a separate
ringtrace home (`.ringtrace/test-home`, port 7688), started here if needed and
stopped at the end if this session started it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_HOME = REPO / ".ringtrace" / "test-home"
TEST_PORT = "7688"

if not os.environ.get("NEO4J_URI"):
    os.environ.setdefault("RINGTRACE_HOME", str(TEST_HOME))
    os.environ.setdefault("RINGTRACE_NEO4J_PORT", TEST_PORT)
    os.environ.setdefault("RINGTRACE_NEO4J_HEAP", "1g")
    os.environ.setdefault("RINGTRACE_NEO4J_PAGECACHE", "512m")


SERVER_FIXTURES = {"neo4j_server", "graph", "sample_loaded", "sample_detected", "first_batch_detected"}
UNIT_DIR = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(config, items):
    """A unit test that asks for a server is a mistake of tier: stop before anything runs."""
    wrong = [i.nodeid for i in items
             if Path(str(i.path)).is_relative_to(UNIT_DIR) and SERVER_FIXTURES & set(i.fixturenames)]
    if wrong:
        raise pytest.UsageError("unit tests may not use a server fixture; move them to tests/integration/: "
                                + ", ".join(wrong[:5]))


@pytest.fixture(scope="session")
def neo4j_server():
    """The server the tests use; starts the local one, with Graph Data Science, when no NEO4J_URI is given."""
    from ringtrace.core import config
    from ringtrace.server import local_neo4j

    started = False
    if not config.external_server():
        if not local_neo4j.gds_installed(config.local_paths()):
            local_neo4j.stop()
            local_neo4j.install_gds(quiet=True)
        if not local_neo4j.status().running:
            local_neo4j.start(quiet=True)
            started = True
    yield
    if started and not os.environ.get("RINGTRACE_KEEP_TEST_NEO4J"):
        local_neo4j.stop()


SAMPLE = REPO / "sample_data" / "small"


def _emptied():
    """A connection to an emptied database and request-log store, schema in place."""
    import shutil

    from graph.db import connect, ensure_schema
    from ringtrace.core import config

    g = connect()
    # relationships first, in bounded batches: a node with thousands of them (a Model) made one DETACH DELETE
    # batch outgrow a 512 MB heap
    g.run_autocommit("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS")
    g.run_autocommit("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    ensure_schema(g)
    for sub in ("logstore", "truth"):
        shutil.rmtree(config.home() / sub, ignore_errors=True)
    return g


@pytest.fixture()
def graph(neo4j_server):
    """A connection to an emptied database with the schema in place."""
    g = _emptied()
    yield g
    g.close()


@pytest.fixture(scope="module")
def sample_loaded(neo4j_server):
    """The committed sample loaded into an emptied database (once per test module)."""
    from loaders.load import load_dataset

    g = _emptied()
    load_dataset(g, SAMPLE, progress=False)
    yield g
    g.close()


@pytest.fixture(scope="module")
def sample_detected(sample_loaded, tmp_path_factory):
    """The sample loaded and detected with default parameters: (graph, result, results dir)."""
    from detection.run import detect, write_results

    result = detect(sample_loaded, progress=False)
    out = tmp_path_factory.mktemp("detect-results")
    write_results(result, out)
    return sample_loaded, result, out


def later_accounts() -> dict[str, set[str]]:
    """The last-created third of each fraud campaign's accounts in the sample, by campaign: the operators'
    next wave. The truth table only builds the scenario; nothing under test reads it."""
    import pandas as pd

    truth = pd.read_csv(SAMPLE / "truth.csv", dtype=str, keep_default_na=False)
    accounts = pd.read_csv(SAMPLE / "accounts.csv", dtype=str, keep_default_na=False)
    fraud = accounts.merge(truth[truth["is_fraud"] == "true"], on="account_id").sort_values("created_at")
    return {cid: set(g["account_id"].iloc[-(len(g) // 3):]) for cid, g in fraud.groupby("campaign_id")}


def created_after_release(batch: Path) -> None:
    """Make a held-back batch the operators' next wave: accounts (and their API keys) created, in their
    original order, within the 24 hours after the sample's new-model release, with only the logins and
    requests that come after each account's creation."""
    import pandas as pd

    from sample_data.generators.campaigns import RELEASE_AT

    accounts = pd.read_csv(batch / "accounts.csv", dtype=str, keep_default_na=False)
    order = pd.to_datetime(accounts["created_at"], utc=True).rank(method="first").to_numpy()
    created = RELEASE_AT + pd.to_timedelta(order / (len(accounts) + 1) * 24, unit="h")
    accounts["created_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    accounts.to_csv(batch / "accounts.csv", index=False)
    when = dict(zip(accounts["account_id"], created))
    keys = pd.read_csv(batch / "api_keys.csv", dtype=str, keep_default_na=False)
    keys["created_at"] = keys["account_id"].map(lambda a: when[a].strftime("%Y-%m-%dT%H:%M:%SZ"))
    keys.to_csv(batch / "api_keys.csv", index=False)
    for name in ("logins.parquet", "exchanges.parquet"):
        log = pd.read_parquet(batch / name)
        log[log["ts"] >= log["account_id"].map(when).astype(log["ts"].dtype)].to_parquet(batch / name, index=False)


@pytest.fixture(scope="module")
def first_batch_detected(neo4j_server, tmp_path_factory):
    """The sample without each operator's next wave, loaded and detected: (graph, result, the next wave's
    batch (created after the new-model release), {campaign: its next wave's accounts})."""
    from detection.run import detect
    from loaders.batches import split_by_accounts
    from loaders.load import load_dataset

    waves = later_accounts()
    first, second = split_by_accounts(SAMPLE, set().union(*waves.values()), tmp_path_factory.mktemp("batches"))
    created_after_release(second)
    g = _emptied()
    load_dataset(g, first, progress=False)
    result = detect(g, progress=False)
    yield g, result, second, waves
    g.close()


def transactions_running(graph, fragment: str) -> list[dict]:
    """The server's transactions whose query text holds `fragment` (this lookup itself left out)."""
    rows = graph.read("SHOW TRANSACTIONS YIELD transactionId, currentQuery, status")
    return [r for r in rows if fragment in (r["currentQuery"] or "") and "SHOW TRANSACTIONS" not in r["currentQuery"]]
