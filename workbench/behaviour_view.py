"""Behaviour in the workbench (issue 29): an account's fingerprint, a cluster's accounts x time raster, and
"More accounts like these" (the same search as `ringtrace similar`, its accepted accounts added to a case)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from bundles import raster
from cases import store
from detection import behaviour, similar
from detection.similar import releases_of
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from workbench import auth
from workbench.case_controls import open_case_control
from workbench.session import actor, user, version_key
from workbench.text import md
from workflows import cases as case_flow

TOP_HOURS = 3
SIMILAR_TOP = 50
MEANINGS = {
    "active buckets": "15-minute windows with at least one request (the unit synchronised activity is counted in)",
    "active span": "first and last request",
    "busiest hours (UTC)": "hours of the day holding most of its active windows",
    "requests": "requests in the request log",
    "active days": "days with at least one request",
    "category mix": "share of its requests per category",
    "token shape": "median input tokens, and median output/input token ratio",
    "user agent": "its most common user agent, and the share of its requests sent with it",
}


def fingerprint_table(account_id: str, releases: pd.DataFrame) -> pd.DataFrame:
    """(field, value, meaning) rows of an account's behavioural fingerprint (detection/behaviour.py, DuckDB)."""
    _, buckets, _ = behaviour.activity_matrix(config.COSYNC_BUCKET_S, [account_id])
    prof = behaviour.profiles([account_id], releases)
    if not len(buckets) or prof.empty:
        return pd.DataFrame(columns=["field", "value", "meaning"])
    p = prof.iloc[0]
    start = pd.Timestamp(int(buckets.min()) * config.COSYNC_BUCKET_S, unit="s", tz="UTC")
    end = pd.Timestamp((int(buckets.max()) + 1) * config.COSYNC_BUCKET_S, unit="s", tz="UTC")
    hours = pd.Series(buckets * config.COSYNC_BUCKET_S // 3600 % 24).value_counts()
    busiest = ", ".join(f"{h:02d}:00 ({n / len(buckets):.0%})" for h, n in hours.head(TOP_HOURS).items())
    cats = sorted(((c[4:], float(p[c])) for c in prof.columns if c.startswith("cat_") and p[c] > 0),
                  key=lambda kv: -kv[1])
    rows = [("active buckets", f"{len(buckets):,}"),
            ("active span", f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"),
            ("busiest hours (UTC)", busiest),
            ("requests", f"{int(p['requests']):,}"), ("active days", f"{int(p['active_days']):,}"),
            ("category mix", ", ".join(f"{c.replace('_', ' ')} {s:.0%}" for c, s in cats) or "-"),
            ("token shape", f"median {p['in_median']:,.0f} input tokens, output {p['ratio_median']:.2f}x"),
            ("user agent", f"{p['user_agent']} ({p['user_agent_share']:.0%} of its requests)")]
    for c in prof.columns:
        if c.startswith("client_"):
            rows.append((c[7:].replace("_", " "), str(p[c])))
    for c in prof.columns:
        if c.startswith("switch_"):
            rows.append((f"switch to {c[7:]}",
                         "never used it" if pd.isna(p[c]) else f"{p[c]:,.1f} h after its release"))
    meaning = {**MEANINGS, **{r[0]: "most common value of this extra request-log column (client metadata)"
                              for r in rows if r[0] not in MEANINGS and not r[0].startswith("switch to ")}}
    return pd.DataFrame([{"field": f, "value": v,
                          "meaning": meaning.get(f, "hours from the model's release to its first request on it")}
                         for f, v in rows])


def fingerprint_panel(graph, account_id: str, key: str) -> None:
    """An expander with the account's behavioural fingerprint."""
    with st.expander("Behavioural fingerprint (how it calls the API)"):
        table = fingerprint_table(account_id, releases_of(graph))
        if table.empty:
            st.caption("No request of this account is in the request log.")
        else:
            st.dataframe(table, hide_index=True, width="stretch", key=f"{key}-fingerprint")


def raster_section(cluster_id: str, members: list[str], size: int) -> None:
    """The cluster's accounts x time raster beside a sample of other accounts (bundles/raster.py)."""
    memo = st.session_state.setdefault("raster-cells", {})
    key = (cluster_id, version_key())
    if key not in memo:
        memo.clear()  # one cluster's cells kept: at most 2 x RASTER_ROWS x RASTER_COLUMNS rows
        memo[key] = behaviour.raster(members, config.RASTER_ROWS, config.RASTER_COLUMNS)
    cells = memo[key]
    if cells.empty:
        st.caption("No request log is stored for these accounts.")
        return
    st.caption(md(raster.caption(cells, size)))
    st.html(raster.raster_svg(cells, size))


def more_like_these(graph, key: str, seeds: list[str], seeds_from: str, case_id: str | None = None) -> None:
    """A button that ranks every other account like `seeds` (detection.similar.search, as `ringtrace similar`),
    a table of them with their reasons to tick the accepted ones, and adding those to the case: `case_id` when it
    is open, else an open case covering the seeds, else a new case (workflows/cases.py checks rights and audits)."""
    state = st.session_state.setdefault(f"similar-{key}", {})
    top = st.number_input("How many", 10, 1000, SIMILAR_TOP, step=10, key=f"similar-top-{key}")
    if st.button(f"More accounts like these ({len(seeds):,} seeds)", key=f"similar-run-{key}"):
        try:
            state["search_id"], ranked = similar.search(graph, seeds, seeds_from, int(top), user()[0])
            state["rows"] = pd.DataFrame([{"rank": i + 1, "account_id": r.account, "decades": r.decades,
                                           "shared waves": r.shared_waves, "similarity": r.similarity,
                                           "reasons": r.reasons} for i, r in enumerate(ranked)])
        except RingtraceError as exc:
            st.error(md(str(exc)))
            return
    if state.get("added"):
        st.success(md(state.pop("added")))
    if "rows" not in state:
        return
    rows = state["rows"]
    st.caption(md(f"{len(rows):,} accounts ranked by co-activity with the seeds' waves, then behaviour (stored as "
                  f"{state['search_id']}; saved query similar_accounts)."))
    st.dataframe(rows, hide_index=True, width="stretch", key=f"similar-table-{key}")
    accepted = st.multiselect("Accounts you accept", rows["account_id"].tolist(), key=f"similar-accept-{key}")
    _add_accepted(graph, key, state, accepted, seeds, seeds_from, case_id)


def _add_accepted(graph, key: str, state: dict, accepted: list[str], seeds: list[str], seeds_from: str,
                  case_id: str | None) -> None:
    if not accepted or not auth.can(actor().role, "case_write"):
        return
    target = case_id if case_id and store.show(graph, case_id).case["status"] in store.OPEN_STATUSES else None
    if target is None:
        covering = [c for c in store.cases_covering(graph, seeds) if c["status"] in store.OPEN_STATUSES]
        target = covering[0]["case_id"] if covering else None
    if target is None:
        if case_id:
            st.caption(md(f"{case_id} is decided, so accounts are not added to it: open a case for them."))
        open_case_control(f"similar-{key}", f"{len(accepted):,} accounts like {seeds_from}", accounts=accepted)
        return
    if st.button(f"Add the {len(accepted):,} accepted account(s) to {target}", key=f"similar-add-{key}"):
        try:
            added = case_flow.add_accounts(graph, actor(), target, None, accepted)
        except RingtraceError as exc:
            st.error(md(str(exc)))
            return
        state["added"] = f"Added {added:,} account(s) to {target}."
        st.rerun()  # the case above is drawn again with them
