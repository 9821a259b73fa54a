"""A job's progress (ringtrace.core.progress.Progress) drawn in the page: a st.status box, with a st.progress bar
for each step whose total is known and its notes as plain text. Only the script's own thread draws (a loader's
writer threads report counts, which the next draw shows)."""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

import streamlit as st


class StreamlitProgress:
    """Steps and notes of a job, drawn in one st.status box made when the first step starts."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._box: Any = None
        self._steps: dict[int, dict[str, Any]] = {}
        self._thread = threading.get_ident()

    def _drawing(self) -> bool:
        return threading.get_ident() == self._thread

    def _status(self) -> Any:
        if self._box is None:
            self._box = st.status(self._label, expanded=False)
        return self._box

    def add_task(self, description: str, total: float | None = None) -> Any:
        task = len(self._steps) + 1
        step = {"text": description, "done": 0.0, "total": total, "bar": None}
        self._steps[task] = step
        if self._drawing():
            box = self._status()
            box.update(label=description)
            step["bar"] = box.progress(0.0, text=description) if total else None
        return task

    def advance(self, task: Any, amount: float = 1) -> None:
        if task in self._steps:
            self.update(task, completed=self._steps[task]["done"] + amount)

    def update(self, task: Any, completed: float | None = None, total: float | None = None) -> None:
        step = self._steps.get(task)
        if step is None:
            return
        step["done"] = step["done"] if completed is None else completed
        step["total"] = step["total"] if total is None else total
        if self._drawing() and step["total"]:
            if step["bar"] is None:
                step["bar"] = self._status().progress(0.0, text=step["text"])
            step["bar"].progress(min(1.0, step["done"] / step["total"]), text=step["text"])

    def remove_task(self, task: Any) -> None:
        step = self._steps.pop(task, None)
        if step and step["bar"] is not None and self._drawing():
            step["bar"].empty()

    def note(self, text: str) -> None:
        if self._drawing():
            self._status().text(text)

    def finish(self) -> None:
        if self._box is not None:
            self._box.update(label=self._label, state="complete")


@contextlib.contextmanager
def page_progress(label: str) -> Iterator[StreamlitProgress]:
    """A StreamlitProgress for the job the block runs; its box (if the job drew one) is marked complete after."""
    progress = StreamlitProgress(label)
    yield progress
    progress.finish()
