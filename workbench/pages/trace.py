"""The Trace page (drawn by workbench/views/trace.py)."""
from workbench.session import friendly
from workbench.views.trace import render

friendly(render)
