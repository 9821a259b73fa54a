"""The Campaign page (drawn by workbench/views/campaign.py)."""
from workbench.session import friendly
from workbench.views.campaign import render

friendly(render)
