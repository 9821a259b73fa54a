"""Cases: the team's investigations (mine, open, by status), one case's fields, decision, notes, history
and bundles, and the controls to change them (investigators; viewers read). The same functions as
`ringtrace case` (cases/store.py)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from cases import store
from ringtrace.rights import Actor
from workbench import auth
from workbench.provenance import visit
from workbench.session import go, graph, user, when
from workbench.text import md
from workbench.widgets import bundle_button, preset_selectbox

FILTERS = ("Open", "Mine", "All")


def actor() -> Actor:
    name, role = user()
    return Actor(name, role)


def render() -> None:
    st.header("Cases")
    shown = st.radio("Show", FILTERS, horizontal=True, key="cases-filter")
    status = st.selectbox("Filter by status", ("any",) + store.STATUSES, key="cases-status")
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
    _export(case_id, view.origin)


def _edit_form(case_id: str, c: dict) -> None:
    with st.form(f"case-edit-{case_id}", clear_on_submit=True):
        cols = st.columns(3)
        status = cols[0].selectbox("Set status", store.STATUSES, index=store.STATUSES.index(c["status"]),
                                   key=f"case-status-{case_id}")
        priority = cols[1].selectbox("Set priority", store.PRIORITIES, index=store.PRIORITIES.index(c["priority"]),
                                     key=f"case-priority-{case_id}")
        assignee = cols[2].text_input("Assignee", value=c.get("assignee") or "", key=f"case-assignee-{case_id}")
        note = st.text_area("Add a note", key=f"case-note-{case_id}")
        if st.form_submit_button("Save case"):
            changes = store.update(graph(), actor(), case_id, status=status, priority=priority,
                                   assignee=assignee.strip() or None)
            if note.strip():
                store.add_note(graph(), actor(), case_id, note)
            st.success(md("Saved: " + (", ".join(f"{k} {v}" for k, v in changes.items()) or "note") + "."))
            st.rerun()


def _export(case_id: str, origin: str | None) -> None:
    if origin:
        bundle_button(f"case-{case_id}", "Prepare case bundle", "Download case bundle", f"{case_id}.zip",
                      lambda out, redact: store.export(graph(), actor(), case_id, out, redact), {"case_id": case_id})


def open_case_control(key: str, default_title: str, origin_id: str | None = None,
                      accounts: list[str] | None = None) -> None:
    """A small form that opens a case from a campaign, cluster or accounts, then shows it (investigators)."""
    if not auth.can(actor().role, "case_write"):
        return
    with st.form(f"open-case-{key}"):
        title = st.text_input("Case title", value=default_title, key=f"open-case-title-{key}")
        if st.form_submit_button("Open a case"):
            case_id = store.open_case(graph(), actor(), title, origin_id, accounts)
            go("Cases", open_case=case_id, **{"cases-filter": "All"})
