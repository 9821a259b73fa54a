"""The ringtrace workbench (Streamlit): the script `ringtrace app` runs, from wherever ringtrace is installed
(`streamlit run app.py` in a checkout runs it through the top-level shim).

This entry point only signs the user in and builds the navigation; each page is its own module
under `workbench/views/` (drawn by a one-line script in `workbench/pages/`), and every page calls
the same functions as the CLI (detection.run, tracing.attribution, queries.runner,
bundles.export, loaders.logstore). `workbench/session.py` holds what pages share.

It sits alone in its folder on purpose: Streamlit puts the main script's folder first on `sys.path`
(here nothing else can shadow another module) and runs a `pages/` folder beside it as old-style pages.
"""
from __future__ import annotations

import streamlit as st

from workbench import auth
from workbench.session import PAGE_FILES, user
from workbench.text import md


def listen_address() -> str | None:
    """The address this Streamlit server actually listens on (its own `server.address` option)."""
    return st.get_option("server.address")


def client_address() -> str | None:
    try:
        return st.context.ip_address
    except Exception:  # not served over a socket (AppTest)
        return None


def login() -> bool:
    """Show only the login form until valid credentials are given (any bind but loopback)."""
    if not auth.login_required(listen_address()) or st.session_state.get("user"):
        return True
    st.title("ringtrace")
    with st.form("login"):
        name = st.text_input("User", key="login-user")
        password = st.text_input("Password", type="password", key="login-password")
        if st.form_submit_button("Sign in"):
            result = auth.sign_in(name, password, client_address())
            if result.wait_s > 0:
                st.error(f"Too many failed sign-ins for this user or from this address; try again in "
                         f"{result.wait_s / 60:.0f} min.")
                return False
            if result.role:
                st.session_state["user"], st.session_state["role"] = name, result.role
                st.rerun()
            st.error("Wrong user or password.")
    return False


def main() -> None:
    from ringtrace import config

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
