"""Score a detection run against a dataset's truth table (the only place truth is read).

    python bench/score_detection.py DATASET_DIR RESULTS_DIR

RESULTS_DIR holds `flagged_accounts.csv` and `clusters.csv` from `ringtrace detect --results`.
Prints precision and recall of fraudulent accounts, each campaign's main flagged cluster
and its purity, and any flagged cluster made mostly of legitimate accounts.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from loaders import tokens

RECOVERED_JACCARD = 0.8
SHOWN_CAMPAIGNS = 10
ONE_CAMPAIGN_SHARE = 0.9


def read_truth(dataset: Path) -> pd.DataFrame:
    for name in ("truth.csv", "truth.csv.gz", "truth.parquet"):
        p = dataset / name
        if p.exists():
            df = pd.read_parquet(p) if name.endswith(".parquet") else pd.read_csv(p, dtype=str, keep_default_na=False)
            df["is_fraud"] = df["is_fraud"].astype(str).str.lower().isin(["true", "1", "yes"])
            return df
    raise SystemExit(f"{dataset} has no truth table")


def untokenise(ids: pd.Series, truth_ids: pd.Series) -> pd.Series:
    """Account ids the loader stored as keyed tokens (numeric ids that look like card numbers) mapped back
    to the dataset's ids, with the key of the ringtrace home in RINGTRACE_HOME."""
    if not ids.astype(str).str.startswith(tokens.PREFIX).any():
        return ids
    back = {tokens.token(str(a)): a for a in truth_ids}
    return ids.map(lambda a: back.get(a, a))


def read_results(results: Path, name: str, truth_ids: pd.Series) -> pd.DataFrame:
    df = pd.read_csv(results / name, dtype=str, keep_default_na=False)
    if "account_id" in df.columns:
        df["account_id"] = untokenise(df["account_id"], truth_ids)
    return df


def score(dataset: Path, results: Path) -> dict:
    truth = read_truth(dataset).set_index("account_id")
    flagged = read_results(results, "flagged_accounts.csv", truth.index.to_series()).rename(
        columns={"campaign_id": "detected_campaign"})
    is_fraud = truth["is_fraud"]
    flagged_set = set(flagged["account_id"])
    fraud_set = set(is_fraud[is_fraud].index)
    tp = len(flagged_set & fraud_set)
    precision = tp / len(flagged_set) if flagged_set else 0.0
    recall = tp / len(fraud_set) if fraud_set else 1.0
    out = {"flagged": len(flagged_set), "fraud": len(fraud_set), "precision": precision, "recall": recall,
           "campaigns": {}, "legit_flagged_clusters": []}
    flagged = flagged.join(truth[["campaign_id", "is_fraud"]], on="account_id")
    for camp, grp in truth[is_fraud].groupby("campaign_id"):
        in_flag = flagged[flagged["campaign_id"] == camp]
        if in_flag.empty:
            out["campaigns"][camp] = {"main_cluster": None, "purity": 0.0, "covered": 0.0}
            continue
        main = in_flag["cluster_id"].value_counts().index[0]
        members = flagged[flagged["cluster_id"] == main]
        purity = (members["campaign_id"] == camp).mean()
        out["campaigns"][camp] = {"main_cluster": main, "purity": round(float(purity), 4),
                                  "covered": round(len(in_flag) / len(grp), 4),
                                  "clusters": int(in_flag["cluster_id"].nunique())}
    for cid, grp in flagged.groupby("cluster_id"):
        if grp["is_fraud"].mean() < 0.5:
            out["legit_flagged_clusters"].append((cid, len(grp)))
    # each campaign (or ring) recovered as one flagged cluster with Jaccard >= RECOVERED_JACCARD
    clusters = {cid: set(g["account_id"]) for cid, g in flagged.groupby("cluster_id")}
    recovered = 0
    for camp, grp in truth[is_fraud].groupby("campaign_id"):
        members = set(grp.index)
        best = max((len(members & c) / len(members | c) for c in clusters.values()), default=0.0)
        recovered += best >= RECOVERED_JACCARD
    campaigns = truth[is_fraud]["campaign_id"].nunique()
    out["recovered"] = recovered / campaigns if campaigns else 1.0
    # detected campaigns: each true campaign mostly under one detected campaign id, each id mostly one campaign
    if "detected_campaign" in flagged.columns:
        fraud_rows = flagged[flagged["is_fraud"].fillna(False).astype(bool)]
        one = [g["detected_campaign"].value_counts(normalize=True).iloc[0] >= ONE_CAMPAIGN_SHARE
               for _, g in fraud_rows.groupby("campaign_id")]
        pure = [g["campaign_id"].fillna("legit").value_counts(normalize=True).iloc[0] >= ONE_CAMPAIGN_SHARE
                for _, g in flagged.groupby("detected_campaign")]
        out["one_campaign"] = (int(sum(one)), len(one))
        out["pure_campaigns"] = (int(sum(pure)), len(pure))
    return out


if __name__ == "__main__":
    result = score(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"flagged accounts {result['flagged']:,} of {result['fraud']:,} fraudulent: "
          f"precision {result['precision']:.4f}, recall {result['recall']:.4f}")
    print(f"campaigns recovered as one flagged cluster (Jaccard >= {RECOVERED_JACCARD}): {result['recovered']:.1%}")
    if "one_campaign" in result:
        print(f"true campaigns with >= {ONE_CAMPAIGN_SHARE:.0%} of their flagged accounts under one detected campaign: "
              f"{result['one_campaign'][0]} of {result['one_campaign'][1]}; detected campaigns with purity >= "
              f"{ONE_CAMPAIGN_SHARE:.0%}: {result['pure_campaigns'][0]} of {result['pure_campaigns'][1]}")
    shown = list(result["campaigns"].items())
    for camp, r in shown[:SHOWN_CAMPAIGNS]:
        print(f"  {camp}: main cluster {r['main_cluster']}, purity {r['purity']:.3f}, "
              f"covered {r['covered']:.3f} in {r.get('clusters', 0)} flagged clusters")
    if len(shown) > SHOWN_CAMPAIGNS:
        print(f"  ... and {len(shown) - SHOWN_CAMPAIGNS} more")
    legit = result["legit_flagged_clusters"]
    print(f"legitimate flagged clusters: {len(legit)} {legit[:5] if legit else ''}")
