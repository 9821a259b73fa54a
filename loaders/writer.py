"""Writes to Neo4j on threads of their own, so the loader prepares the next batch while the server writes
this one. With one thread, batches stay in order; more threads (for writes whose order does not matter)
let the server use more cores. The queue is bounded (memory is a few batches, not a table), and a failed
write stops the load at the loader's next step with the server's error."""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable

from graph.db import Graph
from ringtrace.core import config

_STOP = object()


class BatchWriter:
    def __init__(self, graph: Graph, depth: int = config.LOAD_QUEUE_BATCHES, threads: int = 1) -> None:
        self.graph = graph
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.seconds: dict[str, float] = {}  # server time per statement (for `ringtrace load --profile`)
        self.rows: dict[str, int] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, name=f"ringtrace-writer-{n}", daemon=True)
                        for n in range(threads)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is _STOP:
                    return
                query, params, done, count = item
                if self.error is None:  # after a failure, drain without writing
                    self.write_now(query, params, count)
                    done()
            except BaseException as exc:  # noqa: BLE001 - handed to the loader's thread
                self.error = exc
            finally:
                self.queue.task_done()

    def write_now(self, query: str, params: dict[str, Any], count: int | None = None) -> list[dict[str, Any]]:
        """Run one write on the calling thread, timed like the queued ones; returns its records."""
        started = time.monotonic()
        records = self.graph.write(query, params)
        with self.lock:
            self.seconds[query] = self.seconds.get(query, 0.0) + time.monotonic() - started
            self.rows[query] = self.rows.get(query, 0) + (
                count if count is not None else len(params.get("rows") or params.get("keys") or []))
        return records

    def absorb(self, other: BatchWriter) -> None:
        """Add another writer's statement times to this one's."""
        for query, seconds in other.seconds.items():
            self.seconds[query] = self.seconds.get(query, 0.0) + seconds
            self.rows[query] = self.rows.get(query, 0) + other.rows.get(query, 0)

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, query: str, params: dict[str, Any], done: Callable[[], None] = lambda: None,
               count: int | None = None) -> None:
        """Queue one write (blocks while the queue is full); raises a failure of an earlier write. `count` is
        the rows it writes, for the profile (default: its rows or keys)."""
        self._raise()
        self.queue.put((query, params, done, count))

    def flush(self) -> None:
        """Wait until every queued write is done; raises the first failure."""
        self.queue.join()
        self._raise()

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(_STOP)
        for thread in self.threads:
            thread.join()
