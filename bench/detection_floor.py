"""The detection floor: `ringtrace detect` with its defaults beside plain baselines, on every dataset.

    python bench/detection_floor.py [--out DIR] [--public DIR] [--sizes 5000,20000] [--only NAME] [--shuffle]

Datasets: the project's scenarios (campaigns, marketplace, fragmented) at two sizes, the blind scenario
(bench/blind/generate.py, written without reading detection/), and the public datasets whose raw files
are in --public (fetched by you, never committed; see bench/datasets/): `fraud_data.csv`
(bench/datasets/ecommerce.py) and `paysim_clients.csv` (bench/datasets/paysim.py). Each dataset is loaded
into a fresh local Neo4j of its own home; detect runs with its defaults (nothing is tuned per dataset).

Per dataset and method it prints P, R, F1 of flagged accounts and the ranking figures ROC AUC, average
precision and precision at 100 (ringtrace ranks accounts by their cluster's score; baselines by
bench/baselines.py's scores). `floor` says whether ringtrace's F1 is at least the best baseline's.
With --shuffle it also loads a copy of each dataset whose identifying items are dealt to accounts at
random (every column of cards, devices, addresses and identifiers permuted on its own: item and
account degrees kept) and prints how many clusters the defaults flag there (the null: it should be 0).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from baselines import baselines  # noqa: E402
from metrics_table import PRECISION_AT, account_metrics  # noqa: E402
from score_detection import read_results, read_truth, score  # noqa: E402

PORT = os.environ.get("FLOOR_PORT", "7696")
SCENARIOS = ("campaigns", "marketplace", "fragmented", "households", "stealth")
SEED = "11"  # not the seed the scenarios were written with
SHUFFLED = {"logins": ("ip", "device_id"), "account_cards": ("card_fingerprint",), "api_keys": ("created_from_ip",),
            "account_identifiers": ("value",), "accounts": ("signup_ip",)}


def ringtrace(env: dict[str, str], *args: str) -> None:
    subprocess.run(["ringtrace", *args], env=env, check=True, stdout=subprocess.DEVNULL)


def frozen(path: Path) -> bool:
    """Whether `path` is committed and unchanged since: a blind scenario is frozen before detection sees it."""
    if not path.exists():
        return False
    tracked = subprocess.run(["git", "-C", str(HERE), "ls-files", "--error-unmatch", str(path)],
                             capture_output=True).returncode == 0
    changed = subprocess.run(["git", "-C", str(HERE), "diff", "--quiet", "HEAD", "--", str(path)]).returncode != 0
    return tracked and not changed


def prepare(name: str, data: Path, public: Path | None) -> bool:
    """Write dataset `name` into `data` unless it is there; False when its source is missing."""
    if (data / "truth.csv").exists():
        return True
    kind, _, size = name.partition("-")
    if kind in SCENARIOS:
        subprocess.run(["ringtrace", "sample", str(data), "--scenario", kind, "--accounts", size, "--seed", SEED],
                       check=True, stdout=subprocess.DEVNULL)
    elif kind == "blind":
        if not frozen(HERE / "blind" / "generate.py"):
            return False
        subprocess.run([sys.executable, str(HERE / "blind" / "generate.py"), str(data), "--accounts", size],
                       check=True, stdout=subprocess.DEVNULL)
    elif kind in ("ecommerce", "paysim"):
        raw = public / ("fraud_data.csv" if kind == "ecommerce" else "paysim_clients.csv") if public else None
        if raw is None or not raw.exists():
            return False
        sys.path.insert(0, str(HERE / "datasets"))
        __import__(kind).convert(raw, data)
    return True


def shuffled_copy(data: Path, out: Path, seed: int = 0) -> None:
    """`data` with each identifying column permuted on its own (truth and other tables copied as they are)."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for path in data.iterdir():
        table = path.name.split(".")[0]
        if table not in SHUFFLED or path.suffix != ".csv":
            shutil.copy(path, out / path.name)
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in SHUFFLED[table]:
            if col in df.columns:
                df[col] = rng.permutation(df[col].to_numpy())
        df.to_csv(out / path.name, index=False)


DETECT_ARGS: list[str] = []  # --detect-args: compare a variant (the printed figures say which)


def run_detect(base: Path, data: Path) -> tuple[Path, float, dict[str, str]]:
    env = {**os.environ, "RINGTRACE_HOME": str(base / "home"), "RINGTRACE_NEO4J_PORT": PORT}
    env.pop("NEO4J_URI", None)
    results = base / "results"
    ringtrace(env, "neo4j", "start")
    try:
        ringtrace(env, "load", str(data), "--no-progress")
        started = time.monotonic()
        ringtrace(env, "detect", "--results", str(results), "--no-progress", *DETECT_ARGS)
        seconds = time.monotonic() - started
    finally:
        ringtrace(env, "neo4j", "stop")
    return results, seconds, env


def redetect(base: Path) -> tuple[Path, float, dict[str, str]]:
    """Detect again on the graph an earlier run loaded (FLOOR_REDETECT=1: for comparing variants quickly)."""
    env = {**os.environ, "RINGTRACE_HOME": str(base / "home"), "RINGTRACE_NEO4J_PORT": PORT}
    env.pop("NEO4J_URI", None)
    ringtrace(env, "neo4j", "start")
    try:
        started = time.monotonic()
        ringtrace(env, "detect", "--results", str(base / "results"), "--no-progress", *DETECT_ARGS)
        seconds = time.monotonic() - started
    finally:
        ringtrace(env, "neo4j", "stop")
    return base / "results", seconds, env


