"""All of ringtrace's configuration in one place: environment variables, paths and defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def shipped(package: str, *parts: str) -> Path:
    """A file or folder shipped inside an installed package (its package data), as a path on disk.

    Read through importlib.resources, so it is found wherever ringtrace is installed (a wheel, pipx, an
    editable checkout), never relative to a source tree."""
    from importlib.resources import files

    where = files(package).joinpath(*parts)
    if not isinstance(where, Path):  # e.g. a zipped install: Maven and Streamlit need real files
        raise RuntimeError(f"ringtrace's package {package} is not installed as files on disk; install it with pip.")
    return where


def sample_dir() -> Path:
    """The committed synthetic sample that `ringtrace demo` loads (package data of `sample_data`)."""
    return shipped("sample_data", "small")


def workbench_script() -> Path:
    """The Streamlit entry script of the workbench (the top-level app.py of a checkout is a shim over it)."""
    return shipped("workbench.entry", "app.py")


def workbench_server() -> Path:
    """The file `ringtrace app` gives `streamlit run`: the entry script as an ASGI app behind the gate."""
    return shipped("workbench.entry", "server.py")


NEO4J_VERSION = "5.26.30"
# The Maven projects that fetch Neo4j and the GDS plugin (package data of `ringtrace`).
NEO4J_POM = shipped("ringtrace", "neo4j_server", "pom.xml")
# python: python-louvain in this process (the default); gds: Louvain inside Neo4j.
DETECTION_ENGINES = ("python", "gds")
# Graph Data Science for `detect --engine gds`: 2.13 is the GDS line for Neo4j 5.26.
GDS_VERSION = "2.13.9"
GDS_POM = shipped("ringtrace", "neo4j_server", "gds", "pom.xml")
# Threads for GDS algorithms; 1 makes GDS Louvain repeatable, more is faster but may differ run to run.
GDS_CONCURRENCY = int(os.environ.get("RINGTRACE_GDS_CONCURRENCY", "1"))
DEFAULT_BOLT_PORT = 7687
DEFAULT_DATABASE = "neo4j"
NEO4J_USER_LOCAL = "neo4j"
REQUIRED_JAVA_MAJOR = 17
# Neo4j 5.26 is certified on Java 17 and 21; it is not run on newer JDKs.
MAX_JAVA_MAJOR = 21
NEO4J_HEAP = os.environ.get("RINGTRACE_NEO4J_HEAP", "2g")
NEO4J_PAGECACHE = os.environ.get("RINGTRACE_NEO4J_PAGECACHE", "1g")
# Optional cap on one transaction's memory on the local server (db.memory.transaction.max), e.g. "1g".
NEO4J_TX_MEMORY_MAX = os.environ.get("RINGTRACE_NEO4J_TX_MEMORY") or None
START_TIMEOUT_S = float(os.environ.get("RINGTRACE_NEO4J_START_TIMEOUT", "120"))
STOP_TIMEOUT_S = 60.0
# How long `load`, `neo4j start` and `neo4j stop` wait for another of them to release the home (home_lock.py).
HOME_LOCK_WAIT_S = float(os.environ.get("RINGTRACE_LOCK_WAIT", "30"))
# How long `ringtrace app` waits for the Streamlit child to stop after passing a signal on.
CHILD_STOP_TIMEOUT_S = 10.0
MIN_FREE_DISK_BYTES = 1 << 30  # Neo4j refuses to run well with less than ~1 GB free.
PASSWORD_BYTES = 24

# A load run of another host still 'running' after this long is taken as interrupted.
STALE_LOAD_RUN_S = 24 * 3600.0
# Detection thresholds a user may change (`ringtrace detect --min-size/--flag-threshold/--top-k`);
# detection/ explains each where it is used.
# Smallest reported group: rings can be two accounts (the scorer is vectorised, so small groups cost little).
DETECT_MIN_GROUP = 2
DETECT_FLAG_THRESHOLD = 1.0    # decades of evidence per account (and behaviour points) a flagged cluster needs at least (README: the flag rule)
# `ringtrace sample --scenario` (ringtrace/synthetic.py)
SAMPLE_SCENARIOS = ("campaigns", "marketplace", "fragmented", "households", "stealth")
# Expected share of false discoveries among flagged clusters (Benjamini-Hochberg over a run's clusters).
DETECT_FDR = float(os.environ.get("RINGTRACE_DETECT_FDR", "0.05"))
# ...and among joins of clusters into campaigns: stricter, since a wrong join hands one operator's
# attribution to another (detection/campaigns.py)
CAMPAIGN_FDR = float(os.environ.get("RINGTRACE_CAMPAIGN_FDR", "0.01"))
# Synchronised activity as linking evidence (detection/cosync.py): accounts x time buckets of this width; two
# accounts link when co-active beyond chance at this family-wise error rate over every pair of active accounts.
COSYNC_BUCKET_S = 900
COSYNC_FWER = float(os.environ.get("RINGTRACE_COSYNC_FWER", "0.05"))
def co_activity_linking() -> bool:
    """Whether detection links accounts by synchronised activity (on by default; `off` leaves fleets that
    share no infrastructure unfound; README, Detection)."""
    return os.environ.get("RINGTRACE_CO_ACTIVITY", "on").strip().lower() in ("on", "1", "true", "yes")


BEHAVIOUR_WAVE_S = 6 * 3600    # windows a behaviour group's reason counts waves in (detection/behaviour_reasons.py)
RASTER_ROWS = 120              # accounts per side of the accounts x time raster (a cluster's, other accounts')
RASTER_COLUMNS = 240           # time slices of the raster
SIMILAR_STORED = 1000          # most ranked accounts of one similarity search stored as RANKED links
COSYNC_PEERS = 8               # candidate partners per account in each bucket (blocking keeps candidates near-linear)
# A false-positive decision keeps a later cluster unflagged only when the cluster is (nearly) the group decided:
# Jaccard overlap of their accounts at least this, no new account and no new shared evidence (cases/feedback.py).
FEEDBACK_MIN_OVERLAP = float(os.environ.get("RINGTRACE_FEEDBACK_MIN_OVERLAP", "0.9"))
DETECT_TOP_K = 25              # strongest links kept per account (detection/projection.py)
# Load batching: rows per UNWIND transaction.
LOAD_BATCH_ROWS = int(os.environ.get("RINGTRACE_LOAD_BATCH", "5000"))
LOAD_QUEUE_BATCHES = 2          # batches prepared ahead of the one Neo4j is writing (loaders/writer.py)
# Concurrent transactions writing the log aggregates (their order does not matter): on a 2-core machine two
# let the server use both cores while the loader waits (README: Loading, measured figures).
LOAD_AGGREGATE_WRITERS = max(1, int(os.environ.get("RINGTRACE_LOAD_WRITERS", "2")))
# DuckDB's memory in this process (the log store, the bulk converter); beyond it DuckDB spills to the home's
# tmp folder, so a load's peak RSS stays near this plus the batches in flight.
DUCKDB_MEMORY = os.environ.get("RINGTRACE_DUCKDB_MEMORY", "1GB")
# ...and for a log file's duplicate check, which runs while the file's validation still holds its memory:
# beyond this the grouping spills (at seed scale 0.4 instead of 0.9 GiB peak, a few seconds slower).
DUCKDB_CHECK_MEMORY = os.environ.get("RINGTRACE_DUCKDB_CHECK_MEMORY", "256MB")
# Load paths (`ringtrace load --mode`): auto takes the bulk import into an empty local database, else incremental.
LOAD_MODES = ("auto", "bulk", "incremental")
# auto takes the bulk path for inputs at least this large: below it, stopping and starting the server costs
# more than the incremental path saves (README: Loading, measured figures).
BULK_MIN_INPUT_BYTES = int(os.environ.get("RINGTRACE_BULK_MIN_BYTES", str(64 << 20)))
# The offline importer (loaders/bulk.py, ringtrace/local_import.py): its JVM heap, and the memory it may use
# outside the heap for its caches (neo4j-admin's --max-off-heap-memory; its default is 90 % of the machine).
IMPORT_HEAP = os.environ.get("RINGTRACE_IMPORT_HEAP", "1g")
IMPORT_OFF_HEAP = os.environ.get("RINGTRACE_IMPORT_MEMORY", "2G")
# `ringtrace verify`: a manifest.json inflating beyond this is refused unread (a bundle's manifest is a few KB
# per hundred files; a ZIP bomb's is gigabytes).
BUNDLE_MANIFEST_MAX_BYTES = 8 << 20
# Query safety defaults for user-supplied Cypher.
QUERY_TIMEOUT_S = float(os.environ.get("RINGTRACE_QUERY_TIMEOUT", "30"))
QUERY_ROW_CAP = int(os.environ.get("RINGTRACE_QUERY_ROW_CAP", "10000"))
# Workbench sign-in: this many failures within the window (per user and per client) lock both out.
# Alerts: POSTed as JSON to this URL after each load or intel import (unset: kept in the graph only).
WEBHOOK_TIMEOUT_S = float(os.environ.get("RINGTRACE_WEBHOOK_TIMEOUT", "5"))
WEBHOOK_RETRIES = int(os.environ.get("RINGTRACE_WEBHOOK_RETRIES", "3"))
WEBHOOK_BACKOFF_S = 0.5  # doubled after each failed attempt


def alert_webhook() -> str | None:
    return os.environ.get("RINGTRACE_ALERT_WEBHOOK") or None


def webhook_secret() -> str | None:
    """Shared secret the webhook's receiver checks each alert's HMAC signature with (unset: unsigned)."""
    return os.environ.get("RINGTRACE_WEBHOOK_SECRET") or None


# Published indicators: the organisation named as their sender (a STIX identity), and their TLP level.
ORGANISATION = os.environ.get("RINGTRACE_ORGANISATION", "ringtrace")


def publish_tlp() -> str:
    return os.environ.get("RINGTRACE_TLP", "amber").lower()


@dataclass(frozen=True)
class TaxiiSettings:
    """A TAXII 2.1 API root, the collection (id or title) to publish to and pull from, and credentials."""

    api_root: str
    collection: str
    user: str | None
    password: str | None


# One TAXII pull: at most this many pages (the pull is refused beyond it, nothing imported), this many
# bytes of answers in all (pages together), and each request answered within this many seconds (connecting,
# each read, and the whole answer).
TAXII_MAX_PAGES = int(os.environ.get("RINGTRACE_TAXII_MAX_PAGES", "200"))
TAXII_MAX_BYTES = int(os.environ.get("RINGTRACE_TAXII_MAX_BYTES", str(64 << 20)))
TAXII_TIMEOUT_S = float(os.environ.get("RINGTRACE_TAXII_TIMEOUT", "30"))


def taxii_settings() -> TaxiiSettings | None:
    url = os.environ.get("RINGTRACE_TAXII_URL")
    if not url:
        return None
    return TaxiiSettings(url, os.environ.get("RINGTRACE_TAXII_COLLECTION", ""),
                         os.environ.get("RINGTRACE_TAXII_USER") or None,
                         os.environ.get("RINGTRACE_TAXII_PASSWORD") or None)


LOGIN_MAX_FAILURES = int(os.environ.get("RINGTRACE_LOGIN_MAX_FAILURES", "10"))
LOGIN_FAILURE_WINDOW_S = 15 * 60.0
LOGIN_LOCKOUT_S = float(os.environ.get("RINGTRACE_LOGIN_LOCKOUT", str(15 * 60)))
# Longest user name a user may have and a sign-in may send (longer ones are refused before anything is written).
LOGIN_NAME_MAX_CHARS = 64
# bcrypt reads only a password's first 72 bytes: longer ones are refused when a user is added and at sign-in.
PASSWORD_MAX_BYTES = 72


# Largest file the workbench takes (a partner's STIX bundle on the Alerts page), in MB: Streamlit's
# server.maxUploadSize, and the gate's own check (workbench/gate.py), which refuses any upload before sign-in.
WORKBENCH_MAX_UPLOAD_MB = int(os.environ.get("RINGTRACE_WORKBENCH_MAX_UPLOAD_MB", "10"))
# A signed-in workbench session unused this long is signed out.
WORKBENCH_IDLE_SIGN_OUT_S = 8 * 3600.0


def trusted_proxy_header() -> str | None:
    """The header a reverse proxy puts the client's address in (e.g. X-Forwarded-For; its last address is
    taken): sign-ins are throttled per that address. Unset: the socket's peer, when Streamlit reports one."""
    return os.environ.get("RINGTRACE_TRUSTED_PROXY_HEADER") or None


