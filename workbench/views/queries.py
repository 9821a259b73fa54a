"""Queries: saved queries with typed parameters, read-only ad-hoc Cypher, and saving to one's library."""
from __future__ import annotations

import json

import streamlit as st

from queries import library
from workbench import auth
from workbench.provenance import visit
from workbench.session import actor, frame, graph
from workbench.text import md
from workflows import query as queries


def query_result(result) -> None:
    st.dataframe(frame(result.rows), width="stretch")
    if result.truncated:
        st.warning(f"Showing the first {result.row_cap:,} rows (row cap).")


def render() -> None:
    st.header("Queries")
    visit("Queries")
    lib = library.load_library()
    name = st.selectbox("Saved query", sorted(lib), format_func=lambda n: f"{n} — {lib[n].title}", key="q-name")
    q = lib[name]
    st.caption(md(q.description))
    raw = {}
    for p in q.params:
        raw[p.name] = st.text_input(md(f"{p.name} ({p.type}) — {p.description}"),
                                    value="" if p.default is None else (json.dumps(p.default) if p.type == "list"
                                                                        else str(p.default)), key=f"q-{name}-{p.name}")
    if st.button("Run", key="q-run"):
        st.session_state["saved-result"] = (name, queries.run_saved(graph(), actor(), name, raw))
    if "saved-result" in st.session_state:  # kept while other queries run
        shown_name, result = st.session_state["saved-result"]
        st.caption(f"Result of {md(shown_name)}")
        query_result(result)
    st.subheader("Ad-hoc read-only Cypher")
    text = st.text_area("Cypher (read-only: writes, LOAD CSV and unlisted procedures are refused)", key="adhoc")
    if st.button("Run Cypher", key="adhoc-run") and text.strip():
        st.session_state["adhoc-result"] = queries.run_text(graph(), actor(), text)
    if "adhoc-result" in st.session_state:
        query_result(st.session_state["adhoc-result"])
    if auth.can(actor().role, "save_query"):
        with st.expander("Save a query to your library"):
            body = st.text_area("Query file (header lines `// name:`, `// title:`, `// param:` ... then Cypher)",
                                key="save-body")
            if st.button("Validate and save", key="save-run") and body.strip():
                saved = queries.save_query(graph(), actor(), body)
                st.success(f"Saved {md(saved.name)}.")
