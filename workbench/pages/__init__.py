"""One script per workbench page, run by st.navigation (app.py); each draws its view from workbench/views."""
