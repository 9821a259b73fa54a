"""What every workbench page shares: the connection, the signed-in user, the audit log, cached reads
(keyed on the latest load and detection run), page changes, and the guard that keeps stack traces
from users."""
from __future__ import annotations

import json
import logging
import traceback
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st
from neo4j.exceptions import AuthError, ServiceUnavailable

from cases import store
from graph.cluster_ids import short_cluster_id as short
from graph.db import connect, plain, server_settings
from loaders import logstore
from queries import library, runner
from ringtrace.core import audit as audit_log
from ringtrace.core.errors import RingtraceError
from ringtrace.core.progress import Progress
from ringtrace.core.rights import Actor, can
from tracing.attribution import ATTRIBUTION_READ
from workbench import auth, data, provenance
from workbench.text import md
from workflows import trace as tracing

log = logging.getLogger("ringtrace.workbench")
# Page titles and the script that draws each (workbench/entry/app.py builds the navigation from this). Absolute
# paths of the installed package: Streamlit resolves relative ones against the main script's folder, which is
# workbench/entry/ for `ringtrace app` and the checkout for `streamlit run app.py`.
_PAGES = Path(str(resources.files("workbench.pages"))).resolve()
PAGE_FILES = {title: str(_PAGES / f"{name}.py") for title, name in (
    ("Overview", "overview"), ("Campaign", "campaign"), ("Cluster", "cluster"), ("Explore", "explore"),
    ("Trace", "trace"), ("Queries", "queries"), ("Cases", "cases"), ("Alerts", "alerts"), ("Changes", "changes"))}


CACHE_TTL_S = 300
# What one script run reads once: the data version and the connection check (reset when a page starts, the
# version also on every write through graph()).
RUN_MEMO = "run-memo"


VERSION_KEY = """
OPTIONAL MATCH (l:LoadRun) WITH max(l.started_at) AS loaded
OPTIONAL MATCH (d:DetectionRun) WITH loaded, max(d.started_at) AS detected
OPTIONAL MATCH (c:Case) WITH loaded, detected, max(c.updated_at) AS decided
OPTIONAL MATCH (al:Alert) WITH loaded, detected, decided, max(al.raised_at) AS alerted
OPTIONAL MATCH ()-[at:ATTRIBUTED_TO]->() WITH loaded, detected, decided, alerted, max(at.traced_at) AS traced
RETURN coalesce(toString(loaded), '-') + '|' + coalesce(toString(detected), '-') + '|'
       + coalesce(toString(decided), '-') + '|' + coalesce(toString(alerted), '-') AS v,
       coalesce(toString(traced), '-') AS traced
"""


class UserError(Exception):
    """Shown to the user as is: what went wrong and what to do."""


def friendly(render: Callable[[], None]) -> None:
    """Run a page; users see a short message, the server log gets the stack trace."""
    start_run()
    try:
        render()
        provenance.history_buttons(go)
        provenance.show_page_cypher()
    except (UserError, RingtraceError) as exc:
        st.error(md(exc))
    except ServiceUnavailable:
        log.error("Neo4j unavailable:\n%s", traceback.format_exc())
        st.error("Neo4j is not reachable. Start it with `ringtrace neo4j start` (or check NEO4J_URI), "
                 "then reload this page.")
    except AuthError:
        st.error("Neo4j refused the credentials. Check NEO4J_USER / NEO4J_PASSWORD.")
    except Exception as exc:  # never show a stack trace to a user
        log.error("page failed:\n%s", traceback.format_exc())
        st.error(f"Something went wrong ({type(exc).__name__}). The details are in the server log; "
                 "try again, or report what you did.")


def start_run() -> None:
    """A page run starts: the statements it runs are recorded afresh, the data version is read again."""
    provenance.start_page()
    st.session_state[RUN_MEMO] = {}


def _run_memo() -> dict[str, Any]:
    return st.session_state.setdefault(RUN_MEMO, {})


@st.cache_resource
def _graph(uri: str, user_name: str):
    return connect(server_settings())


class RecordingGraph:
    """The shared connection, with every read recorded for the page's "Cypher behind this page"."""

    def __init__(self, g) -> None:
        self._g = g

    def read(self, query: str, params: dict[str, Any] | None = None, *args: Any, **kwargs: Any):
        provenance.record(query, params)
        return self._g.read(query, params, *args, **kwargs)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        _run_memo().pop("version", None)  # what this run reads next must see the write
        _run_memo().pop("covering", None)
        return self._g.write(query, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._g, name)


def _connection():
    """The shared connection to the configured server (checked once per page run, re-opened if it went
    away)."""
    settings = server_settings()
    g = _graph(settings.uri, settings.user)
    memo = _run_memo()
    if memo.get("connected") is g:
        return g
    try:
        g.driver.verify_connectivity()
    except Exception:
        _graph.clear()
        g = _graph(settings.uri, settings.user)
    memo["connected"] = g
    return g


def graph() -> RecordingGraph:
    """The shared connection for a page (reads are recorded for the page's Cypher panel)."""
    return RecordingGraph(_connection())


def user() -> tuple[str, str]:
    return st.session_state.get("user", auth.LOCAL_USER), st.session_state.get("role", "admin")


def actor() -> Actor:
    """The signed-in user as the workflows see them (name for the audit log, role for rights)."""
    name, role = user()
    return Actor(name, role)


