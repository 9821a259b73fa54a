"""Campaign: flagged clusters one operator runs, with the evidence that joins them, their clusters,
timeline and attribution across all of them, and a bundle for the whole campaign."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tracing.campaigns import combine
from workbench import data
from workbench.case_controls import cases_here, open_case_control
from workbench.provenance import visit
from workbench.session import actor, graph, latest_run, read, short_cluster_id, traced
from workbench.text import md
from workbench.widgets import bundle_button, opening_table, preset_selectbox, timeline
from workflows import export as bundles


def render() -> None:
    st.header("Campaign")
    kid = pick_campaign("campaign-pick")
    if not kid:
        return
    visit("Campaign", open_campaign=kid)
    campaign = read(data.CAMPAIGN, campaign_id=kid)[0]
    cols = st.columns(3)
    cols[0].metric("Accounts", f"{campaign['accounts']:,}")
    cols[1].metric("Clusters", f"{len(campaign['clusters']):,}")
    cols[2].metric("Score", f"{campaign['score']:.2f}")
    cases_here(f"campaign-{kid}", campaign["members"])
    st.subheader("Reasons")
    for r in campaign["reasons"] or []:
        st.markdown(f"- {md(r)}")
    st.subheader("Clusters")
    clusters_table(campaign["clusters"])
    st.subheader("Attribution across the campaign")
    attribution_table(kid, [c["cluster_id"] for c in campaign["clusters"]])
    st.subheader("Activity")
    timeline(campaign["members"], "hour")
    _export_button(kid)
    st.subheader("Case")
    open_case_control(f"campaign-{kid}", f"Campaign {short_cluster_id(kid)}: {campaign['accounts']:,} accounts", kid)


def pick_campaign(key: str) -> str | None:
    run = latest_run()
    if run is None:
        st.info("No detection run yet: run `ringtrace detect` first.")
        return None
    campaigns = read(data.CAMPAIGNS_OF_RUN, run_id=run["run_id"])
    if not campaigns:
        st.info("The latest detection run flagged no cluster, so it has no campaign.")
        return None
    options = [k["campaign_id"] for k in campaigns]
    labels = {k["campaign_id"]: f"{short_cluster_id(k['campaign_id'])} · {k['clusters']} clusters · "
              f"{k['accounts']:,} accounts · score {k['score']:.1f}" for k in campaigns}
    return preset_selectbox("Campaign", options, key, "open_campaign", labels.get)


def clusters_table(clusters: list[dict]) -> None:
    """The campaign's clusters; selecting a row opens that cluster."""
    table = pd.DataFrame([{"cluster": short_cluster_id(c["cluster_id"]), "accounts": c["size"],
                           "score": round(c["score"], 2), "reasons": " | ".join(c["top_reasons"] or []),
                           "cluster_id": c["cluster_id"]} for c in clusters])
    opening_table(table, "campaign-clusters", "cluster_id", "Cluster", "open_cluster")


def attribution_table(campaign_id: str, cluster_ids: list[str]) -> None:
    """Candidates of every cluster, ranked for the campaign (tracing.campaigns.combine, as `trace --all`)."""
    results = [traced(cid) for cid in cluster_ids]
    combined = combine(results, {cid: campaign_id for cid in cluster_ids})
    candidates = combined[0].candidates if combined else []
    if not candidates:
        st.caption("No organisation or person is linked to any cluster of this campaign.")
        return
    rows = [{"kind": c.target_kind, "rank": c.rank, "id": c.target_id, "name": c.name, "confidence": c.confidence,
             "through clusters": ", ".join(short_cluster_id(x) for x in sorted(c.by_cluster)),
             "evidence": c.evidence_text()} for c in candidates]
    st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)


def _export_button(campaign_id: str) -> None:
    bundle_button(campaign_id, "Prepare campaign bundle", "Download bundle", f"{campaign_id}.zip",
                  lambda out, redact: bundles.export_campaign(graph(), actor(), campaign_id, out, redact))
