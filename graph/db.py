"""The one thin, typed layer over Cypher: driver, read/write transactions, retries, schema."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pandas as pd
from neo4j import READ_ACCESS, WRITE_ACCESS, Driver, GraphDatabase, ManagedTransaction, Query, RoutingControl
from neo4j.exceptions import AuthError, ServiceUnavailable

from graph import model
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.server import local_neo4j

CYPHER_DIR = Path(__file__).resolve().parent
T = TypeVar("T")


def plain(value: Any) -> Any:
    """Neo4j values as plain Python for tables and JSON (temporals become ISO 8601 text)."""
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# Relationships that are not evidence (a run's working links, deleted after it): views of the graph leave them out.
TRANSIENT_RELATIONSHIPS = model.TRANSIENT_RELATIONSHIPS
# The contract id of each label of the graph views (graph/model.py): a Person carries its employer's org_id
# too, so the label decides.
LABEL_KEYS = {label.name: label.key for label in model.GRAPH_LABELS}
# The properties that name a node of an unknown label, in the order they are tried.
KEY_PROPS = tuple(dict.fromkeys(LABEL_KEYS.values()))


def node_key(props: dict[str, Any], default: str, label: str | None = None) -> str:
    """The identifying value of a node (its label's contract id, an `id`, or a name), else `default`."""
    own = LABEL_KEYS.get(label or "")
    if own and props.get(own) is not None:
        return str(props[own])
    if props.get("id") is not None:
        return str(props["id"])
    for k in KEY_PROPS:
        if props.get(k) is not None:
            return str(props[k])
    return default


def cypher(name: str) -> str:
    """Text of a named `.cypher` file beside this module."""
    return (CYPHER_DIR / f"{name}.cypher").read_text()


def split_statements(text: str) -> list[str]:
    """Statements of a `.cypher` file: `;`-terminated, `//` comment lines ignored."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("//")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


@dataclass
class Graph:
    """A connection to one database of one Neo4j server (local, cluster or Aura)."""

    driver: Driver
    database: str
    settings: config.ServerSettings

    def read(self, query: str, params: dict[str, Any] | None = None, timeout: float | None = None
             ) -> list[dict[str, Any]]:
        """Run a read query in a managed read transaction (routed to readers, retried)."""
        q = Query(query, timeout=timeout) if timeout else query
        records, _, _ = self.driver.execute_query(
            q, params or {}, database_=self.database, routing_=RoutingControl.READ)
        return [r.data() for r in records]

    def read_df(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a read query and return its rows as a DataFrame (for bulk reads)."""
        def work(tx: ManagedTransaction) -> pd.DataFrame:
            result = tx.run(query, params or {})
            keys = result.keys()
            return pd.DataFrame([r.values() for r in result], columns=keys)

        with self.driver.session(database=self.database, default_access_mode="READ") as session:
            return session.execute_read(work)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a write query in a managed write transaction (routed to the leader, retried)."""
        records, _, _ = self.driver.execute_query(
            query, params or {}, database_=self.database, routing_=RoutingControl.WRITE)
        return [r.data() for r in records]

    def run_autocommit(self, query: str, params: dict[str, Any] | None = None) -> None:
        """Run a write in an auto-commit transaction (needed by `CALL {} IN TRANSACTIONS`)."""
        with self.driver.session(database=self.database) as session:
            session.run(query, params or {}).consume()

    def write_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run `work` in a retried write transaction; `work` must be safe to repeat."""
        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self.driver.session(database=self.database) as session:
            return session.execute_read(work)

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Any]:
        with self.driver.session(database=self.database,
                                 default_access_mode=READ_ACCESS if read_only else WRITE_ACCESS) as s:
            yield s

    def server_version(self) -> str:
        rows = self.read("CALL dbms.components() YIELD name, versions, edition "
                         "RETURN versions[0] AS version, edition")
        return f"{rows[0]['version']} {rows[0]['edition']}" if rows else "unknown"

    def close(self) -> None:
        self.driver.close()

    def reconnect(self) -> None:
        """A fresh driver, after the database was replaced offline (bookmarks of the old one are void)."""
        self.driver.close()
        self.driver = connect(self.settings).driver

    def __enter__(self) -> "Graph":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def server_settings() -> config.ServerSettings:
    """The external server if NEO4J_URI is set, else the project's local server."""
    external = config.external_server()
    if external is not None:
        return external
    paths = config.local_paths()
    password = local_neo4j.read_password(paths)
    if password is None:
        raise RingtraceError(
            "No Neo4j server: set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD for an existing server, "
            "or run `ringtrace neo4j start` to run the local one.")
    return config.ServerSettings(uri=local_neo4j.local_uri(paths), user=config.NEO4J_USER_LOCAL,
                                 password=password, database=config.DEFAULT_DATABASE, external=False)


def connect(settings: config.ServerSettings | None = None) -> Graph:
    """Open a verified connection; errors say which server failed and what to do."""
    settings = settings or server_settings()
    # Server notifications (e.g. "relationship type does not exist yet") are not errors here.
    driver = GraphDatabase.driver(settings.uri, auth=(settings.user, settings.password),
                                  notifications_min_severity="OFF")
    try:
        driver.verify_connectivity()
    except AuthError as exc:
        driver.close()
        raise RingtraceError(f"Neo4j at {settings.uri} refused the credentials for user "
                             f"'{settings.user}'. Check NEO4J_USER / NEO4J_PASSWORD.") from exc
    except (ServiceUnavailable, OSError, ValueError) as exc:
        driver.close()
        hint = ("check NEO4J_URI and that the server is up" if settings.external
                else "start it with `ringtrace neo4j start`")
        raise RingtraceError(f"Cannot reach Neo4j at {settings.uri}: {hint}.") from exc
    return Graph(driver=driver, database=settings.database, settings=settings)


def ensure_schema(graph: Graph) -> None:
    """Create every uniqueness constraint and index (idempotent, Neo4j 5 syntax)."""
    for statement in split_statements(cypher("schema")):
        graph.write(statement)
    graph.driver.execute_query("CALL db.awaitIndexes(300)", database_=graph.database)
