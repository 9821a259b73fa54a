"""The ringtrace workbench for `streamlit run app.py` in a checkout.

Run by `streamlit run`, this file is an ASGI app: the workbench's entry script (`workbench/entry/app.py`,
which `ringtrace app` serves through `workbench/entry/server.py`) behind ringtrace's gate, so both ways of
starting it are the same app. Run as a script of its own (Streamlit's AppTest), it draws the workbench.
"""
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:  # imported by `streamlit run` to be served
    import streamlit as st

    from ringtrace.core import config
    from workbench import gate

    app = st.App(str(config.workbench_script()), **gate.app_options())
else:
    from workbench.entry.app import main

    main()
