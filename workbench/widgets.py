"""Pieces more than one page draws: timelines, request tables, notes,
attribution tables and the cluster picker."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st

from graph.cluster_ids import resolve_cluster_id
from tracing.attribution import REPORTING_THRESHOLD
from workbench import auth, data, provenance
from workbench.session import (
    CACHE_TTL_S,
    actor,
    cached_activity,
    cached_read,
    cached_requests,
    go,
    graph,
    latest_run,
    read,
    short_cluster_id,
    version_key,
    when,
)
from workbench.text import md
from workflows import notes

CANVAS_NODE_CAP = 300
PICKER_CLUSTERS = 200  # clusters the cluster picker lists by rank (beside every flagged one and the one asked for)
TIMELINE_HEIGHT_PX = 220


REQUEST_ROWS_SHOWN = 500


def timeline_spec(releases: list[dict[str, Any]], height: int = TIMELINE_HEIGHT_PX) -> dict[str, Any]:
    """Vega-Lite for requests over time by model (the rows are the chart's data), releases as dashed red rules.
    A plain spec: building it through Altair validated it against the schema on every run (0.1-0.3 s)."""
    bars = {"mark": {"type": "bar"},
            "encoding": {"x": {"field": "bucket", "type": "temporal", "title": None},
                         "y": {"field": "requests", "type": "quantitative", "stack": True},
                         "color": {"field": "model", "type": "nominal"},
                         "tooltip": [{"field": "bucket", "type": "temporal"}, {"field": "model", "type": "nominal"},
                                     {"field": "requests", "type": "quantitative"}]}}
    layers: list[dict[str, Any]] = [bars]
    if releases:
        layers.append({"data": {"values": releases}, "mark": {"type": "rule", "color": "red", "strokeDash": [4, 4]},
                       "encoding": {"x": {"field": "ts", "type": "temporal"},
                                    "tooltip": [{"field": "model", "type": "nominal"},
                                                {"field": "ts", "type": "temporal"}]}})
    return {"height": height, "layer": layers}


def timeline(accounts: list[str] | None, bucket: str = "hour") -> None:
    """Requests over time by model, with model releases marked."""
    df = cached_activity(json.dumps(accounts) if accounts is not None else None, bucket, version_key())
    if df.empty:
        st.info("No request log stored for this selection.")
        return
    df = df.copy()
    df["bucket"] = pd.to_datetime(df["bucket"], utc=True)
    first, last = df["bucket"].min(), df["bucket"].max()
    releases = [{"ts": r["ts"], "model": r["model"]}
                for r in read("MATCH (e:Event)-[r:CONCERNS_MODEL]->(m:Model) WHERE r.release "
                              "RETURN toString(e.ts) AS ts, m.name AS model")
                if first <= pd.to_datetime(r["ts"], utc=True) <= last]
    st.vega_lite_chart(df, timeline_spec(releases), width="stretch")


def bar_spec(category: str, value: str) -> dict[str, Any]:
    """Vega-Lite for one bar per row, in the rows' order."""
    return {"mark": {"type": "bar"},
            "encoding": {"x": {"field": category, "type": "nominal", "sort": None, "title": None},
                         "y": {"field": value, "type": "quantitative"},
                         "tooltip": [{"field": category, "type": "nominal"},
                                     {"field": value, "type": "quantitative"}]}}


def requests_table(accounts: list[str]) -> None:
    """The raw request-log rows of some accounts, from the log store (drill-down)."""

    rows = cached_requests(json.dumps(accounts), REQUEST_ROWS_SHOWN, version_key())
    if rows.empty:
        st.caption("No request log stored for these accounts.")
    else:
        st.caption(f"Latest {len(rows):,} requests (at most {REQUEST_ROWS_SHOWN}).")
        st.dataframe(rows, width="stretch", hide_index=True)


def notes_panel(element_id: str, key: str) -> None:
    rows = graph().read(data.NOTES_OF, {"element_id": element_id})
    for n in rows:
        st.caption(f"{md(n['author'])} · {md(str(n['created_at'])[:16])}")
        st.text(n["text"])
    if auth.can(actor().role, "note"):
        with st.form(f"note-{key}", clear_on_submit=True):
            text = st.text_area("Add a note", key=f"note-text-{key}")
            if st.form_submit_button("Save note") and text.strip():
                notes.add_note(graph(), actor(), element_id, text)
                st.success("Note saved.")
    else:
        st.caption("Viewers cannot write notes.")


def attribution_source(result) -> None:
    """Say where an attribution comes from: the one a trace saved, or computed now because none was saved."""
    if result.traced_at is not None:
        st.caption(f"Saved attribution, traced {md(when(result.traced_at))}: the candidates at or above the "
                   f"reporting threshold ({REPORTING_THRESHOLD:g}), as the Overview, bundles and STIX show them.")
    elif auth.can(actor().role, "trace"):
        st.caption("No saved attribution for this cluster: traced now and saved (the Overview and bundles show "
                   "it from now on).")
    else:
        st.caption("No saved attribution for this cluster: computed for you now and not saved (viewers cannot "
                   "save attributions).")


def attribution_tables(result) -> None:
    attribution_source(result)
    for title, cands in (("organisation", result.organisations), ("person", result.people)):
        if cands:
            top = cands[0]
            weak = "" if top.confidence >= REPORTING_THRESHOLD else " — below the reporting threshold"
            st.markdown(f"Top-ranked {title}: **{md(top.name)}** ({md(top.target_id)}), confidence "
                        f"{top.confidence:.2f}{weak}")
    for title, cands in (("Organisations", result.organisations), ("People", result.people)):
        rows = [{"rank": c.rank, "id": c.target_id, "name": c.name, "confidence": c.confidence,
                 "evidence": c.evidence_text()} for c in cands]
        st.markdown(f"**{title}**")
        if rows:
            st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)
        else:
            st.caption("No evidence path found.")
    if result.infrastructure:
        st.caption("Infrastructure (not the originator): " +
                   ", ".join(f"{md(r['service'])} ({r['accounts']} accounts)" for r in result.infrastructure))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def _picker_rows(run_id: str, version: str) -> tuple[list[dict[str, Any]], int]:
    """The clusters the picker lists (the flagged and the PICKER_CLUSTERS top-ranked) and how many the run has:
    kept small, since a cached value is unpickled on every run (all 23,699 rows at seed scale took 0.3 s)."""
    clusters = cached_read(data.CLUSTERS_OF_RUN, json.dumps({"run_id": run_id}), version)
    return [c for c in clusters if c["rank"] <= PICKER_CLUSTERS or c["flagged"]], len(clusters)


