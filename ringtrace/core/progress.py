"""Progress reports from long jobs, drawn by whichever front end runs them.

A job (a load, a detection run, tracing a run) takes a `Progress` and reports steps and counts to it; the
CLI draws them as Rich bars (ringtrace.cli.terminal.rich_progress), the workbench as st.status and st.progress
(workbench.progress), tests and scripts pass nothing and see nothing. Domain modules never draw."""
from __future__ import annotations

from typing import Any, Protocol


class Progress(Protocol):
    """Where a job reports what it is doing: named steps (tasks) with optional totals, and lines of text."""

    def add_task(self, description: str, total: float | None = None) -> Any:
        """Start a step; returns its handle for the calls below."""

    def advance(self, task: Any, amount: float = 1) -> None:
        """Count `amount` more done in a step (may be called from a writer thread)."""

    def update(self, task: Any, completed: float | None = None, total: float | None = None) -> None:
        """Set how much of a step is done, and its total when it becomes known."""

    def remove_task(self, task: Any) -> None:
        """End a step."""

    def note(self, text: str) -> None:
        """One line worth keeping (plain text, never markup)."""


class Silent:
    """A Progress that shows nothing (the default for every job)."""

    def add_task(self, description: str, total: float | None = None) -> Any:
        return None

    def advance(self, task: Any, amount: float = 1) -> None:
        pass

    def update(self, task: Any, completed: float | None = None, total: float | None = None) -> None:
        pass

    def remove_task(self, task: Any) -> None:
        pass

    def note(self, text: str) -> None:
        pass


SILENT = Silent()


def reporter(progress: Progress | None) -> Progress:
    """The Progress to report to: the one given, else one that shows nothing (None or False: silent)."""
    return progress or SILENT
