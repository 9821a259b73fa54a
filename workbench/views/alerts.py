"""Alerts: new accounts or partner reports touching a watched item, the watchlist, and partner reports
(import a STIX 2.1 bundle). The same functions as `ringtrace alerts` and `ringtrace intel import`."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from cases import watchlist
from intel import reports
from monitoring.alerts import list_alerts
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import can
from workbench.session import actor, graph, when
from workbench.text import md
from workflows import intel

SHOWN_ALERTS = 500


def render() -> None:
    st.header("Alerts")
    st.caption("Raised when a load brings accounts that touch an item a confirmed case watches, or when a "
               "partner's report names items found in the graph.")
    rows = list_alerts(graph(), limit=SHOWN_ALERTS)
    if rows:
        st.dataframe(pd.DataFrame([{"alert": r["alert_id"], "raised": when(r["raised_at"]),
                                    "from": f"case {r['case_id']}" if r["case_id"] else f"report {r['report']}",
                                    "accounts": len(r["accounts"]), "what": r["summary"],
                                    "trigger": r["trigger"], "webhook": r["webhook"]} for r in rows]),
                     width="stretch", hide_index=True, key="alerts-table")
        for r in rows[:5]:
            st.markdown(f"**{md(r['alert_id'])}**: {md(r['summary'])}")
    else:
        st.info("No alerts yet. Confirming a case puts its infrastructure on the watchlist; the next load "
                "whose new accounts touch it raises an alert here.")
    with st.expander("Watchlist"):
        watched = watchlist.watchlist(graph())
        if watched:
            st.dataframe(pd.DataFrame([{"case": w["case_id"], "kind": w["kind"], "value": w["value"],
                                        "held by the case / all": f"{w['case_holders']}/{w['holders']}"}
                                       for w in watched]), width="stretch", hide_index=True)
        else:
            st.write("Nothing watched: no confirmed case yet.")
    st.subheader("Partner reports")
    known = reports.list_reports(graph())
    if known:
        st.dataframe(pd.DataFrame([{"report": r["name"], "partner": r["partner"],
                                    "TLP": (r["tlp"] or "-").upper(), "source": r["source"],
                                    "imported": when(r["imported_at"]), "indicators": r["indicators"],
                                    "alerts": r["alerts"]} for r in known]), width="stretch", hide_index=True)
    if not can(actor().role, "intel"):
        return
    upload = st.file_uploader("Import a partner's STIX 2.1 bundle (JSON)", type=["json"], key="intel-upload")
    if upload is not None and st.button("Import report", key="intel-import"):
        try:
            result = intel.import_report(graph(), actor(), upload.getvalue(), upload.name, f"upload:{upload.name}")
        except RingtraceError as exc:
            st.error(md(str(exc)))
            return
        report = result.report
        st.success(md(f"Report '{report.name}': {len(report.items)} indicator(s), {len(result.matched)} found in "
                      f"the graph, {len(result.alerts)} new alert(s)."))
        for stix_id, why in report.skipped:
            st.caption(md(f"Skipped {stix_id}: {why}"))
        for stix_id, why in report.loose:
            st.caption(md(f"Matched loosely {stix_id}: {why}"))
