"""Cases: the team's investigations (mine, open, by status), one case's fields, decision, notes, history
and bundles, and the controls to change them (investigators; viewers read). The same functions as
`ringtrace case` (cases/store.py)."""
from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
import streamlit as st

from cases import store
from ringtrace.core.errors import RingtraceError
from workbench import auth
from workbench.behaviour_view import more_like_these
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
        logging.getLogger(__name__).exception("saving %s failed", case_id)
        state[f"case-saved-{case_id}"] = ("error", f"The case was not saved ({type(exc).__name__}); the details "
                                                   "are in the server log.")


def _export(case_id: str, origin: str | None) -> None:
    if origin:
        bundle_button(f"case-{case_id}", "Prepare case bundle", "Download case bundle", f"{case_id}.zip",
                      lambda out, redact: bundles.export_case(graph(), actor(), case_id, out, redact))
