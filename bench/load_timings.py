"""Load timings of both paths, each on a fresh local Neo4j:

1. bulk: the whole dataset into an empty graph with `ringtrace load --mode bulk` (neo4j-admin import);
2. incremental: the whole dataset through the server (`--mode incremental`), and its graph compared with
   the bulk one (node counts by label, relationship counts by type, properties of a sample; skip with
   --no-full-incremental at seed scale, where it takes a quarter of an hour);
3. batches: the first accounts loaded in bulk, then the last `--second-share` of them (and every row about
   them, loaders/batches.py) loaded incrementally into that graph, as a platform's next batch arrives.

    python bench/load_timings.py DATASET_DIR [DATASET_DIR ...] [--out DIR] [--second-share 0.5 0.1]
                                 [--no-full-incremental]

At seed scale the README's figures come from a server with 4 GB heap and 4 GB page cache
(RINGTRACE_NEO4J_HEAP=4g RINGTRACE_NEO4J_PAGECACHE=4g).

Prints wall time, input rows per second, peak RSS of the loader (its own process) and of the importer.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from graph.fingerprint import differences  # noqa: E402
from loaders.batches import read_table, split_by_accounts  # noqa: E402

PORT = "7697"
SAMPLED_PER_LABEL = 300
GB = 2 ** 30

# Runs one load in a child process and prints its figures as JSON: the child's own peak RSS (VmHWM, which
# exec resets; ru_maxrss would carry over the bench's own peak through fork), not the importer's, which the
# load measures itself.
MEASURED_LOAD = """
import json, sys, time
from pathlib import Path
from graph.db import connect
from loaders.load import load_dataset
started = time.monotonic()
with connect() as g:
    s = load_dataset(g, Path(sys.argv[1]), progress=False, mode=sys.argv[2])
print("FIGURES " + json.dumps({"seconds": time.monotonic() - started, "mode": s.mode, "read": s.read,
                  "loader_rss": next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
                                     if line.startswith("VmHWM:")),
                  "import_rss": s.import_peak_rss, "phases": s.phases, "statements": s.statements}))
"""

# Saves or compares a graph's fingerprint (graph/fingerprint.py).
FINGERPRINT = """
import pickle, sys
from graph.db import connect
from graph import fingerprint as fp
from loaders.bulk_model import IN_NETWORK_OF, LABELS, RELATIONSHIPS
keys_of = {l.name: l.key for l in LABELS}
starts = {**{r.name: r.start for r in RELATIONSHIPS}, IN_NETWORK_OF: "IPAddress"}
path, size = sys.argv[1], int(sys.argv[2])
with connect() as g:
    try:
        keys = pickle.load(open(path + ".keys", "rb"))
    except FileNotFoundError:
        keys = {l: (k, fp.sample_keys(g, l, k, size)) for l, k in keys_of.items()}
        pickle.dump(keys, open(path + ".keys", "wb"))
    found = fp.sample(g, keys, starts, keys_of)
    found.update(fp.counts(g))
