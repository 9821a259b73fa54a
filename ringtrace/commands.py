"""Subcommands built on the loaders, detection, tracing, queries and the workbench."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ringtrace import config, safecsv
from ringtrace.errors import RingtraceError

SAMPLE_DIR = config.PROJECT_ROOT / "sample_data" / "small"


def cli_user() -> str:
    """Who runs a CLI command, for the audit log."""
    return f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or 'unknown'}"


def register(main: click.Group) -> None:
    """Attach the built subcommands to the `ringtrace` group."""
    for command in (demo, load, sample, detect, trace, query, export, verify, app, user, requests):
        main.add_command(command)


def _friendly(fn):
    from ringtrace.cli import friendly_errors

    return friendly_errors(fn)


def print_load_summary(summary) -> None:
    from ringtrace.terminal import console as make_console
    from ringtrace.terminal import escape, print_table

    console = make_console()
    rows = [(t.table, t.file, f"{t.read:,}", f"{t.loaded:,}", f"{t.rejected:,}", f"{t.seconds:.1f}")
            for t in summary.tables]
    rows.append(("total", "", f"{summary.read:,}", f"{summary.loaded:,}", f"{summary.rejected:,}", ""))
    print_table(console, f"Load {summary.run_id}", ("table", "file", "read", "loaded", "rejected", "seconds"), rows,
                id_columns=("table", "file"))
    for t in summary.failed_files:
        console.print(f"[red]Error:[/red] {escape(t.error)}")
    for name, why in summary.ignored_files:
        console.print(escape(f"Ignored {name}: {why}"))
    if summary.rejected:
        console.print(escape(f"{summary.rejected:,} rejected rows, each with its reason, in {summary.rejects_file}"))


@click.command()
@click.argument("dataset", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the rejects CSV (default: under the ringtrace home).")
@click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
def load(dataset: Path, rejects: Path | None, no_progress: bool) -> None:
    """Load a dataset directory (see shared data contract) into Neo4j."""
    _friendly(_load)(dataset, rejects, not no_progress)


def _load(dataset: Path, rejects: Path | None, progress: bool) -> None:
    from graph.db import connect
    from loaders.load import load_dataset

    with connect() as g:
        summary = load_dataset(g, dataset, rejects, progress=progress)
    print_load_summary(summary)
    if summary.failed_files:
        raise SystemExit(1)


@click.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--accounts", type=int, default=5000, show_default=True, help="Number of accounts.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--no-truth", is_flag=True, help="Leave out the truth table.")
@click.option("--scenario", type=click.Choice(["campaigns", "marketplace"]), default="campaigns", show_default=True,
              help="campaigns: distillation campaigns through proxy services (the sample); marketplace: rings of "
                   "2-10 accounts sharing devices, phones, addresses and bank accounts, no request log.")
def sample(out: Path, accounts: int, seed: int, no_truth: bool, scenario: str) -> None:
    """Write a synthetic dataset (fictional organisations and people only)."""
    from ringtrace.errors import RingtraceError
    from ringtrace.synthetic import generate

    try:
        counts = generate(out, accounts, seed, truth=not no_truth, scenario=scenario)
    except ValueError as exc:
        raise RingtraceError(str(exc)) from exc
    click.echo(", ".join(f"{k}: {v:,}" for k, v in counts.items()))


@click.command()
@click.option("--no-app", is_flag=True, help="Stop after detection; do not open the workbench.")
def demo(no_app: bool) -> None:
    """Start the local Neo4j, load the sample, detect, trace, open the workbench."""
    from ringtrace.cli import friendly_errors

    friendly_errors(_demo)(no_app)


SAMPLE_LOADED = """
MATCH (l:LoadRun {dataset: $dataset}) WHERE l.status = 'completed' RETURN count(l) AS n
"""


def _demo(no_app: bool) -> None:
    from detection.run import DetectionParams, write_results
    from detection.run import detect as run_detection
    from graph.db import connect
    from loaders.load import load_dataset
    from tracing.report import trace_all, write_csv

    if not config.external_server():
        from ringtrace import local_neo4j

        st = local_neo4j.start()
        click.echo(f"Neo4j {st.version} running at {st.uri}")
    results = config.home() / "results"
    with connect() as g:
        if g.read(SAMPLE_LOADED, {"dataset": str(SAMPLE_DIR.resolve())})[0]["n"] == 0:
            print_load_summary(load_dataset(g, SAMPLE_DIR))
        else:
            click.echo(f"Sample already loaded from {SAMPLE_DIR}.")
        result = run_detection(g, DetectionParams())
        write_results(result, results)
        click.echo(f"Detection {result.run_id}: {len(result.flagged)} flagged of {len(result.clusters)} clusters")
        from ringtrace.terminal import console as make_console

        traced = trace_all(g, result.run_id, make_console())
        write_csv(traced, results)
    click.echo(f"Results in {results}")
    if not no_app:
        _app("127.0.0.1", 8501)




@click.command()
@click.option("--resolution", type=float, default=1.0, show_default=True,
              help="Louvain resolution (higher: smaller clusters); python engine only.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed (same input and seed: same clusters); python engine only, GDS Louvain has none.")
@click.option("--engine", type=click.Choice(config.DETECTION_ENGINES), default=config.DETECTION_ENGINES[0],
              show_default=True,
              help="python: python-louvain here; gds: Louvain inside Neo4j with Graph Data Science "
                   "(`ringtrace neo4j install-gds` for the local server).")
@click.option("--min-size", type=int, default=config.DETECT_MIN_GROUP, show_default=True,
              help="Smallest group reported as a cluster.")
@click.option("--flag-threshold", type=float, default=config.DETECT_FLAG_THRESHOLD, show_default=True,
              help="Score at or above which a cluster is flagged.")
@click.option("--top-k", type=int, default=config.DETECT_TOP_K, show_default=True,
              help="Strongest links kept per account in the projection.")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write flagged_accounts.csv and clusters.csv here.")
@click.option("--no-progress", is_flag=True)
def detect(resolution: float, seed: int, engine: str, min_size: int, flag_threshold: float, top_k: int,
           results: Path | None, no_progress: bool) -> None:
    """Find coordinated account clusters, score them with reasons, save the run in Neo4j."""
    _friendly(_detect)(resolution, seed, engine, results, not no_progress,
                       {"min_group": min_size, "flag_threshold": flag_threshold, "top_k": top_k})


def _detect(resolution: float, seed: int, engine: str, results: Path | None, progress: bool,
            thresholds: dict | None = None) -> None:
    from detection.run import DetectionParams, write_results
    from detection.run import detect as run_detection
    from graph.cluster_ids import short_cluster_id
    from graph.db import connect
    from ringtrace.terminal import console as make_console
    from ringtrace.terminal import escape, print_table

    with connect() as g:
        result = run_detection(g, DetectionParams(resolution=resolution, seed=seed, **(thresholds or {})),
                               engine, progress)
    console = make_console()
    print_table(console, f"Detection {result.run_id}: {len(result.flagged)} flagged of {len(result.clusters)} clusters",
                ("cluster", "size", "score", "top reasons"),
                [(short_cluster_id(cid), f"{len(c.members):,}", f"{c.score:.1f}", "; ".join(c.reasons[:3]))
                 for cid, c in result.flagged], id_columns=("cluster",))
    console.print(escape("Timings (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items())))
    console.print(escape(f"Cluster ids: the short form ({short_cluster_id(result.cluster_ids[0]) if result.cluster_ids else 'c0001'}) "
                         f"names a cluster of the latest run in every command; the full form is {result.run_id}-cNNNN."))
    if results:
        f, c = write_results(result, results)
        console.print(escape(f"Wrote {f} and {c}"))


@click.command()
@click.option("--cluster", "cluster_id", default=None, help="Trace one cluster and print the ranking.")
@click.option("--all", "all_flagged", is_flag=True, help="Trace every flagged cluster of the run.")
@click.option("--run", "run_id", default=None, help="Detection run (default: the latest).")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --all: write attribution.csv here.")
def trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    """Trace flagged clusters back to organisations and people, with evidence."""
    _friendly(_trace)(cluster_id, all_flagged, run_id, results)


def _trace(cluster_id: str | None, all_flagged: bool, run_id: str | None, results: Path | None) -> None:
    from graph.cluster_ids import resolve_cluster_id
    from graph.db import connect
    from ringtrace.errors import RingtraceError
    from ringtrace.terminal import console as make_console
    from ringtrace.terminal import escape
    from tracing import attribution, report

    if bool(cluster_id) == bool(all_flagged):
        raise RingtraceError("Give either --cluster ID or --all.")
    console = make_console()
    with connect() as g:
        if cluster_id:
            result = attribution.trace_cluster(g, resolve_cluster_id(g, cluster_id))
            attribution.save(g, result)
            report.print_attribution(console, result)
            return
        from detection.run import latest_run

        if run_id is None:
            latest = latest_run(g)
            if latest is None:
                raise RingtraceError("No detection run yet: run `ringtrace detect` first.")
            run_id = latest["run_id"]
        results_all = report.trace_all(g, run_id, console)
    if results:
        path = report.write_csv(results_all, results)
        console.print(escape(f"Wrote {path}"))


class _QueryGroup(click.Group):
    """`ringtrace query NAME ...` runs a saved query; `list` and `save` are subcommands."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)


