"""The Cluster page (drawn by workbench/views/cluster.py)."""
from workbench.session import friendly
from workbench.views.cluster import render

friendly(render)
