"""A recording stand-in for graph.db.Graph, for unit tests of the workflow layer's own logic only.

It records each Cypher statement and its parameters and answers with canned rows (the first rule whose text
occurs in the statement; else no rows). It says nothing about whether the Cypher is right or what Neo4j would
answer: the integration tests (tests/integration/, a real server) stay the check of that. Use it to check,
in milliseconds, that a workflow checks rights first, audits once with the actor, and which statements it
issues with which parameters."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Statement:
    """One call made on the graph: how (read, write, ...), the Cypher and its parameters."""

    how: str
    query: str
    params: dict[str, Any]


@dataclass
class RecordingGraph:
    """Records statements; `answers` maps a piece of Cypher text to the rows a statement containing it gets."""

    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    database: str = "recorded"

    def _answer(self, how: str, query: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
        self.statements.append(Statement(how, query, dict(params or {})))
        for piece, rows in self.answers.items():
            if piece in query:
                return [dict(r) for r in rows]
        return []

    def read(self, query: str, params: dict[str, Any] | None = None, timeout: float | None = None
             ) -> list[dict[str, Any]]:
        return self._answer("read", query, params)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._answer("write", query, params)

    def run_autocommit(self, query: str, params: dict[str, Any] | None = None) -> None:
        self._answer("autocommit", query, params)

    def writes(self) -> list[Statement]:
        return [s for s in self.statements if s.how != "read"]


@dataclass
class RecordingProgress:
    """A ringtrace.core.progress.Progress that records every call as (method, arguments)."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def add_task(self, description: str, total: float | None = None) -> Any:
        self.calls.append(("add_task", (description, total)))
        return len(self.calls)

    def advance(self, task: Any, amount: float = 1) -> None:
        self.calls.append(("advance", (task, amount)))

    def update(self, task: Any, completed: float | None = None, total: float | None = None) -> None:
        self.calls.append(("update", (task, completed, total)))

    def remove_task(self, task: Any) -> None:
        self.calls.append(("remove_task", (task,)))

    def note(self, text: str) -> None:
        self.calls.append(("note", (text,)))
