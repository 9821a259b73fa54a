"""The Overview page (drawn by workbench/views/overview.py)."""
from workbench.session import friendly
from workbench.views.overview import render

friendly(render)