def pick_cluster(key: str) -> str | None:
    run = latest_run()
    if run is None:
        st.info("No detection run yet: run `ringtrace detect` first.")
        return None
    provenance.record(data.CLUSTERS_OF_RUN, {"run_id": run["run_id"]})
    listed, total = _picker_rows(run["run_id"], version_key())
    if not total:
        st.info("The latest detection run found no clusters.")
        return None
    typed = st.text_input("Open a cluster by id (full, or short like c0001)", key=f"{key}-typed").strip()
    if not typed:  # emptied (or a new visit): the same id typed again opens it again
        st.session_state.pop(f"{key}-applied", None)
    elif typed != st.session_state.get(f"{key}-applied"):
        st.session_state[f"{key}-applied"] = typed
        st.session_state["open_cluster"] = resolve_cluster_id(graph(), typed)
    # every option is sent to the browser on every run (23,699 clusters at seed scale were 1.9 MB a run), so the
    # list holds the flagged and top-ranked clusters and the one asked for; any other opens by its id
    ids = {c["cluster_id"] for c in listed}
    for wanted in (st.session_state.get("open_cluster"), st.session_state.get(key)):
        if wanted and wanted not in ids:
            found = read(data.CLUSTER, cluster_id=wanted)
            if found and found[0]["cluster"].get("run_id") == run["run_id"]:
                listed = sorted([*listed, found[0]["cluster"]], key=lambda c: c["rank"])
                ids.add(wanted)
    if len(listed) < total:
        st.caption(f"Listing the {len(listed):,} flagged and top-ranked of {total:,} clusters; open any other by "
                   "its id above, or from the Overview's tables.")
    labels = {c["cluster_id"]: f"#{c['rank']} {'FLAGGED ' if c['flagged'] else ''}score {c['score']:.1f} · "
              f"{c['size']} accounts · {short_cluster_id(c['cluster_id'])} · {c['cluster_id']}" for c in listed}
    return preset_selectbox("Cluster", [c["cluster_id"] for c in listed], key, "open_cluster", labels.get)


def preset_selectbox(label: str, options: list[str], key: str, preset_key: str, format_func: Callable) -> str | None:
    """A selectbox that first honours a one-time request (`preset_key`, set by a link or button) to show an option."""
    preset = st.session_state.pop(preset_key, None)
    if preset in options:
        st.session_state[key] = preset
    return st.selectbox(label, options, format_func=format_func, key=key)


def bundle_button(key: str, prepare: str, download: str, file_name: str,
                  make: Callable[[Path, bool], dict[str, Any]]) -> None:
    """A `prepare` button that writes a bundle with `make(out, redact)` (a workflows.export function, which
    checks rights and audits) and a `download` button for it (investigators only); the prepared bundle stays
    downloadable across reruns."""
    if not auth.can(actor().role, "export"):
        st.caption("Viewers cannot export evidence bundles.")
        return
    redact = st.checkbox("Redact personal data", key=f"redact-{key}")
    if st.button(prepare, key=f"export-{key}"):
        out = Path(tempfile.mkdtemp()) / file_name
        make(out, redact)
        st.session_state[f"bundle-{key}"] = (out.name, out.read_bytes())
        shutil.rmtree(out.parent, ignore_errors=True)
    if f"bundle-{key}" in st.session_state:
        stored_name, payload = st.session_state[f"bundle-{key}"]
        st.download_button(download, payload, file_name=stored_name, mime="application/zip", key=f"download-{key}",
                           on_click="ignore")


def _reasons_in_full(table: pd.DataFrame) -> None:
    """A grid cell cuts long text off: each row's reasons in full, below the table (the row named by its first
    column)."""
    with st.expander("Reasons in full"):
        for _, row in table.iterrows():
            reasons = [r for r in str(row["reasons"] or "").split(" | ") if r]
            if reasons:
                st.markdown(f"**{md(row.iloc[0])}**\n\n" + "\n".join(f"- {md(r)}" for r in reasons))


def opening_table(table: pd.DataFrame, key: str, id_column: str, page: str, state_key: str) -> None:
    """A table whose selected row opens `page` on that row's `id_column` (the id column itself is hidden)."""
    event = st.dataframe(
        table, width="stretch", hide_index=True, on_select="rerun", selection_mode="single-row", key=key,
        column_order=[c for c in table.columns if c != id_column],
        column_config={"reasons": st.column_config.TextColumn(width="large")})
    if "reasons" in table.columns:
        _reasons_in_full(table)
    picked = event.selection.rows if event is not None else []
    if picked:
        st.session_state.pop(key, None)  # coming back must not open it again
        go(page, **{state_key: table.iloc[picked[0]][id_column]})
