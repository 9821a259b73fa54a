"""The workbench's Streamlit entry script (`app.py`), shipped inside the package so an installed ringtrace can run it."""
