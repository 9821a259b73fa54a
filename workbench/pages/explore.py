"""The Explore page (drawn by workbench/views/explore.py)."""
from workbench.session import friendly
from workbench.views.explore import render

friendly(render)
