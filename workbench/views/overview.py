"""Overview: counts of every kind, load runs, the data's time span, the latest detection's flagged
clusters (a row click opens one) and the request timeline."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from cases import store
from workbench import data
from workbench.provenance import visit
from workbench.session import graph, latest_run, read, short_cluster_id, when
from workbench.text import md
from workbench.widgets import opening_table, timeline

OVERVIEW_KINDS = ("Account", "Organisation", "Person", "IPAddress", "PaymentCard", "Device", "Identifier", "APIKey",
                  "Proxy", "PromptTemplate", "EmailDomain", "Model", "Campaign", "Cluster")


INTERNAL_KINDS = ("LoadRun", "DetectionRun", "Note")


METRICS_PER_ROW = 6


def render() -> None:
    st.header("Overview")
    visit("Overview")
    counts = {c["label"]: c["n"] for c in read(data.OVERVIEW_COUNTS)}
    if not counts or all(n == 0 for n in counts.values()):
        st.info("No data loaded yet. Load a dataset with `ringtrace load DATASET_DIR` "
                "(or `ringtrace demo` for the sample), then reload.")
        return
    shown = [k for k in OVERVIEW_KINDS if k in counts] + sorted(k for k in counts if k not in OVERVIEW_KINDS
                                                                and k not in INTERNAL_KINDS)
    for start in range(0, len(shown), METRICS_PER_ROW):
        for col, kind in zip(st.columns(METRICS_PER_ROW), shown[start:start + METRICS_PER_ROW]):
            col.metric(md(kind), f"{counts[kind]:,}")
    span = read(data.DATA_SPAN)[0]
    st.caption(md(f"Requests from {when(span['first_request'])} to {when(span['last_request'])}; "
                  f"sign-ups from {when(span['first_signup'])} to {when(span['last_signup'])}"))
    with st.expander("Load runs"):
        runs = pd.DataFrame(read(data.LOAD_RUNS))
        if not runs.empty:
            runs["started_at"] = runs["started_at"].map(when)
        st.dataframe(runs, width="stretch", hide_index=True)
    run = latest_run()
    if run is None:
        st.warning("No detection run yet: run `ringtrace detect` to flag clusters.")
    else:
        st.subheader(f"Latest detection: {md(run['run_id'])}")
        rule = (f" Flagged at an expected false-discovery rate of {run['fdr']:g} (Benjamini-Hochberg)."
                if run.get("fdr") is not None else "")
        st.caption(md(f"{run['flagged']} flagged of {run['clusters']} clusters, started {when(run['started_at'])}."
                      f"{rule} Click a row to open its campaign or cluster."))
        campaigns_table(run["run_id"])
        flagged_clusters_table(run["run_id"])
        multi_accounts_table(run["run_id"])
    st.subheader("Request volume")
    timeline(None, "day")


def campaigns_table(run_id: str) -> None:
    """The run's campaigns, largest first; selecting a row opens that campaign."""
    rows = read(data.CAMPAIGNS_OF_RUN, run_id=run_id)
    if not rows:
        return
    st.markdown("**Campaigns** (flagged clusters joined by operator-level evidence)")
    cases = _cases(run_id, "campaign")
    table = pd.DataFrame([{"campaign": short_cluster_id(k["campaign_id"]), "case": cases.get(k["campaign_id"], ""),
                           "clusters": k["clusters"],
                           "accounts": k["accounts"], "score": round(k["score"], 2), "top attribution": k["top_name"],
                           "confidence": k["top_confidence"], "reasons": " | ".join(k["reasons"] or []),
                           "campaign_id": k["campaign_id"]} for k in rows])
    opening_table(table, "overview-campaigns", "campaign_id", "Campaign", "open_campaign")


def multi_accounts_table(run_id: str) -> None:
    """Groups that look like one household or one person with several accounts: listed, never flagged."""
    rows = [c for c in read(data.CLUSTERS_OF_RUN, run_id=run_id) if c.get("multi_account")]
    if not rows:
        return
    with st.expander(f"Multi-accounts: {len(rows):,} groups that look like one household or one person"):
        table = pd.DataFrame([{"cluster": short_cluster_id(c["cluster_id"]), "accounts": c["size"],
                               "why": c["multi_account"], "cluster_id": c["cluster_id"]} for c in rows])
        opening_table(table, "overview-multi", "cluster_id", "Cluster", "open_cluster")


def flagged_clusters_table(run_id: str) -> None:
    """The run's flagged clusters; selecting a row opens that cluster."""
    rows = [c for c in read(data.CLUSTERS_OF_RUN, run_id=run_id) if c["flagged"]]
    if not rows:
        st.info("No cluster of this run is flagged.")
        return
    st.markdown("**Flagged clusters**")
    cases = _cases(run_id, "cluster")
    table = pd.DataFrame([{"cluster": short_cluster_id(c["cluster_id"]), "case": cases.get(c["cluster_id"], ""),
                           "rank": c["rank"], "accounts": c["size"],
                           "score": round(c["score"], 2), "top organisation": c["top_org"],
                           "confidence": c["org_confidence"], "reasons": " | ".join(c["top_reasons"] or []),
                           "cluster_id": c["cluster_id"]} for c in rows])
    opening_table(table, "overview-clusters", "cluster_id", "Cluster", "open_cluster")


def _cases(run_id: str, kind: str) -> dict[str, str]:
    return store.cases_in_words(graph(), run_id, kind)
