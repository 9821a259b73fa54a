"""The ringtrace workbench (Streamlit): the script `ringtrace app` serves (through `server.py` beside it, the
ASGI app that puts ringtrace's gate in front), from wherever ringtrace is installed (`streamlit run app.py` in
a checkout serves the same through the top-level shim).

This entry point only signs the user in and builds the navigation; each page is its own module
under `workbench/views/` (drawn by a one-line script in `workbench/pages/`), and every page that writes
calls the same workflows as the CLI (`workflows/`: rights, the whole job, audit); pages read through
the same functions as the CLI (queries.runner, tracing.attribution, loaders.logstore).
`workbench/session.py` holds what pages share.

It sits in its own folder (with `server.py` only) on purpose: Streamlit puts the main script's folder first on
`sys.path` (here nothing else can shadow another module) and runs a `pages/` folder beside it as old-style pages.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ringtrace.core import audit, config
from workbench import auth, gate
from workbench.session import PAGE_FILES, user
from workbench.text import md


def listen_address() -> str | None:
    """The address this Streamlit server actually listens on (its own `server.address` option)."""
    return st.get_option("server.address")


def client_address() -> str | None:
    """The signing-in client's address: the configured proxy header's, else the socket's peer (None on loopback)."""
    try:
        return auth.client_of(dict(st.context.headers.items()), st.context.ip_address)
    except Exception:  # not served over a socket (AppTest)
        return None


def session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def browser() -> str | None:
    """This connection's browser id: the gate's signed HttpOnly cookie, as the websocket handshake sent it."""
    try:
        return gate.verified(st.context.cookies.get(gate.COOKIE))
    except Exception:  # not served over a socket (AppTest)
        return None


def still_signed_in() -> bool:
    """Whether this session's sign-in belongs to the browser running it. A client that presents another
    session's id takes over that session's state, sign-in included, but not the victim's cookie: the state
    is cleared (nothing of it is drawn for the newcomer) and it is audited."""
    if not st.session_state.get("user"):
        return False
    binding = gate.bound(session_id() or "", browser())
    if binding and binding.user == st.session_state["user"]:
        return True
    audit.record(str(st.session_state["user"]), "session_refused",
                 {"client": client_address(), "reason": "another browser presented this session's id"})
    gate.unbind(session_id() or "")
    st.session_state.clear()
    return False


def login() -> bool:
    """Show only the login form until valid credentials are given (any bind but loopback), and keep the
    sign-in only for the browser that gave them."""
    if not auth.login_required(listen_address()):
        if browser() and session_id():  # the local user: its uploads pass the gate
            gate.bind(session_id(), browser(), auth.LOCAL_USER, "admin")
        return True
    if still_signed_in():
        return True
    st.title("ringtrace")
    with st.form("login"):
        name = st.text_input("User", key="login-user", max_chars=config.LOGIN_NAME_MAX_CHARS)
        password = st.text_input("Password", type="password", key="login-password",
                                 max_chars=config.PASSWORD_MAX_BYTES)
        if st.form_submit_button("Sign in"):
            if browser() is None or session_id() is None:
                st.error("This workbench was not started behind ringtrace's gate, which keeps a sign-in to the "
                         "browser that made it: start it with `ringtrace app` (or `streamlit run app.py`).")
                return False
            result = auth.sign_in(name, password, client_address())
            if result.wait_s > 0:
                st.error(f"Too many failed sign-ins for this user or from this address; try again in "
                         f"{result.wait_s / 60:.0f} min.")
                return False
            if result.role:
                gate.bind(session_id(), browser(), name, result.role)
                st.session_state["user"], st.session_state["role"] = name, result.role
                st.rerun()
            st.error("Wrong user or password.")
    return False


def main() -> None:
    st.set_page_config(page_title="ringtrace", layout="wide")
    config.ensure_private_home()
    if not login():
        return
    name, role = user()
    pages = [st.Page(path, title=title, default=(title == "Overview")) for title, path in PAGE_FILES.items()]
    navigation = st.navigation(pages, position="sidebar")
    st.sidebar.title("ringtrace")
    st.sidebar.caption(md(f"Signed in as {name} ({role})"))
    navigation.run()


if __name__ == "__main__":  # Streamlit runs the main script as __main__
    main()
