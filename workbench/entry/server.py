"""The workbench as Streamlit serves it: `st.App` on the entry script (`app.py` beside this file), behind
ringtrace's gate (workbench/gate.py: a signed HttpOnly browser cookie the sign-in is bound to, and no upload
before sign-in). `ringtrace app` runs `streamlit run` on this file."""
import streamlit as st

from ringtrace.core import config
from workbench import gate

app = st.App(str(config.workbench_script()), **gate.app_options())
