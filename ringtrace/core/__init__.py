"""The ground floor: configuration, errors, audit log, rights, progress reports, safe CSV, memory, outbound HTTP.

Every other package may import it; it imports nothing of ours outside ringtrace.core
(tests/unit/test_floors.py)."""
