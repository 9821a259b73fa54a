"""The why, where it is needed: a cluster's flag verdict against the run's own thresholds, and member tables
read as text (times to the second, no column every row repeats)."""
from __future__ import annotations

import json

import pandas as pd

from detection.scoring import FLAG_THRESHOLD, flag_explanation
from workbench.session import read, when

CLUSTER_RUN = """
MATCH (:Cluster {cluster_id: $cluster_id})-[:FOUND_BY]->(d:DetectionRun)
RETURN d.fdr AS fdr, d.parameters AS parameters
"""
TIME_COLUMNS = ("created_at", "decision_at")


def flag_verdict(cid: str, cluster: dict) -> str:
    """Flagged or not, and which part of the flag rule it met or missed (with the run's own thresholds)."""
    run = (read(CLUSTER_RUN, cluster_id=cid) or [{}])[0]
    threshold = json.loads(run.get("parameters") or "{}").get("flag_threshold", FLAG_THRESHOLD)
    return flag_explanation(bool(cluster["flagged"]), json.loads(cluster.get("contributions") or "[]"),
                            cluster.get("q_value"), cluster.get("multi_account"), cluster.get("reasons") or [],
                            run.get("fdr"), threshold)


def member_table(mdf: pd.DataFrame) -> pd.DataFrame:
    """The members as read: times to the second, without the cluster id every row repeats."""
    mdf = mdf.drop(columns=["cluster_id"], errors="ignore")
    for column in TIME_COLUMNS:
        if column in mdf.columns:
            mdf[column] = mdf[column].map(lambda v: "" if v is None or v != v else when(v))
    return mdf
