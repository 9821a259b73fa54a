"""All of ringtrace's configuration in one place: environment variables, paths and defaults.

The settings a user may change are the table SETTINGS (at the end); each is read when used.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

import platformdirs


def shipped(package: str, *parts: str) -> Path:
    """A file or folder shipped inside an installed package (its package data), as a path on disk.

    Read through importlib.resources, so it is found wherever ringtrace is installed (a wheel, pipx, an
    editable checkout), never relative to a source tree."""
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
# python: python-louvain in this process (the default); gds: Louvain inside Neo4j.
DETECTION_ENGINES = ("python", "gds")
# Graph Data Science for `detect --engine gds`: 2.13 is the GDS line for Neo4j 5.26.
GDS_VERSION = "2.13.9"
DEFAULT_BOLT_PORT = 7687
DEFAULT_DATABASE = "neo4j"
NEO4J_USER_LOCAL = "neo4j"
REQUIRED_JAVA_MAJOR = 17
# Neo4j 5.26 is certified on Java 17 and 21; it is not run on newer JDKs.
MAX_JAVA_MAJOR = 21
STOP_TIMEOUT_S = 60.0
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
# `ringtrace sample --scenario` (sample_data/generators/scenarios.py)
SAMPLE_SCENARIOS = ("campaigns", "marketplace", "fragmented", "households", "stealth")
# Synchronised activity as linking evidence (detection/cosync.py): accounts x time buckets of this width; two
# accounts link when co-active beyond chance at this family-wise error rate over every pair of active accounts.
COSYNC_BUCKET_S = 900


def co_activity_linking() -> bool:
    """Whether detection links accounts by synchronised activity (on by default; `off` leaves fleets that
    share no infrastructure unfound; README, Detection)."""
    return bool(get("co_activity"))


BEHAVIOUR_WAVE_S = 6 * 3600    # windows a behaviour group's reason counts waves in (detection/behaviour_reasons.py)
RASTER_ROWS = 120              # accounts per side of the accounts x time raster (a cluster's, other accounts')
RASTER_COLUMNS = 240           # time slices of the raster
SIMILAR_STORED = 1000          # most ranked accounts of one similarity search stored as RANKED links
COSYNC_PEERS = 8               # candidate partners per account in each bucket (blocking keeps candidates near-linear)
DETECT_TOP_K = 25              # strongest links kept per account (detection/projection.py)
LOAD_QUEUE_BATCHES = 2          # batches prepared ahead of the one Neo4j is writing (loaders/writer.py)
# Load paths (`ringtrace load --mode`): auto takes the bulk import into an empty local database, else incremental.
LOAD_MODES = ("auto", "bulk", "incremental")
# `ringtrace verify`: a manifest.json inflating beyond this is refused unread (a bundle's manifest is a few KB
# per hundred files; a ZIP bomb's is gigabytes).
BUNDLE_MANIFEST_MAX_BYTES = 8 << 20
WEBHOOK_BACKOFF_S = 0.5  # doubled after each failed attempt


def alert_webhook() -> str | None:
    return get("alert_webhook")


def webhook_secret() -> str | None:
    """Shared secret the webhook's receiver checks each alert's HMAC signature with (unset: unsigned)."""
    return get("webhook_secret")


def publish_tlp() -> str:
    return str(get("publish_tlp"))


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


def taxii_settings() -> TaxiiSettings | None:
    url = get("taxii_url")
    if not url:
        return None
    return TaxiiSettings(url, get("taxii_collection"), get("taxii_user"), get("taxii_password"))


LOGIN_FAILURE_WINDOW_S = 15 * 60.0
# Longest user name a user may have and a sign-in may send (longer ones are refused before anything is written).
LOGIN_NAME_MAX_CHARS = 64
# bcrypt reads only a password's first 72 bytes: longer ones are refused when a user is added and at sign-in.
PASSWORD_MAX_BYTES = 72


# Largest file the workbench takes (a partner's STIX bundle on the Alerts page), in MB: Streamlit's
# server.maxUploadSize, and the gate's own check (workbench/gate.py), which refuses any upload before sign-in.
# A signed-in workbench session unused this long is signed out.
WORKBENCH_IDLE_SIGN_OUT_S = 8 * 3600.0


def trusted_proxy_header() -> str | None:
    """The header a reverse proxy puts the client's address in (e.g. X-Forwarded-For; its last address is
    taken): sign-ins are throttled per that address. Unset: the socket's peer, when Streamlit reports one."""
    return get("trusted_proxy_header")


