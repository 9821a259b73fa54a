"""The Queries page (drawn by workbench/views/queries.py)."""
from workbench.session import friendly
from workbench.views.queries import render

friendly(render)
