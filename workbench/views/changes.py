"""Changes between detection runs: new, grown and gone clusters, and accounts that joined a case's campaign.
The same function as `ringtrace changes` (monitoring/changes.py)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from monitoring import changes as changes_mod
from workbench.session import graph, when
from workbench.text import md


def render() -> None:
    st.header("Changes")
    runs = changes_mod.runs(graph())
    if not runs:
        st.info("No detection run yet: run `ringtrace detect`.")
        return
    ids = [r["run_id"] for r in runs]
    started = {r["run_id"]: when(r["started_at"]) for r in runs}
    run_id = st.selectbox("Run", ids, format_func=lambda r: f"{r} ({started[r]})", key="changes-run")
    earlier = ids[ids.index(run_id) + 1:]
    if not earlier:
        st.info(md(f"Run {run_id} is the first detection run: nothing to compare with."))
        return
    since = st.selectbox("Compared with", earlier, format_func=lambda r: f"{r} ({started[r]})", key="changes-since")
    found = changes_mod.compare(graph(), run_id, since)
    for line in found.summary():
        st.markdown(md(line))
    if found.joined:
        st.subheader("Joined a case's campaign")
        st.dataframe(pd.DataFrame([{"case": j["case_id"], "status": j["status"], "campaign or cluster": j["group"],
                                    "continues": " ".join(j["continues"]), "accounts": len(j["accounts"]),
                                    "joined": " ".join(j["accounts"])}
                                   for j in found.joined]), width="stretch", hide_index=True)
    for title, rows in (("New flagged clusters", found.new), ("Newly flagged", found.newly_flagged)):
        if rows:
            st.subheader(title)
            st.dataframe(pd.DataFrame([{"cluster": r["cluster_id"], "size": r["size"], "campaign": r["campaign_id"],
                                        "continues": " ".join(r["continues"])} for r in rows]),
                         width="stretch", hide_index=True)
    if found.grew:
        st.subheader("Grew")
        st.dataframe(pd.DataFrame([{"cluster": r["cluster_id"], "size": r["size"], "campaign": r["campaign_id"],
                                    "new accounts": len(r["new_accounts"]), "accounts": " ".join(r["new_accounts"])}
                                   for r in found.grew]), width="stretch", hide_index=True)
    if found.gone:
        st.subheader("Gone")
        st.dataframe(pd.DataFrame(found.gone), width="stretch", hide_index=True)