QUERY_RUN_HELP = f"""\b
Running a saved query: ringtrace query NAME [OPTIONS]
  -p, --param KEY=VALUE          a parameter of the query (repeat); `ringtrace query list` shows them;
                                 a cluster takes its full or short id (c0001)
  --format [table|csv|json]      output format (default: table)
  --timeout SECONDS              stop the query after this long (default: {config.QUERY_TIMEOUT_S:g})
  --row-cap N                    at most N rows (default: {config.QUERY_ROW_CAP})
"""


@click.group(cls=_QueryGroup, epilog=QUERY_RUN_HELP)
def query() -> None:
    """Run saved read-only Cypher queries: `ringtrace query NAME --param k=v`, `list`, `save FILE`."""


def _print_result(result, fmt: str) -> None:
    import json
    import sys

    from ringtrace.terminal import console as make_console
    from ringtrace.terminal import print_table

    if fmt == "json":
        click.echo(json.dumps({"columns": result.columns, "rows": result.rows, "truncated": result.truncated},
                              default=str, indent=1))
    elif fmt == "csv":
        w = safecsv.DictWriter(sys.stdout, fieldnames=result.columns)
        w.writeheader()
        for r in result.rows:
            w.writerow({k: v if isinstance(v, (str, int, float)) or v is None else json.dumps(v, default=str)
                        for k, v in r.items()})
    else:
        ids = [c for c in result.columns if c.endswith("_id") or c in ("id", "ip", "domain")]
        print_table(make_console(), None, result.columns, [[r[c] for c in result.columns] for r in result.rows],
                    id_columns=ids)
    if result.truncated:
        click.secho(f"Showing the first {result.row_cap:,} rows (row cap); raise --row-cap for more.",
                    fg="yellow", err=True)


