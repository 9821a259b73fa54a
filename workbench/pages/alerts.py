"""The Alerts page (drawn by workbench/views/alerts.py)."""
from workbench.session import friendly
from workbench.views.alerts import render

friendly(render)