def audit(action: str, details: dict[str, Any]) -> None:
    audit_log.record(user()[0], action, details)


def _versions() -> tuple[str, str]:
    """The data version and the saved attributions' version, read once per page run (and again after a write)."""
    memo = _run_memo()
    if "version" not in memo:
        row = _connection().read(VERSION_KEY)[0]
        memo["version"] = (row["v"] or "empty", row["traced"])
    return memo["version"]


def data_version() -> str:
    """Changes when a new load, detection run, case decision or alert lands (what a trace depends on)."""
    return _versions()[0]


def version_key() -> str:
    """Changes when a new load, detection run, case decision, alert or saved attribution lands; cached reads
    are keyed on it (a trace saved on one page shows on the others at once)."""
    return "|".join(_versions())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_read(query: str, params_json: str, version: str) -> list[dict[str, Any]]:
    return [plain(r) for r in _connection().read(query, json.loads(params_json))]


def read(query: str, **params: Any) -> list[dict[str, Any]]:
    provenance.record(query, params)
    return cached_read(query, json.dumps(params, default=str, sort_keys=True), version_key())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_activity(accounts_json: str | None, bucket: str, version: str) -> pd.DataFrame:
    accounts = json.loads(accounts_json) if accounts_json else None
    return logstore.activity(accounts, bucket)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_saved_query(name: str, params_json: str, version: str):
    """A saved query's result, computed once per load or detection run (same function as the CLI)."""
    return runner.run_saved(_connection(), name, json.loads(params_json))


def saved_query(name: str, **params: Any):
    provenance.record(library.get(name).text, params, saved=name)
    return cached_saved_query(name, json.dumps(params, sort_keys=True, default=str), version_key())


@st.cache_resource(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def cached_large_query(name: str, params_json: str, row_cap: int, version: str):
    return runner.run_saved(_connection(), name, json.loads(params_json), row_cap=row_cap)


def large_query(name: str, row_cap: int, **params: Any):
    """A saved query whose result is too large to unpickle on every run (the cluster graph's 110,410 evidence
    rows at seed scale), read once per data version and shared as is: callers never change it."""
    provenance.record(library.get(name).text, params, saved=name)
    return cached_large_query(name, json.dumps(params, sort_keys=True, default=str), row_cap, version_key())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_preview(cluster_id: str, version: str):
    """A cluster's attribution computed and not saved (workflows.trace.preview_cluster), once per run."""
    return tracing.preview_cluster(_connection(), cluster_id)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def cached_origin_accounts(origin_id: str, version: str) -> list[str]:
    return store.origin_accounts(_connection(), origin_id)


def origin_accounts(origin_id: str) -> list[str]:
    """The accounts of a campaign or cluster (cases.store.origin_accounts), read once per data version: the
    Cluster page needs them three times (8,410 at seed scale)."""
    return cached_origin_accounts(origin_id, version_key())


def cases_covering(accounts: list[str]) -> list[dict[str, Any]]:
    """The cases covering any of `accounts` (cases.store.cases_covering), read once per page run for the same
    accounts (the Cluster page's case line and its open-case form ask alike)."""
    memo = _run_memo().setdefault("covering", {})
    key = hash(tuple(sorted(set(accounts))))
    if key not in memo:
        memo[key] = store.cases_covering(graph(), accounts)
    return memo[key]


TRACE_QUERIES = ("trace_organisation_evidence", "trace_person_evidence", "cluster_infrastructure")


def traced(cluster_id: str, progress: Progress | None = None, again: bool = False):
    """A cluster's attribution, with the saved queries behind it recorded. The one a trace saved (`ringtrace
    trace --all`, the Trace page) is read back when there is one, so every page shows the figures the Overview,
    bundles and STIX show (`result.traced_at` says when). When none is saved, or `again` is asked, a user who
    may trace traces and saves it (workflows.trace, as `ringtrace trace`) once per run and session; for a
    viewer it is computed only (`traced_at` None)."""
    for name in TRACE_QUERIES:
        provenance.record(library.get(name).text, {"cluster_id": cluster_id}, saved=name)
    version = data_version()  # not the saved attributions': saving one must not call for another trace
    if not again:
        provenance.record(ATTRIBUTION_READ, {"cluster_id": cluster_id})
        saved = tracing.stored_cluster(_connection(), cluster_id)
        if saved is not None:
            return saved
    if not can(user()[1], "trace"):
        return cached_preview(cluster_id, version)
    key = f"traced-{cluster_id}-{version}"
    if again or key not in st.session_state:
        st.session_state[key] = tracing.trace_cluster(_connection(), actor(), cluster_id, progress)
    return st.session_state[key]


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_requests(accounts_json: str, limit: int, version: str) -> pd.DataFrame:
    return logstore.requests_of(json.loads(accounts_json), limit)


def latest_run() -> dict[str, Any] | None:
    rows = read(data.LATEST_DETECTION)
    return rows[0] if rows else None


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([plain(r) for r in rows])


def when(value: Any) -> str:
    """A time as an investigator reads it: to the second, in UTC, no nanoseconds."""
    if value in (None, "", "-"):
        return "-"
    ts = pd.Timestamp(str(value))
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def short_cluster_id(cluster_id: str) -> str:
    return short(cluster_id)


def go(page: str, **state: Any) -> None:
    """Open another page (a button's target), setting `state` for it first."""
    st.session_state.update(state)
    st.switch_page(PAGE_FILES[page])
