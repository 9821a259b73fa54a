"""Freed heap handed back to the operating system between a load's steps.

After a table is validated its chunks are freed, but glibc keeps the pages for reuse, so the process
stays as large as its largest chunk while DuckDB, which manages its own memory, takes the next step.
`malloc_trim` returns them; elsewhere (no glibc) this only collects garbage."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> None:
    """Collect garbage, then let the C allocator return free pages to the system."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
