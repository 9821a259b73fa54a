"""The Changes page (drawn by workbench/views/changes.py)."""
from workbench.session import friendly
from workbench.views.changes import render

friendly(render)