def default_home() -> Path:
    """The platform's per-user data folder (~/.local/share/ringtrace on Linux), whatever the current folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("ringtrace", appauthor=False))


def home() -> Path:
    """The ringtrace home: cached Neo4j, its data, password, user queries, logs (RINGTRACE_HOME overrides)."""
    override = os.environ.get("RINGTRACE_HOME")
    return (Path(override) if override else default_home()).resolve()


# The home holds the password, the request log, the truth copy and the database: its owner only.
HOME_MODE = 0o700
PRIVATE_UMASK = 0o077


def ensure_private_home() -> Path:
    """Create the home for its owner only (and tighten an existing one); files made after are private."""
    root = home()
    root.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    if root.stat().st_mode & 0o777 != HOME_MODE:
        os.chmod(root, HOME_MODE)
    os.umask(PRIVATE_UMASK)
    return root


@dataclass(frozen=True)
class LocalPaths:
    """Where the project-run Neo4j keeps its files under the ringtrace home."""

    root: Path

    @property
    def lib(self) -> Path:
        return self.root / "neo4j" / "lib" / NEO4J_VERSION

    @property
    def server_home(self) -> Path:
        return self.root / "neo4j" / "server"

    @property
    def plugins_dir(self) -> Path:
        return self.server_home / "plugins"

    @property
    def gds_marker(self) -> Path:
        return self.plugins_dir / f".gds-{GDS_VERSION}"

    @property
    def conf_dir(self) -> Path:
        return self.server_home / "conf"

    @property
    def data_dir(self) -> Path:
        return self.server_home / "data"

    @property
    def logs_dir(self) -> Path:
        return self.server_home / "logs"

    @property
    def run_dir(self) -> Path:
        return self.server_home / "run"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "ringtrace-neo4j.pid"

    @property
    def console_log(self) -> Path:
        return self.logs_dir / "console.log"

    @property
    def password_file(self) -> Path:
        return self.root / "neo4j-password"

    @property
    def port_file(self) -> Path:
        return self.run_dir / "bolt-port"


def local_paths() -> LocalPaths:
    return LocalPaths(home())


def jvm_dir() -> Path:
    """Where installed JDKs are looked for when JAVA_HOME does not name one."""
    return Path(os.environ.get("RINGTRACE_JVM_DIR", "/usr/lib/jvm"))


def bolt_port() -> int:
    return int(os.environ.get("RINGTRACE_NEO4J_PORT", DEFAULT_BOLT_PORT))


@dataclass(frozen=True)
class ServerSettings:
    """How to reach a Neo4j server; `external` is true when the user named one."""

    uri: str
    user: str
    password: str
    database: str
    external: bool


def external_server() -> ServerSettings | None:
    """The server named by NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, if any."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return ServerSettings(
        uri=uri,
        user=os.environ.get("NEO4J_USER", os.environ.get("NEO4J_USERNAME", "neo4j")),
        password=os.environ.get("NEO4J_PASSWORD", ""),
        database=os.environ.get("NEO4J_DATABASE", DEFAULT_DATABASE),
        external=True,
    )