def default_home() -> Path:
    """The platform's per-user data folder (~/.local/share/ringtrace on Linux), whatever the current folder."""
    return Path(platformdirs.user_data_dir("ringtrace", appauthor=False))


def home() -> Path:
    """The ringtrace home: cached Neo4j, its data, password, user queries, logs (RINGTRACE_HOME overrides)."""
    override = get("home")
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
    def gds_lib_dir(self) -> Path:
        """GDS's jars that declare no procedure: on the server's classpath, outside the folder it scans."""
        return self.server_home / "gds-lib"

    @property
    def gds_marker(self) -> Path:
        return self.plugins_dir / f".gds-{GDS_VERSION}-split"

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
    return Path(get("jvm_dir"))


def bolt_port() -> int:
    return int(get("bolt_port"))


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
    uri = get("neo4j_uri")
    if not uri:
        return None
    return ServerSettings(uri=uri, user=get("neo4j_user") or get("neo4j_username") or "neo4j",
                          password=get("neo4j_password"), database=get("neo4j_database"), external=True)


def java_home() -> str | None:
    return get("java_home")


def cli_user() -> str | None:
    """The workbench user CLI commands run as (RINGTRACE_USER), if any."""
    return get("cli_user")


def os_user() -> str | None:
    """The operating system's name for who runs ringtrace (USER, else LOGNAME)."""
    return get("os_user") or get("os_logname")


def signing_key() -> str | None:
    """The Ed25519 private key (PEM file) that signs bundle manifests, if one is configured."""
    return get("signing_key")


@dataclass(frozen=True)
class Setting:
    """One setting: the name code reads it by (`config.NAME` or `config.get(name)`), the environment variable
    that overrides it, its default as that variable would spell it (None: unset), and what it means."""

    name: str
    variable: str
    default: str | None
    help: str
    parse: Callable[[str], Any] = str
    shown: str = ""                  # the README's default column, when not the default itself


def _flag(text: str) -> bool:
    return text.strip().lower() in ("on", "1", "true", "yes")


def _at_least_one(text: str) -> int:
    return max(1, int(text))


def _optional(text: str) -> str | None:
    return text or None


