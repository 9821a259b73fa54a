"""The case controls other pages embed: the cases covering some accounts, adding accounts to an open case, and
opening a case from a campaign, cluster or accounts (each write through workflows/cases.py)."""
from __future__ import annotations

import streamlit as st

from cases import store
from workbench import auth
from workbench.session import actor, cases_covering, go, graph, origin_accounts
from workbench.text import md
from workflows import cases


def cases_here(key: str, accounts: list[str]) -> list[dict]:
    """The cases that cover some of these accounts, each with its status (decision), assignee and a button to
    open it; returns them (open cases first)."""
    covering = cases_covering(accounts)
    for c in covering:
        line = f"**{md(store.case_text(c))}** " + md(f"covers {c['shared']:,} of these {len(set(accounts)):,} "
                                                      f"accounts: {c['title']}")
        box = st.warning if c["status"] in store.OPEN_STATUSES else st.info
        cols = st.columns([5, 1])
        with cols[0]:
            box(line)
        if cols[1].button(f"Open {c['case_id']}", key=f"case-here-{key}-{c['case_id']}"):
            go("Cases", open_case=c["case_id"], **{"cases-filter": "All"})
    return covering


NEW_CASE = "new"


def add_to_case_control(key: str, default_title: str, accounts: list[str], context_accounts: list[str]) -> None:
    """Add `accounts` (a node's) to an open case the investigator picks: first the open cases covering these or
    the `context_accounts` (the cluster's), then every other open case; a new case only when asked."""
    if not auth.can(actor().role, "case_write"):
        return
    covering = {c["case_id"]: c for c in cases_covering(sorted(set(accounts) | set(context_accounts)))
                if c["status"] in store.OPEN_STATUSES}
    others = [c for c in store.list_cases(graph(), open_only=True) if c["case_id"] not in covering]
    choices = {**covering, **{c["case_id"]: c for c in others}}
    labels = {NEW_CASE: "A new case"}
    for case_id, c in choices.items():
        where = f"covers {c['shared']:,} of these accounts" if case_id in covering else "open"
        labels[case_id] = f"{store.case_text(c)}: {c['title']} ({where})"
    picked = st.selectbox("Add to which case", [*choices, NEW_CASE], format_func=labels.get,
                          key=f"{key}-pick")  # option labels are plain text, never Markdown
    if picked != NEW_CASE:
        if st.button(f"Add {len(set(accounts)):,} account(s) to {picked}", key=f"{key}-add"):
            cases.add_accounts(graph(), actor(), picked, None, accounts)
            go("Cases", open_case=picked, **{"cases-filter": "All"})
        return
    with st.form(f"{key}-new"):
        title = st.text_input("Case title", value=default_title, key=f"{key}-title")
        if st.form_submit_button("Open a new case"):
            case_id = cases.open_case(graph(), actor(), title, None, accounts)
            go("Cases", open_case=case_id, **{"cases-filter": "All"})


def open_case_control(key: str, default_title: str, origin_id: str | None = None,
                      accounts: list[str] | None = None) -> None:
    """A small form that opens a case from a campaign, cluster or accounts, then shows it (investigators).
    When another open case already covers some of these accounts it says so and offers to add them to it."""
    if not auth.can(actor().role, "case_write"):
        return
    wanted = set(accounts or []) | (set(origin_accounts(origin_id)) if origin_id else set())
    covering = cases_covering(sorted(wanted))
    open_ones = [c for c in covering if c["status"] in store.OPEN_STATUSES]
    if open_ones:
        target = open_ones[0]
        st.warning(md(f"Another open case, {store.case_text(target)}, already covers {target['shared']:,} of "
                      f"these {len(wanted):,} accounts: add them to it rather than opening a second case."))
        if st.button(f"Add these accounts to {target['case_id']}", key=f"add-to-case-{key}"):
            cases.add_accounts(graph(), actor(), target["case_id"], origin_id, accounts)
            go("Cases", open_case=target["case_id"], **{"cases-filter": "All"})
    elif covering:
        st.caption(md("Already decided here: " + "; ".join(store.case_text(c) for c in covering) + "."))
    label = "Open a separate case" if open_ones else "Open another case" if covering else "Open a case"
    with st.form(f"open-case-{key}"):
        title = st.text_input("Case title", value=default_title, key=f"open-case-title-{key}")
        if st.form_submit_button(label):
            case_id = cases.open_case(graph(), actor(), title, origin_id, accounts)
            go("Cases", open_case=case_id, **{"cases-filter": "All"})
