"""An account's fingerprint as the workbench shows it, and the accounts x time raster (no server)."""
from __future__ import annotations

import re

import pandas as pd
from behaviour_log import fleet_log, releases


def test_fingerprint_table_shows_every_part_of_the_fingerprint(tmp_path, monkeypatch):
    from workbench.behaviour_view import fingerprint_table

    fleet = fleet_log(tmp_path, monkeypatch)
    table = fingerprint_table(fleet[3], releases()).set_index("field")
    assert table.loc["active buckets", "value"] == "19"  # 15-minute windows: 9 nights of 2 and the release day's 1
    assert table.loc["active span", "value"] == "2026-09-01 02:00 to 2026-09-10 04:15 UTC"
    assert table.loc["busiest hours (UTC)", "value"].startswith("02:00")
    assert table.loc["category mix", "value"] == "cot elicitation 70%, reasoning 30%"
    assert table.loc["token shape", "value"] == "median 1,800 input tokens, output 4.00x"
    assert table.loc["user agent", "value"] == "ua (100% of its requests)"
    assert table.loc["tls fingerprint", "value"] == "tls-fleet"  # an extra exchanges column: client metadata
    assert table.loc["switch to sol-4", "value"] == "4.0 h after its release"
    assert table.loc["switch to sol-3", "value"] == "2,210.1 h after its release"
    ordinary = fingerprint_table("p00", releases()).set_index("field")
    assert ordinary.loc["switch to sol-4", "value"] == "never used it"
    assert table["meaning"].str.len().min() > 10
    assert fingerprint_table("nobody", releases()).empty


def test_raster_is_computed_in_the_log_store_and_drawn_offline(tmp_path, monkeypatch):
    from bundles.raster import caption, raster_svg
    from detection import behaviour

    fleet = fleet_log(tmp_path, monkeypatch)
    cells = behaviour.raster(fleet, rows=8, columns=60)
    parts = cells.groupby("part")["account_id"].nunique()
    assert parts["cluster"] == 8 and parts["ordinary"] == 8  # a sample of each side, never the whole log
    assert set(cells.loc[cells["part"] == "cluster", "account_id"]) <= set(fleet)
    assert not set(cells.loc[cells["part"] == "ordinary", "account_id"]) & set(fleet)
    assert cells["col"].between(0, 59).all()
    # the fleet's rows share their columns (waves); the ordinary rows are spread out
    fleet_cols = cells[cells["part"] == "cluster"].groupby("col")["account_id"].nunique()
    assert (fleet_cols == 8).sum() >= 9
    svg = raster_svg(cells, len(fleet), 60)
    assert svg.startswith("<svg") and "<script" not in svg and not re.search(r"https?://(?!www\.w3\.org)", svg)
    assert 'fill="#c0392b"' in svg and 'fill="#34495e"' in svg
    assert "8 of 20" in svg and "8 sampled" in svg
    assert not any(a in svg for a in fleet)  # account ids are not drawn
    assert "8 of the cluster's 20 accounts" in caption(cells, len(fleet))
    assert "No request log" in raster_svg(pd.DataFrame(), 0)


def test_raster_draws_each_run_of_adjacent_slices_as_one_mark_covering_the_same_slices():
    from bundles.raster import _runs, raster_svg

    assert _runs([(0, 3), (0, 1), (0, 2), (0, 7), (1, 2), (0, 7), (1, 3)]) == [(0, 1, 3), (0, 7, 7), (1, 2, 3)]
    cells = pd.DataFrame({"account_id": ["a", "a", "a", "b"], "part": ["cluster"] * 4, "col": [0, 1, 5, 1],
                          "requests": [1, 1, 1, 1], "t0": [0.0] * 4, "t1": [3600.0 * 10] * 4})
    marks = re.findall(r"M([\d.]+) (\d+)h([\d.]+)v2h-[\d.]+z", raster_svg(cells, 2, 10))
    cell_w = (900 - 110 - 10) / 10
    assert sorted(round(float(w) / cell_w) for _, _, w in marks) == [1, 1, 2], "a's slices 0-1 are one mark"
    assert sorted(round((float(x) - 110) / cell_w) for x, _, _ in marks) == [0, 1, 5]