pickle.dump(found, open(path, "wb"))
"""


def split(dataset: Path, out: Path, second_share: float) -> tuple[Path, Path]:
    """Two datasets: the first accounts (and every table without accounts), then the last `second_share`."""
    if (out / "second" / "accounts.csv").exists() or (out / "second" / "accounts.parquet").exists():
        return out / "first", out / "second"
    accounts = read_table(next(dataset.glob("accounts.*")))["account_id"]
    return split_by_accounts(dataset, accounts.iloc[int(len(accounts) * (1 - second_share)):], out)


def fresh_server(home: Path) -> dict[str, str]:
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "RINGTRACE_HOME": str(home), "RINGTRACE_NEO4J_PORT": PORT}
    env.pop("NEO4J_URI", None)
    subprocess.run(["ringtrace", "neo4j", "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def stop(env: dict[str, str], home: Path) -> None:
    subprocess.run(["ringtrace", "neo4j", "stop"], env=env, stdout=subprocess.DEVNULL)
    shutil.rmtree(home, ignore_errors=True)


def measured_load(env: dict[str, str], dataset: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURED_LOAD, str(dataset), mode], env=env, check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]).stdout
    line = next(line for line in out.splitlines() if "FIGURES " in line)
    return json.loads(line[line.index("FIGURES ") + len("FIGURES "):])


def fingerprint(env: dict[str, str], path: Path) -> dict:
    subprocess.run([sys.executable, "-c", FINGERPRINT, str(path), str(SAMPLED_PER_LABEL)], env=env, check=True,
                   cwd=Path(__file__).resolve().parents[1])
    with open(path, "rb") as fh:
        return pickle.load(fh)


def report(name: str, figures: dict) -> None:
    importer = f"{figures['import_rss'] / GB:.2f}" if figures.get("import_rss") else "-"
    print(f"{name} | {figures['mode']} | {figures['read']:,} | {figures['seconds']:.0f} | "
          f"{figures['read'] / figures['seconds']:,.0f} | {figures['loader_rss'] / GB:.2f} | {importer}", flush=True)
    if figures.get("phases"):
        print("  steps (s): " + ", ".join(f"{k} {v:.0f}" for k, v in figures["phases"].items()), flush=True)
    if figures.get("statements"):
        print("  server time by statement (s, rows): " + ", ".join(
            f"{k} {t:.0f} {n:,}" for k, (t, n) in list(figures["statements"].items())[:8]), flush=True)


def bench(dataset: Path, out: Path, shares: list[float], full_incremental: bool) -> None:
    """Every load of one dataset (see the module docstring), each on a fresh server under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    print(f"\n{dataset}", flush=True)
    print("load | path | input rows | wall s | rows/s | loader peak RSS GB | importer peak RSS GB", flush=True)
    home = out / "home"
    env = fresh_server(home)
    try:
        report("whole dataset into an empty graph", measured_load(env, dataset, "bulk"))
        bulk_print = fingerprint(env, out / "bulk.fingerprint") if full_incremental else {}
    finally:
        stop(env, home)
    if full_incremental:
        env = fresh_server(home)
        try:
            report("whole dataset into an empty graph", measured_load(env, dataset, "incremental"))
            diffs = differences(bulk_print, fingerprint(env, out / "incremental.fingerprint"))
            sampled = sum(len(v) for k, v in bulk_print.items() if k.startswith("sample:"))
            print(f"bulk and incremental graphs: {'identical' if not diffs else 'DIFFERENT'} "
                  f"({len([k for k in bulk_print if not k.startswith('sample:')])} counts, {sampled:,} sampled "
                  "nodes and relationships compared)", flush=True)
            for line in diffs:
                print("  " + line[:300], flush=True)
        finally:
            stop(env, home)
    for share in shares:
        first, second = split(dataset, out / f"split-{share:g}", share)
        env = fresh_server(home)
        try:
            report(f"first {1 - share:.0%} into an empty graph", measured_load(env, first, "bulk"))
            report(f"last {share:.0%} into a graph holding the rest", measured_load(env, second, "incremental"))
        finally:
            stop(env, home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+", help="dataset directories, benched one after another")
    parser.add_argument("--out", type=Path, help="working folder (default: beside each dataset)")
    parser.add_argument("--second-share", type=float, nargs="*", default=[0.5],
                        help="share(s) of accounts in the incremental batch (none: no batches)")
    parser.add_argument("--no-full-incremental", action="store_true",
                        help="skip the whole dataset through the incremental path (and the comparison)")
    args = parser.parse_args()
    for dataset in args.datasets:
        out = (args.out / dataset.parent.name) if args.out else dataset.parent / "load-bench"
        bench(dataset, out, args.second_share, not args.no_full_incremental)


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"bench wall time {time.monotonic() - start:.0f} s")