@query.command("run", hidden=True)
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, help="key=value (repeat).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--timeout", type=float, default=config.QUERY_TIMEOUT_S, show_default=True, help="Seconds.")
@click.option("--row-cap", type=int, default=config.QUERY_ROW_CAP, show_default=True)
def query_run(name: str, params: tuple[str, ...], fmt: str, timeout: float, row_cap: int) -> None:
    """Run saved query NAME."""
    _friendly(_query_run)(name, params, fmt, timeout, row_cap)


def _query_run(name: str, params: tuple[str, ...], fmt: str, timeout: float, row_cap: int) -> None:
    from graph.db import connect
    from queries.guard import QueryRefused
    from queries.runner import run_saved
    from ringtrace import audit
    from ringtrace.errors import RingtraceError

    raw = {}
    for p in params:
        if "=" not in p:
            raise RingtraceError(f"--param {p!r} must look like key=value.")
        k, v = p.split("=", 1)
        raw[k.strip()] = v
    details = {"name": name, "params": raw}
    with connect() as g:
        try:
            result = run_saved(g, name, raw, timeout, row_cap)
        except QueryRefused as exc:
            audit.record(cli_user(), "query_refused", {**details, "reason": str(exc)})
            raise
        except RingtraceError as exc:
            audit.record(cli_user(), "query_failed", {**details, "error": str(exc)})
            raise
    audit.record(cli_user(), "query", {**details, "rows": len(result.rows)})
    _print_result(result, fmt)


@query.command("list")
def query_list() -> None:
    """List the shipped and saved queries with their parameters."""
    from queries.library import load_library

    for q in load_library().values():
        params = ", ".join(f"{p.name}:{p.type}={p.default!r}" for p in q.params)
        origin = "shipped" if q.shipped else "saved"
        click.echo(f"{q.name} [{origin}] {q.title}\n    params: {params or 'none'}; tags: {', '.join(q.tags)}")


@query.command("save")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def query_save(file: Path) -> None:
    """Validate a .cypher file (header + read-only checks) and add it to your library."""
    _friendly(_query_save)(file)


