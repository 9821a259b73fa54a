"""Score `ringtrace trace --all` against the truth table (the only place truth is read).

    python bench/score_attribution.py DATASET_DIR RESULTS_DIR

RESULTS_DIR holds flagged_accounts.csv (detect) and attribution.csv (trace --all).
For each campaign: its main flagged cluster, the top-ranked organisation and person there,
and whether they are the ones behind it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_detection import read_truth  # noqa: E402


def score(dataset: Path, results: Path) -> dict:
    truth = read_truth(dataset)
    flagged = pd.read_csv(results / "flagged_accounts.csv", dtype=str).rename(
        columns={"campaign_id": "detected_campaign"}).merge(truth, on="account_id")
    attribution = pd.read_csv(results / "attribution.csv", dtype=str)
    attribution["confidence"] = attribution["confidence"].astype(float)
    out = {}
    for camp, grp in flagged[flagged["is_fraud"]].groupby("campaign_id"):
        main = grp["cluster_id"].value_counts().index[0]
        rows = attribution[attribution["cluster_id"] == main]
        orgs = rows[rows["target_kind"] == "organisation"].sort_values("confidence", ascending=False)
        people = rows[rows["target_kind"] == "person"].sort_values("confidence", ascending=False)
        want_org, want_person = grp["org_id"].iloc[0], grp["person_id"].iloc[0]
        out[camp] = {
            "main_cluster": main,
            "top_org": orgs["target_id"].iloc[0] if len(orgs) else None,
            "org_confidence": float(orgs["confidence"].iloc[0]) if len(orgs) else 0.0,
            "org_correct": len(orgs) > 0 and orgs["target_id"].iloc[0] == want_org,
            "top_person": people["target_id"].iloc[0] if len(people) else None,
            "person_confidence": float(people["confidence"].iloc[0]) if len(people) else 0.0,
            "person_correct": (not want_person) or (len(people) > 0 and people["target_id"].iloc[0] == want_person),
        }
    share_fraud = flagged.groupby("cluster_id")["is_fraud"].mean()
    legit_clusters = set(share_fraud[share_fraud < 0.5].index)  # clusters made mostly of legitimate accounts
    out["_legit_attributions"] = attribution[attribution["cluster_id"].isin(legit_clusters)].to_dict("records")
    return out


if __name__ == "__main__":
    for camp, r in score(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(camp, r)
