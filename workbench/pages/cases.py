"""The Cases page (drawn by workbench/views/cases.py)."""
from workbench.session import friendly
from workbench.views.cases import render

friendly(render)
