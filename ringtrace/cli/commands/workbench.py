"""`ringtrace app` and `ringtrace user`: the Streamlit workbench and its users."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import ROLES, cli_actor


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback requires a login.")
@click.option("--port", type=int, default=8501, show_default=True)
def app(host: str, port: int) -> None:
    """Open the Streamlit workbench."""
    friendly_errors(_app)(host, port)


def _app(host: str, port: int) -> None:
    # deferred: workbench.auth adds 0.24 s to every CLI start (bcrypt hashes its dummy password at import)
    from workbench import auth

    if auth.login_required(host) and not auth.users_file().exists():
        raise RingtraceError(f"Listening on {host} needs a login, and there are no users yet: create one with "
                             "`ringtrace user add NAME --role investigator`.")
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "streamlit", "run", str(config.workbench_server()),
           "--server.address", host, "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--client.showErrorDetails", "false",
           "--server.maxUploadSize", str(config.WORKBENCH_MAX_UPLOAD_MB),
           # no source watching and no full garbage collection after every page run: both cost seconds
           "--server.fileWatcherType", "none", "--runner.postScriptGC", "false", "--client.toolbarMode", "minimal"]
    click.echo(f"Workbench on http://{host}:{port} (Ctrl-C to stop)")
    raise SystemExit(run_forwarding_signals(cmd, env))


def run_forwarding_signals(cmd: list[str], env: dict[str, str]) -> int:
    """Run a child until it ends; SIGTERM, SIGINT and SIGHUP sent to us are passed on to it."""
    child = subprocess.Popen(cmd, env=env)

    def forward(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        while True:
            try:
                return child.wait(timeout=config.CHILD_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=config.CHILD_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill()


@click.group()
def user() -> None:
    """Workbench users (needed when the workbench listens beyond loopback)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.password_option(help="Asked for when not given.")
def user_add(name: str, role: str, password: str) -> None:
    """Add or update a user (bcrypt hash in the ringtrace home; admins only, audited)."""
    friendly_errors(_user_add)(name, password, role)


def _user_add(name: str, password: str, role: str) -> None:
    # deferred: workbench.auth adds 0.24 s to every CLI start (bcrypt hashes its dummy password at import)
    from workbench import auth

    auth.manage_user(cli_actor(), name, password, role)
    click.echo(f"User {name} ({role}) saved in {auth.users_file()}")