# Every setting ringtrace reads from the environment. The README's configuration table is generated from it
# (`python -m ringtrace.core.config`; tests/unit/test_config.py keeps them equal). Values are read when used, so a
# variable changed after import takes effect.
SETTINGS: tuple[Setting, ...] = (
    Setting("home", "RINGTRACE_HOME", None,
            "Neo4j jars and data, password, request-log store, user queries, users, audit log; the same whatever "
            "the current folder", shown="the platform's user data folder (`~/.local/share/ringtrace` on Linux)"),
    Setting("bolt_port", "RINGTRACE_NEO4J_PORT", str(DEFAULT_BOLT_PORT), "Bolt port of the local server", int),
    Setting("NEO4J_HEAP", "RINGTRACE_NEO4J_HEAP", "2g", "local server heap"),
    Setting("NEO4J_PAGECACHE", "RINGTRACE_NEO4J_PAGECACHE", "1g", "local server page cache"),
    Setting("START_TIMEOUT_S", "RINGTRACE_NEO4J_START_TIMEOUT", "120", "seconds to wait for Bolt", float),
    Setting("NEO4J_TX_MEMORY_MAX", "RINGTRACE_NEO4J_TX_MEMORY", None,
            "cap on one transaction's memory on the local server (`db.memory.transaction.max`), e.g. `1g`"),
    Setting("jvm_dir", "RINGTRACE_JVM_DIR", "/usr/lib/jvm", "where installed JDKs are looked for"),
    Setting("java_home", "JAVA_HOME", None, "the JDK to run Neo4j with (tried before `RINGTRACE_JVM_DIR`)"),
    Setting("HOME_LOCK_WAIT_S", "RINGTRACE_LOCK_WAIT", "30",
            "seconds `load`, `neo4j start` and `neo4j stop` wait for another of them to release the home's lock, "
            "then stop saying who holds it", float),
    Setting("LOAD_BATCH_ROWS", "RINGTRACE_LOAD_BATCH", "5000", "rows per `UNWIND` write transaction", int),
    # On a 2-core machine two writers let the server use both cores while the loader waits (README: Loading).
    Setting("LOAD_AGGREGATE_WRITERS", "RINGTRACE_LOAD_WRITERS", "2",
            "concurrent transactions writing the log aggregates of accounts new to the graph", _at_least_one),
    # Below it, stopping and starting the server costs more than the incremental path saves (README: Loading).
    Setting("BULK_MIN_INPUT_BYTES", "RINGTRACE_BULK_MIN_BYTES", str(64 << 20),
            "`ringtrace load --mode auto` takes the bulk import from this input size on (into an empty local "
            "database)", int, shown="`67108864` (64 MB)"),
    Setting("IMPORT_HEAP", "RINGTRACE_IMPORT_HEAP", "1g", "the bulk importer's JVM heap"),
    Setting("IMPORT_OFF_HEAP", "RINGTRACE_IMPORT_MEMORY", "2G",
            "the bulk importer's off-heap cache limit (`--max-off-heap-memory`)"),
    Setting("DUCKDB_MEMORY", "RINGTRACE_DUCKDB_MEMORY", "1GB",
            "DuckDB's memory in ringtrace's process (log store, bulk converter); it spills to the home beyond it"),
    Setting("DUCKDB_CHECK_MEMORY", "RINGTRACE_DUCKDB_CHECK_MEMORY", "256MB",
            "DuckDB's memory for a log file's duplicate check (it runs while the file's validation still holds "
            "memory)"),
    Setting("QUERY_TIMEOUT_S", "RINGTRACE_QUERY_TIMEOUT", "30", "seconds a saved or ad-hoc query may run", float),
    Setting("QUERY_ROW_CAP", "RINGTRACE_QUERY_ROW_CAP", "10000", "rows a saved or ad-hoc query may return", int),
    Setting("DETECT_FDR", "RINGTRACE_DETECT_FDR", "0.05",
            "expected share of false discoveries among flagged clusters (Benjamini-Hochberg; `detect --fdr` "
            "overrides)", float),
    # Stricter: a wrong join hands one operator's attribution to another (detection/campaigns.py).
    Setting("CAMPAIGN_FDR", "RINGTRACE_CAMPAIGN_FDR", "0.01", "the same for joins of clusters into campaigns",
            float),
    Setting("co_activity", "RINGTRACE_CO_ACTIVITY", "on",
            "link accounts by synchronised activity (`detection/cosync.py`); `off` leaves out the step (fleets "
            "that share no infrastructure are then not found; see Detection)", _flag),
    Setting("COSYNC_FWER", "RINGTRACE_COSYNC_FWER", "0.05",
            "family-wise error rate of synchronised-activity links over every pair of active accounts "
            "(`detection/cosync.py`)", float),
    Setting("FEEDBACK_MIN_OVERLAP", "RINGTRACE_FEEDBACK_MIN_OVERLAP", "0.9",
            "a false-positive decision keeps a later cluster unflagged only when their accounts' Jaccard overlap "
            "is at least this (and nothing is new)", float),
    Setting("GDS_CONCURRENCY", "RINGTRACE_GDS_CONCURRENCY", "1",
            "threads for GDS Louvain; 1 repeats exactly, more is faster but may differ run to run", int),
    Setting("cli_user", "RINGTRACE_USER", None,
            "CLI commands are run as this workbench user, with that user's role (unset: the local operator, "
            "admin)", _optional),
    Setting("os_user", "USER", None, "the local operator's name in the audit log and case history (`cli:$USER`)",
            _optional),
    Setting("os_logname", "LOGNAME", None, "the same when `USER` is unset", _optional),
    Setting("LOGIN_MAX_FAILURES", "RINGTRACE_LOGIN_MAX_FAILURES", "10",
            "failed workbench sign-ins (per user, per client, within 15 min) before a lockout", int),
    Setting("LOGIN_LOCKOUT_S", "RINGTRACE_LOGIN_LOCKOUT", "900", "seconds a sign-in lockout lasts", float),
    Setting("WORKBENCH_MAX_UPLOAD_MB", "RINGTRACE_WORKBENCH_MAX_UPLOAD_MB", "10",
            "largest file the workbench takes (a partner's STIX bundle); Streamlit's `server.maxUploadSize` is "
            "lowered to it, and the gate refuses any upload before sign-in", int),
    Setting("trusted_proxy_header", "RINGTRACE_TRUSTED_PROXY_HEADER", None,
            "the header your reverse proxy puts the client's address in (e.g. `X-Forwarded-For`; its last address "
            "is taken): sign-ins are throttled per that address, and a login is required even when the workbench "
            "listens on loopback (the proxy brings other machines' clients). Set it only when every request comes "
            "through that proxy and the proxy sets the header (else a client can name any address). Unset: the "
            "address Streamlit reports, none for a loopback peer (then sign-ins are throttled per user only)",
            _optional),
    Setting("signing_key", "RINGTRACE_SIGNING_KEY", None, "Ed25519 private key (PEM) that signs bundle manifests",
            _optional),
    Setting("alert_webhook", "RINGTRACE_ALERT_WEBHOOK", None,
            "POST new alerts here as JSON (https, or http to loopback)", _optional),
    Setting("WEBHOOK_TIMEOUT_S", "RINGTRACE_WEBHOOK_TIMEOUT", "5", "seconds each webhook request may take", float),
    Setting("WEBHOOK_RETRIES", "RINGTRACE_WEBHOOK_RETRIES", "3", "attempts per alert", int),
    Setting("webhook_secret", "RINGTRACE_WEBHOOK_SECRET", None,
            "with it, each webhook request is signed (`X-Ringtrace-Signature: sha256=HMAC`)", _optional),
    Setting("taxii_url", "RINGTRACE_TAXII_URL", None, "the TAXII 2.1 API root for `intel publish` and `intel pull`",
            _optional),
    Setting("taxii_collection", "RINGTRACE_TAXII_COLLECTION", "", "the TAXII collection (id or title)"),
    Setting("taxii_user", "RINGTRACE_TAXII_USER", None, "the TAXII user", _optional),
    Setting("taxii_password", "RINGTRACE_TAXII_PASSWORD", None, "the TAXII password", _optional),
    Setting("TAXII_TIMEOUT_S", "RINGTRACE_TAXII_TIMEOUT", "30",
            "seconds each TAXII request may take, from connecting to the answer's last byte", float),
    Setting("TAXII_MAX_PAGES", "RINGTRACE_TAXII_MAX_PAGES", "200",
            "one `intel pull` reads at most this many pages (500 objects each); beyond it the pull is refused "
            "whole and the feed's position kept", int),
    Setting("TAXII_MAX_BYTES", "RINGTRACE_TAXII_MAX_BYTES", str(64 << 20),
            "...and at most this many bytes of answers in all", int, shown="`67108864` (64 MB)"),
    Setting("ORGANISATION", "RINGTRACE_ORGANISATION", "ringtrace",
            "the name published indicators are signed with (a STIX `identity`)"),
    Setting("publish_tlp", "RINGTRACE_TLP", "amber",
            "the Traffic Light Protocol level published indicators carry (`white`, `green`, `amber`, `red`)",
            str.lower),
    Setting("neo4j_uri", "NEO4J_URI", None, "use this server instead of the local one", _optional),
    Setting("neo4j_user", "NEO4J_USER", None, "its user (else `NEO4J_USERNAME`, else `neo4j`)", _optional),
    Setting("neo4j_username", "NEO4J_USERNAME", None, "the same, as Neo4j's own tools name it", _optional),
    Setting("neo4j_password", "NEO4J_PASSWORD", "", "its password"),
    Setting("neo4j_database", "NEO4J_DATABASE", DEFAULT_DATABASE, "its database"),
)
SETTING = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """A setting's value now: its variable when set (and not empty), else its default (None when unset)."""
    setting = SETTING[name]
    text = os.environ.get(setting.variable) or setting.default
    return None if text is None else setting.parse(text)


def described(name: str) -> str:
    """Where a setting's value comes from, for a command's help: `VARIABLE, else DEFAULT`."""
    setting = SETTING[name]
    return f"{setting.variable}, else {setting.default}" if setting.default else f"{setting.variable}, else unset"


def __getattr__(name: str) -> Any:
    """`config.LOAD_BATCH_ROWS` and the other upper-case settings, read when used (PEP 562)."""
    if name in SETTING and name.isupper():
        return get(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def readme_table() -> str:
    """The README's configuration table, from SETTINGS."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        shown = s.shown or ("unset" if s.default is None else f"`{s.default}`" if s.default else "empty")
        rows.append(f"| `{s.variable}` | {shown} | {s.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(readme_table())
