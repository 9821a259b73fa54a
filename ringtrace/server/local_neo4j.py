"""Run a real Neo4j Community 5.26 server, fetched from Maven Central, on 127.0.0.1.

The launcher is Neo4j's own server entry point (`org.neo4j.server.CommunityEntryPoint`)
run by `java` with the jars Maven copied into the ringtrace home; no wrapper code of ours
runs inside the JVM. The initial password is set with Neo4j's admin tool
(`dbms set-initial-password`) before the first start, so the server never accepts the
default credentials.
"""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ringtrace.core import config, processes
from ringtrace.core.errors import RingtraceError
from ringtrace.server import home_lock, journal

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
LIB_COMPLETE_MARKER = ".complete"
PASSWORD_PREFIX = "rt"
GDS_PROCEDURES = "gds.*"
PROCEDURE_ANNOTATIONS = tuple(f"Lorg/neo4j/procedure/{a};".encode()
                              for a in ("Procedure", "UserFunction", "UserAggregationFunction"))
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
# The Maven projects that fetch Neo4j and the GDS plugin (package data of this package).
NEO4J_POM = config.shipped(__package__, "neo4j_server", "pom.xml")
GDS_POM = config.shipped(__package__, "neo4j_server", "gds", "pom.xml")
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+AlwaysPreTouch",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)
POLL_INTERVAL_S = 0.5
PORT_RELEASE_GRACE_S = 10.0
# Lines of Neo4j's console log that name a cause, mapped to an instruction for the user.
KNOWN_FAILURES = (
    (re.compile(r"FileLockException|store is locked|Lock file has been locked", re.I),
     "The database store is locked by another Neo4j process. Stop it "
     "(`ringtrace neo4j stop`, or end the other process), then start again."),
    (re.compile(r"Address already in use|BindException", re.I),
     "The Bolt port is taken by another program. Free it, or choose another port "
     "with RINGTRACE_NEO4J_PORT=<port>."),
    (re.compile(r"No space left on device", re.I),
     "The disk is full. Free space under {home} and start again."),
    (re.compile(r"UnsupportedClassVersionError", re.I),
     "Java is too old for Neo4j 5.26: install Java 17 and set JAVA_HOME to it."),
)


@dataclass(frozen=True)
class LocalStatus:
    running: bool
    pid: int | None
    uri: str
    data_dir: Path
    version: str


# --- prerequisites -----------------------------------------------------------------

def find_java() -> str:
    """Return a `java` executable of a version Neo4j 5.26 supports, or raise with what to do."""
    candidates: list[str] = []
    if config.java_home():
        candidates.append(str(Path(config.java_home()) / "bin" / "java"))
    candidates += [str(p / "bin" / "java") for p in sorted(config.jvm_dir().glob("java-17-*"))]
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    found_versions = []
    for java in candidates:
        if not Path(java).exists():
            continue
        major = java_major_version(java)
        found_versions.append(f"{java} (Java {major})")
        if major is not None and config.REQUIRED_JAVA_MAJOR <= major <= config.MAX_JAVA_MAJOR:
            return java
    if not found_versions:
        raise RingtraceError(
            "Java was not found. Neo4j 5.26 needs Java 17: install it "
            "(Debian: `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME.")
    raise RingtraceError(
        f"No suitable Java: found {', '.join(found_versions)}. Neo4j 5.26 needs Java "
        f"{config.REQUIRED_JAVA_MAJOR} to {config.MAX_JAVA_MAJOR}: install Java 17 and set JAVA_HOME to it.")