def _query_save(file: Path) -> None:
    from graph.db import connect
    from queries.guard import QueryRefused
    from queries.runner import save_user_query
    from ringtrace import audit

    with connect() as g:
        try:
            q = save_user_query(g, file.read_text())
        except (QueryRefused, RingtraceError) as exc:
            audit.record(cli_user(), "save_query_refused", {"file": str(file), "reason": str(exc)})
            raise
    audit.record(cli_user(), "save_query", {"name": q.name, "file": str(file), "path": str(q.path)})
    click.echo(f"Saved {q.name} to {q.path}")


@click.command()
@click.option("--cluster", "cluster_id", required=True, help="The cluster to export.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="FILE.zip")
@click.option("--redact", is_flag=True, help="Mask emails, names and card digits for sharing outside the team.")
@click.option("--analyst", default=None, help="Who exports (default: $USER).")
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=lambda: os.environ.get("RINGTRACE_SIGNING_KEY") or None,
              help="Ed25519 private key (PEM) to sign the manifest (or RINGTRACE_SIGNING_KEY).")
def export(cluster_id: str, out: Path, redact: bool, analyst: str | None, signing_key: Path | None) -> None:
    """Export a verifiable evidence bundle (ZIP) for a cluster."""
    _friendly(_export)(cluster_id, out, redact, analyst or os.environ.get("USER", "analyst"), signing_key)


def _export(cluster_id: str, out: Path, redact: bool, analyst: str, signing_key: Path | None) -> None:
    from bundles.export import export_cluster
    from graph.cluster_ids import resolve_cluster_id
    from graph.db import connect
    from ringtrace import audit

    with connect() as g:
        cluster_id = resolve_cluster_id(g, cluster_id)
        manifest = export_cluster(g, cluster_id, out, analyst, redact, signing_key)
    audit.record(analyst, "export", {"cluster_id": cluster_id, "out": str(out), "redacted": redact,
                                     "bundle_id": manifest["bundle_id"]})
    click.echo(f"Wrote {out}: {len(manifest['files'])} files, bundle {manifest['bundle_id']}, "
               f"manifest sha256 {manifest['manifest_sha256']}")


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The sender's Ed25519 public key (PEM) to check the signature against.")
def verify(bundle: Path, public_key: Path | None) -> None:
    """Verify an evidence bundle: exit 0 when intact, 1 naming each changed, added or missing file."""
    from bundles.manifest import verify as verify_bundle

    result = verify_bundle(bundle, public_key)
    click.echo(result.summary())
    raise SystemExit(0 if result.ok else 1)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback requires a login.")
@click.option("--port", type=int, default=8501, show_default=True)
def app(host: str, port: int) -> None:
    """Open the Streamlit workbench."""
    _friendly(_app)(host, port)


def _app(host: str, port: int) -> None:
    import sys

    from ringtrace.errors import RingtraceError
    from workbench import auth

    if auth.login_required(host) and not auth.users_file().exists():
        raise RingtraceError(f"Listening on {host} needs a login, and there are no users yet: create one with "
                             "`ringtrace user add NAME --role investigator`.")
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "streamlit", "run", str(config.PROJECT_ROOT / "app.py"),
           "--server.address", host, "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--client.showErrorDetails", "false",
           # no source watching and no full garbage collection after every page run: both cost seconds
           "--server.fileWatcherType", "none", "--runner.postScriptGC", "false", "--client.toolbarMode", "minimal"]
    click.echo(f"Workbench on http://{host}:{port} (Ctrl-C to stop)")
    raise SystemExit(run_forwarding_signals(cmd, env))


def run_forwarding_signals(cmd: list[str], env: dict[str, str]) -> int:
    """Run a child until it ends; SIGTERM, SIGINT and SIGHUP sent to us are passed on to it."""
    import signal
    import subprocess

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
@click.option("--role", type=click.Choice(["viewer", "investigator", "admin"]), required=True)
@click.password_option(help="Asked for when not given.")
def user_add(name: str, role: str, password: str) -> None:
    """Add or update a user (bcrypt hash in the ringtrace home)."""
    from workbench import auth

    _friendly(auth.add_user)(name, password, role)
    click.echo(f"User {name} ({role}) saved in {auth.users_file()}")


@click.command()
@click.argument("account_ids", nargs=-1, required=True)
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def requests(account_ids: tuple[str, ...], limit: int, fmt: str) -> None:
    """The individual requests of accounts, newest first, from the request-log store."""
    import sys

    from loaders import logstore

    rows = logstore.requests_of(list(account_ids), limit)
    if rows.empty:
        click.echo("No stored requests for these accounts.")
    elif fmt == "csv":
        safecsv.frame_to_csv(rows, sys.stdout)
    else:
        click.echo(rows.to_string(index=False))
