"""What each workbench view ran: every read is recorded for the page being drawn, and the page ends with
"Cypher behind this page": the statements and parameters, ready for Neo4j Browser (`:params`) or
`ringtrace query`. Also the page history behind the sidebar's Back and Forward."""
from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

RECORD_KEY = "page-queries"
HISTORY_KEY, POSITION_KEY = "nav-history", "nav-position"
HISTORY_CAP = 50
SHOWN_LIST_ITEMS = 20  # longer list parameters are shortened on screen (the count is given)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def start_page() -> None:
    st.session_state[RECORD_KEY] = []


def record(text: str, params: dict[str, Any] | None = None, saved: str | None = None) -> None:
    """Remember one statement the page ran (`saved`: the saved query's name, when it is one)."""
    entry = {"text": text.strip(), "params": params or {}, "saved": saved}
    queue = st.session_state.setdefault(RECORD_KEY, [])
    if entry not in queue:
        queue.append(entry)


def _value(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) > SHOWN_LIST_ITEMS:
        return list(v[:SHOWN_LIST_ITEMS]) + [f"... {len(v) - SHOWN_LIST_ITEMS:,} more"]
    return v


def browser_params(params: dict[str, Any]) -> str:
    """`:params {cluster_id: "det-…", limit: 100}` for Neo4j Browser (a Cypher map literal)."""
    parts = []
    for k, v in params.items():
        key = k if IDENTIFIER.match(k) else f"`{k}`"
        parts.append(f"{key}: {json.dumps(_value(v), default=str)}")
    return ":params {" + ", ".join(parts) + "}"


def cli_command(name: str, params: dict[str, Any]) -> str:
    args = " ".join(f"--param {k}={json.dumps(v, default=str) if not isinstance(v, str) else v}"
                    for k, v in params.items() if v not in (None, ""))
    return f"ringtrace query {name} {args}".strip()


def show_page_cypher() -> None:
    queue = st.session_state.get(RECORD_KEY) or []
    if not queue:
        return
    with st.expander(f"Cypher behind this page ({len(queue)} statement{'s' if len(queue) > 1 else ''})"):
        st.caption("Each statement with its parameters: paste the `:params` line, then the statement, into Neo4j "
                   "Browser; saved queries also run with `ringtrace query` (read-only either way). Lists longer "
                   f"than {SHOWN_LIST_ITEMS} items are shortened here.")
        for i, entry in enumerate(queue, 1):
            st.markdown(f"**{i}. {entry['saved'] or 'statement'}**")
            if entry["params"]:
                st.code(browser_params(entry["params"]), language="text")
            st.code(entry["text"], language="cypher")
            if entry["saved"]:
                st.code(cli_command(entry["saved"], entry["params"]), language="bash")


def visit(page: str, **state: Any) -> None:
    """Remember what the investigator opened, for Back and Forward."""
    entry = {"page": page, "state": state}
    history = st.session_state.setdefault(HISTORY_KEY, [])
    position = st.session_state.get(POSITION_KEY, -1)
    if 0 <= position < len(history) and history[position] == entry:
        return
    del history[position + 1:]
    history.append(entry)
    del history[:-HISTORY_CAP]
    st.session_state[POSITION_KEY] = len(history) - 1


def history_buttons(go) -> None:
    """Back and Forward through what was opened (in the sidebar)."""
    history = st.session_state.get(HISTORY_KEY, [])
    position = st.session_state.get(POSITION_KEY, -1)
    back, forward = st.sidebar.columns(2)
    if back.button("Back", key="nav-back", disabled=position <= 0):
        _move(go, history, position - 1)
    if forward.button("Forward", key="nav-forward", disabled=position >= len(history) - 1):
        _move(go, history, position + 1)


def _move(go, history: list[dict[str, Any]], position: int) -> None:
    st.session_state[POSITION_KEY] = position
    entry = history[position]
    go(entry["page"], **entry["state"])