def java_major_version(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def fetch_neo4j(paths: config.LocalPaths, quiet: bool = False) -> Path:
    """Copy Neo4j's jars from Maven Central into the ringtrace home (once) and return the folder."""
    marker = paths.lib / LIB_COMPLETE_MARKER
    if marker.exists():
        return paths.lib
    mvn = _maven()
    paths.lib.mkdir(parents=True, exist_ok=True)
    cmd = [mvn, "-B", "-q", "-f", str(NEO4J_POM),
           f"{DEPENDENCY_PLUGIN}:copy-dependencies",
           f"-DoutputDirectory={paths.lib}", f"-Dneo4j.version={config.NEO4J_VERSION}"]
    if not quiet:
        print(f"Fetching Neo4j {config.NEO4J_VERSION} from Maven Central (first start only)...", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise RingtraceError(
            f"Maven could not fetch Neo4j {config.NEO4J_VERSION}:\n{tail}\n"
            "Check that Maven Central is reachable, then run `ringtrace neo4j start` again.")
    marker.write_text(config.NEO4J_VERSION)
    return paths.lib


def _maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise RingtraceError(
            "Maven was not found, and ringtrace fetches Neo4j (and the GDS plugin) with it. Install it "
            "(Debian: `apt-get install maven`), or set NEO4J_URI to use an existing Neo4j server.")
    return mvn


def _resolve(pom: Path, properties: dict[str, str]) -> dict[str, Path]:
    """Every runtime artifact `pom` needs, as group:artifact -> jar in the local Maven repository."""
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "dependencies.txt"
        cmd = [_maven(), "-B", "-q", "-f", str(pom), f"{DEPENDENCY_PLUGIN}:list",
               f"-DoutputFile={listing}", "-DoutputAbsoluteArtifactFilename=true", "-DincludeScope=runtime",
               *(f"-D{k}={v}" for k, v in properties.items())]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
            raise RingtraceError(f"Maven could not resolve {pom}:\n{tail}\n"
                                 "Check that Maven Central is reachable, then run the command again.")
        found: dict[str, Path] = {}
        for line in listing.read_text().splitlines():
            fields = line.strip().split(" -- ")[0].split(":")
            at = next((i for i, f in enumerate(fields) if f.startswith("/")), None)
            if at is not None and len(fields) >= 5:
                found[f"{fields[0]}:{fields[1]}"] = Path(":".join(fields[at:]))
        return found


def gds_installed(paths: config.LocalPaths) -> bool:
    """Whether `install_gds` completed for this GDS version in the local server's plugins folder."""
    return paths.gds_marker.exists()


def install_gds(paths: config.LocalPaths | None = None, quiet: bool = False, force: bool = False) -> int:
    """Put the open GDS library into the local server (once); returns its jar count.

    Libraries the server already ships are left out, so one version of each is on the classpath
    (the server's, as with the packaged plugin). Only the jars that declare procedures or functions go in the
    plugins folder, which the server scans class by class at every start; the rest (about 90 % of them) go
    on the classpath only, which took about 3 s off each start. Takes effect at the next start."""
    paths = paths or config.local_paths()
    if gds_installed(paths) and not force:
        return len(paths.gds_marker.read_text().split())
    fetch_neo4j(paths, quiet=quiet)
    if not quiet:
        print(f"Fetching Graph Data Science {config.GDS_VERSION} from Maven Central...", flush=True)
    server = _resolve(NEO4J_POM, {"neo4j.version": config.NEO4J_VERSION})
    gds = _resolve(GDS_POM, {"gds.version": config.GDS_VERSION})
    for folder in (paths.plugins_dir, paths.gds_lib_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.jar"):
            old.unlink()
    for marker in paths.plugins_dir.glob(".gds-*"):
        marker.unlink()
    copied = []
    for ga, jar in sorted(gds.items()):
        if ga not in server:
            folder = paths.plugins_dir if declares_procedures(jar) else paths.gds_lib_dir
            copied.append(shutil.copy2(jar, folder / f"{ga.split(':')[0]}-{jar.name}"))
    paths.gds_marker.write_text("\n".join(sorted(Path(c).name for c in copied)) + "\n")
    return len(copied)


def _split_old_gds_layout(paths: config.LocalPaths) -> None:
    """A home that install_gds filled before the split (every jar in the plugins folder, marker `.gds-V`):
    move the jars that declare no procedure out of the scanned folder, as install_gds now does."""
    old = paths.plugins_dir / f".gds-{config.GDS_VERSION}"
    if not old.exists() or gds_installed(paths):
        return
    paths.gds_lib_dir.mkdir(parents=True, exist_ok=True)
    for jar in paths.plugins_dir.glob("*.jar"):
        if not declares_procedures(jar):
            jar.replace(paths.gds_lib_dir / jar.name)
    old.replace(paths.gds_marker)


def declares_procedures(jar: Path) -> bool:
    """Whether any class in `jar` carries a procedure or function annotation (named in its constant pool)."""
    with zipfile.ZipFile(jar) as z:
        return any(any(a in z.read(n) for a in PROCEDURE_ANNOTATIONS)
                   for n in z.namelist() if n.endswith(".class"))


# --- password and configuration -----------------------------------------------------

def read_password(paths: config.LocalPaths) -> str | None:
    try:
        return paths.password_file.read_text().strip()
    except FileNotFoundError:
        return None


def generate_password() -> str:
    """A random password that no command-line parser can read as an option (it starts with a letter)."""
    return PASSWORD_PREFIX + secrets.token_urlsafe(config.PASSWORD_BYTES)


def _ensure_password(paths: config.LocalPaths, java: str) -> str:
    """Generate the password at first start, store it user-only, and set it in the store.

    The admin tool gets it through an argument file (`@file`, mode 0600, removed after), never on
    a command line that `ps` shows, and after `--`, so nothing in it is read as an option."""
    password = read_password(paths)
    store_is_new = not (paths.data_dir / "databases").exists()
    if password is None or (store_is_new and password.startswith("-")):
        password = generate_password()
        paths.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(paths.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
    os.chmod(paths.password_file, 0o600)
    if store_is_new:
        env = dict(os.environ, NEO4J_HOME=str(paths.server_home), NEO4J_CONF=str(paths.conf_dir))
        with tempfile.TemporaryDirectory(dir=paths.root) as tmp:
            args = Path(tmp) / "admin-args"
            fd = os.open(args, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write("\n".join(["dbms", "set-initial-password", "--", password]) + "\n")
            proc = subprocess.run([java, "-cp", f"{paths.lib}/*", ADMIN_TOOL, f"@{args}"],
                                  capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RingtraceError(f"Could not set the Neo4j password: {proc.stderr.strip()[-500:]}")
    return password


def _write_conf(paths: config.LocalPaths, port: int) -> None:
    for d in (paths.conf_dir, paths.data_dir, paths.logs_dir, paths.run_dir):
        d.mkdir(parents=True, exist_ok=True)
    settings = {
        "server.default_listen_address": "127.0.0.1",
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"127.0.0.1:{port}",
        "server.bolt.advertised_address": f"127.0.0.1:{port}",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "dbms.security.allow_csv_import_from_file_urls": "false",
        "server.directories.data": str(paths.data_dir),
        "server.directories.logs": str(paths.logs_dir),
        "server.directories.run": str(paths.run_dir),
        "server.directories.plugins": str(paths.plugins_dir),
        "server.directories.import": str(paths.server_home / "import"),
        "server.memory.pagecache.size": config.NEO4J_PAGECACHE,
        "dbms.usage_report.enabled": "false",
        "db.tx_log.rotation.retention_policy": "2 days 2G",
        # Bolt's event loops wait 5 s each for a quiet period after the databases have stopped: 10 s of every
        # stop, and the bulk path stops the server for each import.
        "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
    }
    if gds_installed(paths):
        settings["dbms.security.procedures.unrestricted"] = GDS_PROCEDURES
    if config.NEO4J_TX_MEMORY_MAX:
        settings["db.memory.transaction.max"] = config.NEO4J_TX_MEMORY_MAX
    paths.plugins_dir.mkdir(parents=True, exist_ok=True)
    text = "# Written by ringtrace at each start; edit ringtrace/core/config.py instead.\n"
    text += "".join(f"{k}={v}\n" for k, v in settings.items())
    (paths.conf_dir / "neo4j.conf").write_text(text)


# --- process control ------------------------------------------------------------------

def _read_pid(paths: config.LocalPaths) -> int | None:
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not processes.pid_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if ENTRY_POINT.encode() in cmdline else None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_port_free(port: int) -> bool:
    """True once the port is free; a server that just died may hold it for a moment."""
    deadline = time.monotonic() + PORT_RELEASE_GRACE_S
    while not _port_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_INTERVAL_S)
    return True


def _running_port(paths: config.LocalPaths) -> int:
    try:
        return int(paths.port_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return config.bolt_port()


def ringtrace_home_on_port(port: int) -> Path | None:
    """The home of a running ringtrace Neo4j (any home) that listens on `port`, if there is one."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if ENTRY_POINT.encode() not in args:
            continue
        home_dir = next((a.decode().split("=", 1)[1] for a in args if a.startswith(b"--home-dir=")), None)
        if home_dir is None:
            continue
        server_home = Path(home_dir)
        try:
            if int((server_home / "run" / "bolt-port").read_text().strip()) == port:
                return server_home.parent.parent  # <home>/neo4j/server
        except (OSError, ValueError):
            continue
    return None


def local_uri(paths: config.LocalPaths | None = None) -> str:
    paths = paths or config.local_paths()
    return f"bolt://127.0.0.1:{_running_port(paths)}"


def _bolt_answers(uri: str, password: str) -> bool:
    # deferred: the neo4j driver adds 0.47 s to importing this module, which `neo4j stop` and `neo4j env` need alone
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired

    try:
        with GraphDatabase.driver(uri, auth=(config.NEO4J_USER_LOCAL, password),
                                  connection_timeout=2) as driver:
            driver.verify_connectivity()
            driver.execute_query("RETURN 1", database_=config.DEFAULT_DATABASE)
        return True
    except (ServiceUnavailable, SessionExpired, OSError):
        return False
    except AuthError as exc:
        raise RingtraceError(
            f"The local Neo4j refused ringtrace's password ({exc.message}). The password file "
            f"{config.local_paths().password_file} does not match the store: stop the server, "
            "remove the data folder to start afresh, or restore the file.") from exc
    except Exception as exc:  # the database may still be starting (DatabaseUnavailable etc.)
        if "unavailable" in str(exc).lower() or "not available" in str(exc).lower():
            return False
        raise


def _diagnose(paths: config.LocalPaths) -> str:
    text = ""
    for log in (paths.console_log, paths.logs_dir / "neo4j.log", paths.logs_dir / "debug.log"):
        if log.exists():
            text += log.read_text(errors="replace")[-20000:]
    for pattern, advice in KNOWN_FAILURES:
        if pattern.search(text):
            return advice.format(home=paths.root)
    tail = "\n".join(text.strip().splitlines()[-8:])
    return f"See {paths.console_log} for details. Last lines:\n{tail}"


def start(port: int | None = None, quiet: bool = False) -> LocalStatus:
    """Start the local server (a no-op when it already runs) and return once Bolt answers; under the home's
    lock (ringtrace/server/home_lock.py), as `stop` and `ringtrace load` are."""
    if _read_pid(config.local_paths()) is not None:  # already running: nothing to change, nothing to wait for
        return status()
    with home_lock.hold("ringtrace neo4j start"):
        return _start(port, quiet)


def _start(port: int | None, quiet: bool) -> LocalStatus:
    paths = config.local_paths()
    existing = _read_pid(paths)
    if existing is not None:
        return status()
    port = port or config.bolt_port()
    java = find_java()
    paths.root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(paths.root).free
    if free < config.MIN_FREE_DISK_BYTES:
        raise RingtraceError(
            f"Only {free >> 20} MB free under {paths.root}; Neo4j needs at least "
            f"{config.MIN_FREE_DISK_BYTES >> 20} MB. Free some disk space or set RINGTRACE_HOME elsewhere.")
    if not _wait_port_free(port):
        other = ringtrace_home_on_port(port)
        if other is not None:
            raise RingtraceError(
                f"Port {port} is held by another ringtrace Neo4j, whose home is {other} (this command's home is "
                f"{paths.root}). Use that server with RINGTRACE_HOME={other}, stop it with "
                f"`RINGTRACE_HOME={other} ringtrace neo4j stop`, or start this one on another port: "
                "RINGTRACE_NEO4J_PORT=<port> ringtrace neo4j start.")
        raise RingtraceError(
            f"Port {port} on 127.0.0.1 is already taken by another program. Stop that program, "
            f"or start on another port: RINGTRACE_NEO4J_PORT=<port> ringtrace neo4j start.")
    journal.finish_interrupted_import(paths)
    fetch_neo4j(paths, quiet=quiet)
    _split_old_gds_layout(paths)
    _write_conf(paths, port)
    password = _ensure_password(paths, java)
    cmd = [java, f"-Xms{config.NEO4J_HEAP}", f"-Xmx{config.NEO4J_HEAP}", *JVM_FLAGS,
           "-cp", f"{paths.plugins_dir}/*:{paths.gds_lib_dir}/*:{paths.lib}/*", ENTRY_POINT,
           f"--home-dir={paths.server_home}", f"--config-dir={paths.conf_dir}"]
    with open(paths.console_log, "ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=paths.server_home)
    paths.pid_file.write_text(str(proc.pid))
    paths.port_file.write_text(str(port))
    uri = f"bolt://127.0.0.1:{port}"
    deadline = time.monotonic() + config.START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            paths.pid_file.unlink(missing_ok=True)
            raise RingtraceError(f"Neo4j exited during start (code {proc.returncode}). {_diagnose(paths)}")
        if _bolt_answers(uri, password):
            return status()
        time.sleep(POLL_INTERVAL_S)
    stop()
    raise RingtraceError(
        f"Neo4j did not answer on {uri} within {config.START_TIMEOUT_S:.0f} s. {_diagnose(paths)} "
        "Raise RINGTRACE_NEO4J_START_TIMEOUT on a slow machine.")


def stop() -> bool:
    """Shut the local server down cleanly (SIGTERM, then wait); return whether one was running."""
    with home_lock.hold("ringtrace neo4j stop"):
        return _stop()


def _stop() -> bool:
    paths = config.local_paths()
    pid = _read_pid(paths)
    if pid is None:
        paths.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + config.STOP_TIMEOUT_S
    while time.monotonic() < deadline and processes.pid_alive(pid):
        _reap(pid)
        time.sleep(POLL_INTERVAL_S)
    if processes.pid_alive(pid):
        os.kill(pid, signal.SIGKILL)  # last resort; Neo4j recovers from its log at next start
    _reap(pid)
    paths.pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def status() -> LocalStatus:
    """Whether the local server runs, where its data lives, and its version."""
    paths = config.local_paths()
    pid = _read_pid(paths)
    version = config.NEO4J_VERSION
    uri = local_uri(paths)
    if pid is not None:
        password = read_password(paths)
        try:
            from neo4j import GraphDatabase  # deferred: the neo4j driver, 0.47 s (see _bolt_answers)

            with GraphDatabase.driver(uri, auth=(config.NEO4J_USER_LOCAL, password)) as driver:
                records, _, _ = driver.execute_query(
                    "CALL dbms.components() YIELD versions RETURN versions[0] AS v",
                    database_=config.DEFAULT_DATABASE)
                version = records[0]["v"]
        except Exception:  # status must answer even while the server is still starting
            pass
    return LocalStatus(running=pid is not None, pid=pid, uri=uri, data_dir=paths.data_dir, version=version)


def env_lines() -> list[str]:
    """Shell `export` lines that point other tools at the local server."""
    paths = config.local_paths()
    password = read_password(paths)
    if password is None:
        raise RingtraceError("The local Neo4j has not been started yet: run `ringtrace neo4j start` first.")
    return [f"export NEO4J_URI={local_uri(paths)}",
            f"export NEO4J_USER={config.NEO4J_USER_LOCAL}",
            f"export NEO4J_PASSWORD={password}",
            f"export NEO4J_DATABASE={config.DEFAULT_DATABASE}"]


# --- is a named server this home's own? ---------------------------------------------

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
PLAIN_SCHEMES = ("bolt", "neo4j")  # the local server speaks Bolt without TLS


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def not_own_server(settings: config.ServerSettings) -> str | None:
    """Why the server `settings` name (NEO4J_URI...) is not this home's local server, or None when it is: a
    loopback host, the port the home's running server listens on, its user and password (the home's password
    file) and its database. `ringtrace neo4j env` prints exactly such settings."""
    paths = config.local_paths()
    try:
        parts = urlsplit(settings.uri)
        host, port = parts.hostname or "", parts.port or config.DEFAULT_BOLT_PORT
    except ValueError:
        return f"{settings.uri} is not a URI ringtrace can read"
    if parts.scheme not in PLAIN_SCHEMES:
        return f"its scheme {parts.scheme}:// is not the local server's (bolt:// on loopback, no TLS)"
    if not _loopback(host):
        return f"{host} is not a loopback address"
    if _read_pid(paths) is None:
        other = ringtrace_home_on_port(port)
        if other is not None:
            return (f"port {port} is the local server of the ringtrace home {other}, not of this command's home "
                    f"{paths.root} (set RINGTRACE_HOME={other})")
        return f"the local server of this home ({paths.root}) is not running"
    own_port = _running_port(paths)
    if port != own_port:
        other = ringtrace_home_on_port(port)
        where = f" (it is the local server of the ringtrace home {other}: set RINGTRACE_HOME={other})" if other else ""
        return f"port {port} is not the port this home's local server listens on ({own_port}){where}"
    password = read_password(paths)
    if settings.user != config.NEO4J_USER_LOCAL or password is None or not secrets.compare_digest(
            settings.password.encode(), password.encode()):
        return f"NEO4J_USER / NEO4J_PASSWORD are not those of this home's local server ({paths.password_file})"
    if settings.database != config.DEFAULT_DATABASE:
        return f"database {settings.database} is not the local server's {config.DEFAULT_DATABASE}"
    return None
