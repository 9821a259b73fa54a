"""Queries: saved queries with typed parameters, read-only ad-hoc Cypher, and saving to one's library."""
from __future__ import annotations

import json
from typing import Any, Callable

import streamlit as st

from workbench import auth
from workbench.provenance import visit
from workbench.session import audit, frame, graph, user
from workbench.text import md


def audited_query(run: Callable[[], Any], details: dict[str, Any]) -> Any:
    """Run a query; the audit log gets it whether it ran, was refused or failed."""
    from queries.guard import QueryRefused

    try:
        result = run()
    except QueryRefused as exc:
        audit("query_refused", {**details, "reason": str(exc)})
        raise
    except Exception as exc:
        audit("query_failed", {**details, "error": str(exc) or type(exc).__name__})
        raise
    audit("query", {**details, "rows": len(result.rows)})
    return result


def query_result(result) -> None:
    st.dataframe(frame(result.rows), width="stretch")
    if result.truncated:
        st.warning(f"Showing the first {result.row_cap:,} rows (row cap).")


def render() -> None:
    from queries import library, runner

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
        st.session_state["saved-result"] = (name, audited_query(lambda: runner.run_saved(graph(), name, raw),
                                                                {"name": name, "params": raw}))
    if "saved-result" in st.session_state:  # kept while other queries run
        shown_name, result = st.session_state["saved-result"]
        st.caption(f"Result of {md(shown_name)}")
        query_result(result)
    st.subheader("Ad-hoc read-only Cypher")
    text = st.text_area("Cypher (read-only: writes, LOAD CSV and unlisted procedures are refused)", key="adhoc")
    if st.button("Run Cypher", key="adhoc-run") and text.strip():
        st.session_state["adhoc-result"] = audited_query(lambda: runner.run_text(graph(), text), {"text": text})
    if "adhoc-result" in st.session_state:
        query_result(st.session_state["adhoc-result"])
    _, role = user()
    if auth.can(role, "save_query"):
        with st.expander("Save a query to your library"):
            body = st.text_area("Query file (header lines `// name:`, `// title:`, `// param:` ... then Cypher)",
                                key="save-body")
            if st.button("Validate and save", key="save-run") and body.strip():
                saved = runner.save_user_query(graph(), body)
                audit("save_query", {"name": saved.name})
                st.success(f"Saved {md(saved.name)}.")