def ringtrace_scores(data: Path, results: Path, env: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Per account: its best cluster's score (the ranked queue) and whether it is flagged."""
    os.environ["RINGTRACE_HOME"] = env["RINGTRACE_HOME"]  # the token key of that home
    truth = read_truth(data)
    members = read_results(results, "cluster_members.csv", truth["account_id"])
    members["score"] = members["score"].astype(float)
    members["flagged"] = members["flagged"] == "true"
    best = members.sort_values("score", ascending=False).drop_duplicates("account_id").set_index("account_id")
    # a flagged account outranks any unflagged one, then by score
    rank = best["score"] - best["score"].min() + 1 + np.where(best["flagged"], 1e6, 0)
    return rank, best["flagged"]


def households_check(data: Path, results: Path) -> str:
    """How many of the scenario's homes are listed whole in multi_accounts.csv, and how many of their
    accounts are flagged or in a campaign."""
    homes = pd.read_csv(data / "households.csv", dtype=str)
    multi = pd.read_csv(results / "multi_accounts.csv", dtype=str, keep_default_na=False)
    listed = {a for accounts in multi["accounts"] for a in accounts.split()}
    flagged = set(pd.read_csv(results / "flagged_accounts.csv", dtype=str)["account_id"])
    whole = homes.groupby("household_id")["account_id"].agg(lambda a: set(a) <= listed)
    in_flag = homes["account_id"].isin(flagged)
    return (f"households: {int(whole.sum())} of {len(whole)} homes listed whole in multi_accounts.csv; "
            f"{int(in_flag.sum())} of {len(homes)} household accounts flagged")


def lookalikes_check(data: Path, results: Path) -> str:
    """Per look-alike group of the stealth scenario: how many of its accounts are flagged."""
    groups = pd.read_csv(data / "lookalikes.csv", dtype=str)
    flagged = set(pd.read_csv(results / "flagged_accounts.csv", dtype=str)["account_id"])
    per = groups.assign(f=groups["account_id"].isin(flagged)).groupby("group")["f"].agg(["sum", "size"])
    return "look-alikes flagged: " + ", ".join(f"{g} {int(r['sum'])} of {int(r['size'])}" for g, r in per.iterrows())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("/tmp/ringtrace-floor"))
    ap.add_argument("--public", type=Path, default=None)
    ap.add_argument("--sizes", default="5000,20000")
    ap.add_argument("--only", default=None)
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--detect-args", default="", help="extra `ringtrace detect` options (default: none)")
    args = ap.parse_args()
    DETECT_ARGS.extend(args.detect_args.split())
    sizes = args.sizes.split(",")
    names = [f"{s}-{n}" for s in SCENARIOS for n in sizes] + ["blind-20000", "ecommerce-0", "paysim-0"]
    cols = ("dataset", "method", "flagged", "P", "R", "F1", "AUC", "AP", f"P@{PRECISION_AT}")
    print(" | ".join(cols), flush=True)
    for name in names:
        if args.only and not name.startswith(args.only):
            continue
        base = args.out / name
        data = base / "data"
        if not prepare(name, data, args.public):
            print(f"{name} | skipped: its source is missing (a raw file in --public), or the blind generator is not committed", flush=True)
            continue
        truth = read_truth(data).set_index("account_id")["is_fraud"]
        if (base / "home").exists() and (base / "results").exists() and os.environ.get("FLOOR_REDETECT"):
            results, seconds, env = redetect(base)
        else:
            results, seconds, env = run_detect(base, data)
        rank, flagged = ringtrace_scores(data, results, env)
        ours = account_metrics(truth, rank, flagged)
        camp = score(data, results)
        rows = [("ringtrace detect", ours)]
        rows += sorted(((m, account_metrics(truth, s)) for m, s in baselines(data).items()),
                       key=lambda r: -r[1]["F1"])
        best = max(m["F1"] for n, m in rows[1:]) if len(rows) > 1 else 0.0
        for method, m in rows:
            print(" | ".join([name, method, str(m["flagged"])] + [f"{m[k]:.3f}" for k in cols[3:]]), flush=True)
        one, pure = camp.get("one_campaign", (0, 0)), camp.get("pure_campaigns", (0, 0))
        print(f"{name} | floor {'held' if ours['F1'] >= best - 1e-9 else 'BROKEN'} (F1 {ours['F1']:.3f} vs best "
              f"baseline {best:.3f}); campaigns: {one[0]}/{one[1]} true campaigns under one id, {pure[0]}/{pure[1]} "
              f"detected campaigns pure; legitimate flagged clusters {len(camp['legit_flagged_clusters'])}; "
              f"detect {seconds:.0f} s", flush=True)
        if (data / "households.csv").exists():
            print(f"{name} | {households_check(data, results)}", flush=True)
        if (data / "lookalikes.csv").exists():
            print(f"{name} | {lookalikes_check(data, results)}", flush=True)
        if args.shuffle:
            sdata = base / "shuffled"
            shuffled_copy(data, sdata)
            sres, _, senv = run_detect(base / "shuffled-run", sdata)
            clusters = pd.read_csv(sres / "clusters.csv", dtype=str)
            print(f"{name} | shuffled items (degrees kept): {(clusters['flagged'] == 'true').sum()} clusters "
                  f"flagged of {len(clusters)}", flush=True)


if __name__ == "__main__":
    main()
