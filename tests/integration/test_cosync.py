"""Synchronised activity as linking evidence (detection/cosync.py): the test's calibration under its null
(pure, no server), blocking, explanation by an open identity, and the stealth scenario end to end."""
from __future__ import annotations

import pandas as pd


def test_stealth_scenario_end_to_end(graph, tmp_path, monkeypatch):
    """Small stealth scenario on a real Neo4j with co-activity linking on (RINGTRACE_CO_ACTIVITY): the fleets
    are flagged, each one campaign, no look-alike group is flagged, and `similar` from ten of a fleet's
    accounts lists that fleet's other accounts first."""
    monkeypatch.setenv("RINGTRACE_CO_ACTIVITY", "on")
    from sample_data.generators.scenarios import generate

    data = tmp_path / "stealth"
    generate(data, 3000, seed=5, scenario="stealth")
    try:
        _stealth_checks(graph, data, tmp_path)
    finally:  # fresh exits make many relationships: remove them in small transactions for the next test's wipe
        graph.run_autocommit("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 2000 ROWS")


def _stealth_checks(graph, data, tmp_path) -> None:
    from detection import similar
    from detection.run import detect, write_results
    from loaders.load import load_dataset

    load_dataset(graph, data, progress=False)
    result = detect(graph, progress=False)
    write_results(result, tmp_path / "results")
    flagged = pd.read_csv(tmp_path / "results" / "flagged_accounts.csv")
    truth = pd.read_csv(data / "truth.csv", keep_default_na=False).set_index("account_id")
    fraud = set(truth.index[truth["is_fraud"].astype(str).str.lower() == "true"])
    got = set(flagged["account_id"])
    assert len(got & fraud) / len(got) >= 0.95
    assert len(got & fraud) / len(fraud) >= 0.9
    look = pd.read_csv(data / "lookalikes.csv")
    assert not (set(look["account_id"]) & got), look[look["account_id"].isin(got)]["group"].value_counts()
    flagged = flagged.join(truth["campaign_id"].rename("true"), on="account_id")
    for camp, rows in flagged[flagged["true"] != ""].groupby("true"):
        assert rows["campaign_id"].value_counts().iloc[0] / len(rows) >= 0.9, camp
    campaigns = pd.read_csv(tmp_path / "results" / "campaigns.csv")
    assert campaigns["reasons"].str.contains("co-active beyond chance").any()

    fleet = sorted(truth.index[truth["campaign_id"] == "fleet-halcyon"])
    ranked = similar.rank(fleet[:10], graph.read_df("MATCH (e:Event)-[r:CONCERNS_MODEL]->(m:Model) WHERE r.release "
                                                    "RETURN m.name AS model, e.ts.epochSeconds AS released"), 50)
    hits = [r.account in set(fleet[10:]) for r in ranked]
    assert sum(hits) / len(hits) >= 0.95
    assert "co-active in" in ranked[0].reasons

    from click.testing import CliRunner

    from ringtrace.cli import main

    out = CliRunner().invoke(main, ["similar", "--accounts", ",".join(fleet[:10]), "--top", "5", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = out.output.strip().splitlines()
    assert rows[0].startswith("rank,account_id,decades") and len(rows) == 6
    assert all(r.split(",")[1] in set(fleet) for r in rows[1:])
    both = CliRunner().invoke(main, ["similar", "--accounts", fleet[0], "--cluster", "c0001"])
    assert both.exit_code == 1 and "exactly one of" in both.output
