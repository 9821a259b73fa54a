"""Writes to Neo4j on a thread of their own, so the loader prepares the next batch while the server
writes this one. Batches stay in order (one writer), the queue is bounded (memory is a few batches,
not a table), and a failed write stops the load at the loader's next step with the server's error."""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable

from graph.db import Graph
from ringtrace import config

_STOP = object()


class BatchWriter:
    def __init__(self, graph: Graph, depth: int = config.LOAD_QUEUE_BATCHES) -> None:
        self.graph = graph
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.seconds: dict[str, float] = {}  # server time per statement (for `ringtrace load --profile`)
        self.rows: dict[str, int] = {}
        self.thread = threading.Thread(target=self._run, name="ringtrace-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is _STOP:
                    return
                query, params, done = item
                if self.error is None:  # after a failure, drain without writing
                    started = time.monotonic()
                    self.graph.write(query, params)
                    self.seconds[query] = self.seconds.get(query, 0.0) + time.monotonic() - started
                    self.rows[query] = self.rows.get(query, 0) + len(params.get("rows") or params.get("keys") or [])
                    done()
            except BaseException as exc:  # noqa: BLE001 - handed to the loader's thread
                self.error = exc
            finally:
                self.queue.task_done()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, query: str, params: dict[str, Any], done: Callable[[], None] = lambda: None) -> None:
        """Queue one write (blocks while the queue is full); raises a failure of an earlier write."""
        self._raise()
        self.queue.put((query, params, done))

    def flush(self) -> None:
        """Wait until every queued write is done; raises the first failure."""
        self.queue.join()
        self._raise()

    def close(self) -> None:
        self.queue.put(_STOP)
        self.thread.join()
