"""The synthetic dataset generators behind `ringtrace sample` (scenarios.generate) and the committed sample.

They import the ground floor (ringtrace.core) at most, never the CLI (tests/unit/test_floors.py)."""
