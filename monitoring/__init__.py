"""Monitoring: what changed between detection runs, watched items, and alerts on new accounts."""
