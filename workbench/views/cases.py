"""Cases: the team's investigations (mine, open, by status), one case's fields, decision, notes, history
and bundles, and the controls to change them (investigators; viewers read). The same functions as
`ringtrace case` (cases/store.py)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from cases import store
from workbench import auth
from workbench.provenance import visit
from workbench.session import actor, go, graph, user, when
from workbench.text import md
from workbench.widgets import bundle_button, preset_selectbox
from workflows import cases
from workflows import export as bundles

FILTERS = ("Open", "Mine", "All")


def render() -> None:
    st.header("Cases")
    shown = st.radio("Show", FILTERS, horizontal=True, key="cases-filter")
    status = st.selectbox("Filter by status", ("any",) + cases.STATUSES, key="cases-status")
    rows = store.list_cases(graph(), None if status == "any" else status,
                            user()[0] if shown == "Mine" else None, shown == "Open")
    if not rows:
        st.info("No case matches. Open one from a campaign, a cluster or the Explore canvas.")
        return
    table = pd.DataFrame([{"case": r["case_id"], "status": r["status"], "priority": r["priority"],
                           "assignee": r["assignee"] or "-", "accounts": r["accounts"],
                           "from": r["origin"] or "accounts",
                           "title": r["title"], "updated": f"{when(r['updated_at'])} by {r['updated_by']}"}
                          for r in rows])
    st.dataframe(table, width="stretch", hide_index=True, key="cases-table")
    ids = [r["case_id"] for r in rows]
    titles = {r["case_id"]: r["title"] for r in rows}
    case_id = preset_selectbox("Case", ids, "case-pick", "open_case", lambda c: f"{c} · {titles[c]}")
    if case_id:
        visit("Cases", open_case=case_id, **{"cases-filter": "All"})
        case_detail(case_id)


def case_detail(case_id: str) -> None:
    view = store.show(graph(), case_id)
    c = view.case
    st.subheader(md(f"{case_id}: {c['title']}"))
    cols = st.columns(4)
    cols[0].metric("Status", md(c["status"]))
    cols[1].metric("Priority", md(c["priority"]))
    cols[2].metric("Assignee", md(c.get("assignee") or "-"))  # st.metric renders its value as markdown
    cols[3].metric("Accounts", f"{view.accounts:,}")
    st.caption(md(f"Opened from {view.origin or 'accounts'} by {c['created_by']} on {when(c['created_at'])}"))
    if view.origin:
        target = "Campaign" if view.origin.rsplit("-", 1)[-1].startswith("k") else "Cluster"
        if st.button(f"Open its {target.lower()}", key=f"case-origin-{case_id}"):
            go(target, **{f"open_{target.lower()}": view.origin})
    for reason in c.get("evidence") or []:
        st.markdown(f"- {md(reason)}")
    if auth.can(actor().role, "case_write"):
        _edit_form(case_id, c)
    else:
        st.caption("Viewers can read cases; investigators change them.")
    st.subheader("Notes")
    for n in view.notes:
        st.caption(md(f"{n['by']} · {when(n['at'])}"))
        st.text(n["text"])
    st.subheader("History")
    history = [{"at": when(e["at"]), "by": e["by"], "action": e["action"], "detail": store.event_text(e)}
               for e in view.history]
    st.dataframe(pd.DataFrame(history), width="stretch", hide_index=True)
    if c.get("bundles"):
        st.caption(f"{len(c['bundles'])} bundle(s) exported from this case (listed in its history).")
    with st.expander("More accounts like these"):
        from workbench.behaviour_view import more_like_these

        more_like_these(graph(), f"case-{case_id}", store.accounts_of(graph(), case_id), case_id, case_id)
    _export(case_id, view.origin)


FORM_FIELDS = ("status", "priority", "assignee")


def _stored(c: dict) -> dict[str, str]:
    return {"status": c["status"], "priority": c["priority"], "assignee": c.get("assignee") or ""}


def _edit_form(case_id: str, c: dict) -> None:
    """Status, priority, assignee and a note. The form shows the stored values: its widgets are keyed by them, so
    after every save, and whenever someone else changed the case, it is drawn afresh from what is stored. A save
    writes only the fields the user changed from what the form showed: an untouched field never writes back an
    older value."""
    import hashlib

    stored = _stored(c)
    version = hashlib.sha256(json.dumps(stored, sort_keys=True).encode()).hexdigest()[:10]
    keys = _field_keys(case_id, version)
    with st.form(f"case-edit-{case_id}"):
        cols = st.columns(3)
        cols[0].selectbox("Set status", cases.STATUSES, index=cases.STATUSES.index(stored["status"]),
                          key=keys["status"])
        cols[1].selectbox("Set priority", cases.PRIORITIES, index=cases.PRIORITIES.index(stored["priority"]),
                          key=keys["priority"])
        cols[2].text_input("Assignee", value=stored["assignee"], key=keys["assignee"])
        st.text_area("Add a note", key=_note_key(case_id))
        st.form_submit_button("Save case", on_click=_save, args=(case_id, version, stored))
    kind, message = st.session_state.pop(f"case-saved-{case_id}", (None, None))
    if kind:
        (st.success if kind == "success" else st.error)(md(message))


def _field_keys(case_id: str, version: str) -> dict[str, str]:
    return {f: f"case-{f}-{case_id}-{version}" for f in FORM_FIELDS}


def _note_key(case_id: str) -> str:
    return f"case-note-{case_id}-{st.session_state.get(f'case-notes-saved-{case_id}', 0)}"


def _save(case_id: str, version: str, shown: dict[str, str]) -> None:
    """The form's submit callback (it runs before the page is drawn again): `shown` is what the form showed."""
    from ringtrace.core.errors import RingtraceError

    state = st.session_state
    chosen = {f: state.get(key, shown[f]) for f, key in _field_keys(case_id, version).items()}
    chosen["assignee"] = (chosen["assignee"] or "").strip()
    changed = {f: v for f, v in chosen.items() if v != shown.get(f)}
    note = (state.get(_note_key(case_id)) or "").strip()
    try:
        changes = cases.update(graph(), actor(), case_id, **changed) if changed else {}
        if note:
            cases.add_note(graph(), actor(), case_id, note)
        said = ", ".join(f"{k} {v or '(none)'}" for k, v in changes.items())
        state[f"case-saved-{case_id}"] = ("success", "Saved: " + (said + (" and a note" if note else "") if said
                                                                 else "a note" if note else "nothing changed") + ".")
        state[f"case-notes-saved-{case_id}"] = state.get(f"case-notes-saved-{case_id}", 0) + 1  # a new, empty box
    except RingtraceError as exc:
        state[f"case-saved-{case_id}"] = ("error", str(exc))
    except Exception as exc:  # never a stack trace for a user: the server log has it
        import logging

        logging.getLogger(__name__).exception("saving %s failed", case_id)
        state[f"case-saved-{case_id}"] = ("error", f"The case was not saved ({type(exc).__name__}); the details "
                                                   "are in the server log.")


def _export(case_id: str, origin: str | None) -> None:
    if origin:
        bundle_button(f"case-{case_id}", "Prepare case bundle", "Download case bundle", f"{case_id}.zip",
                      lambda out, redact: bundles.export_case(graph(), actor(), case_id, out, redact))


def cases_here(key: str, accounts: list[str]) -> list[dict]:
    """The cases that cover some of these accounts, each with its status (decision), assignee and a button to
    open it; returns them (open cases first)."""
    covering = store.cases_covering(graph(), accounts)
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
    covering = {c["case_id"]: c for c in store.cases_covering(graph(), sorted(set(accounts) | set(context_accounts)))
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
    wanted = set(accounts or []) | (set(store.origin_accounts(graph(), origin_id)) if origin_id else set())
    covering = store.cases_covering(graph(), sorted(wanted))
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
