"""The project-run Neo4j: idempotent start, durable data, auth, loopback, clear errors."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from ringtrace.core import config, processes
from ringtrace.server import local_neo4j

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")),
                                reason="exercises the project-run local server")


def _count_marker(graph, tag: str) -> int:
    return graph.read("MATCH (m:DurabilityMarker {tag: $tag}) RETURN count(m) AS c", {"tag": tag})[0]["c"]


def test_start_twice_is_harmless(neo4j_server):
    first = local_neo4j.start(quiet=True)
    second = local_neo4j.start(quiet=True)
    assert first.running and second.running
    assert first.pid == second.pid
    assert second.version.startswith("5.26")


def test_stop_then_start_keeps_data(graph):
    graph.write("CREATE (:DurabilityMarker {tag: 'stop-start'})")
    graph.close()
    assert local_neo4j.stop() is True
    assert not local_neo4j.status().running
    local_neo4j.start(quiet=True)
    from graph.db import connect

    with connect() as g:
        assert _count_marker(g, "stop-start") == 1


def test_sigkill_restart_keeps_data(graph):
    graph.write("CREATE (:DurabilityMarker {tag: 'sigkill'})")
    graph.close()
    pid = local_neo4j.status().pid
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        if not processes.pid_alive(pid):
            break
        local_neo4j._reap(pid)
        time.sleep(0.1)
    assert not local_neo4j.status().running
    local_neo4j.start(quiet=True)
    from graph.db import connect

    with connect() as g:
        assert _count_marker(g, "sigkill") == 1


def test_password_required(neo4j_server):
    uri = local_neo4j.local_uri()
    with pytest.raises(AuthError):
        with GraphDatabase.driver(uri, auth=("neo4j", "neo4j")) as d:
            d.verify_connectivity()
    with pytest.raises(AuthError):
        with GraphDatabase.driver(uri, auth=("neo4j", "wrong-password")) as d:
            d.verify_connectivity()
    with pytest.raises((AuthError, ServiceUnavailable)):
        with GraphDatabase.driver(uri) as d:
            d.verify_connectivity()
    pw_file = config.local_paths().password_file
    assert pw_file.stat().st_mode & 0o077 == 0, "password file must be readable by its owner only"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on `port`, read from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            addr, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.add(addr)
    return found


def test_listens_on_loopback_only(neo4j_server):
    port = int(local_neo4j.local_uri().rsplit(":", 1)[1])
    addrs = _listening_addresses(port)
    assert addrs, "nothing listens on the Bolt port"
    loopback = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}
    assert addrs <= loopback, f"listening beyond loopback: {addrs}"
    # and a connection to a non-loopback address of this machine is refused
    for ip in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split():
        if ":" in ip:
            continue
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((ip, port)) != 0, f"Bolt answered on {ip}"


def _run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ringtrace.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def _env_without(tmp_path: Path, drop_tools: tuple[str, ...]) -> dict[str, str]:
    """An environment whose PATH holds python and the usual tools, minus `drop_tools`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("java", "mvn", "hostname"):
        real = shutil.which(tool)
        if real and tool not in drop_tools:
            (bin_dir / tool).symlink_to(real)
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "NEO4J_URI")}
    env["PATH"] = f"{Path(sys.executable).parent}:{bin_dir}"
    env["RINGTRACE_HOME"] = str(tmp_path / "home")
    return env


def test_missing_java_is_an_instruction(tmp_path):
    env = _env_without(tmp_path, ("java",))
    env["RINGTRACE_JVM_DIR"] = str(tmp_path / "no-jvms")
    proc = _run_cli(["neo4j", "start", "--port", "7699"], env)
    assert proc.returncode == 1
    assert "Java was not found" in proc.stderr and "install" in proc.stderr.lower()
    assert "Traceback" not in proc.stderr


def test_missing_maven_is_an_instruction(tmp_path):
    env = _env_without(tmp_path, ("mvn",))
    proc = _run_cli(["neo4j", "start", "--port", "7699"], env)
    assert proc.returncode == 1, proc.stderr
    assert "Maven was not found" in proc.stderr and "NEO4J_URI" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_port_taken_is_an_instruction(tmp_path):
    env = _env_without(tmp_path, ())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = _run_cli(["neo4j", "start", "--port", str(port)], env)
    assert proc.returncode == 1
    assert f"Port {port}" in proc.stderr and "RINGTRACE_NEO4J_PORT" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_external_uri_is_used_and_no_local_server_started(neo4j_server, tmp_path):
    lines = local_neo4j.env_lines()
    env = {k: v for k, v in os.environ.items()}
    for line in lines:
        key, value = line.removeprefix("export ").split("=", 1)
        env[key] = value.replace("bolt://", "neo4j://")  # the routing scheme clusters and Aura use
    env["RINGTRACE_HOME"] = str(tmp_path / "other-home")  # a home with no local server at all
    proc = _run_cli(["neo4j", "status"], env)
    assert proc.returncode == 0, proc.stderr
    assert "external Neo4j" in proc.stdout and "5.26" in proc.stdout
    proc = _run_cli(["query", "load_runs", "--format", "json"], env)  # a data command over neo4j://
    assert proc.returncode == 0, proc.stderr
    assert '"columns"' in proc.stdout
    proc = _run_cli(["neo4j", "start"], env)
    assert proc.returncode == 1 and "does not start" in proc.stderr
    home = tmp_path / "other-home"
    assert not (home / "neo4j").exists() and not (home / "neo4j-password").exists(), \
        "a local server was prepared despite NEO4J_URI"
