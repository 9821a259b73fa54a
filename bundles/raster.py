"""The accounts x time raster (SynchroTrap's figure) as inline SVG: a cluster's accounts above a sample of other
accounts, one row per account, a dark mark where it made requests; a fleet shows as vertical stripes."""
from __future__ import annotations

import html

import pandas as pd

from ringtrace.core import config

WIDTH = 900
LEFT = 110
ROW_H = 2
GAP = 14
TOP = 18
COLOURS = {"cluster": "#c0392b", "ordinary": "#34495e"}
PARTS = (("cluster", "this cluster"), ("ordinary", "other accounts"))


def _when(epoch_s: float) -> str:
    return pd.Timestamp(epoch_s, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")


def raster_svg(cells: pd.DataFrame, members: int, columns: int = config.RASTER_COLUMNS) -> str:
    """Inline SVG of `cells` (behaviour.raster: account_id, part, col, requests, t0, t1); `members` is the
    cluster's size (the picture shows a sample of it when it is larger than the rows drawn). No script, no
    link: it renders offline and in the workbench alike; account ids are not drawn."""
    if cells is None or cells.empty:
        return "<p>No request log is stored for these accounts.</p>"
    t0, t1 = float(cells["t0"].iloc[0]), float(cells["t1"].iloc[0])
    cell_w = (WIDTH - LEFT - 10) / columns
    y, parts, labels = TOP, [], []
    for part, name in PARTS:
        rows = cells[cells["part"] == part]
        order = rows.groupby("account_id")["col"].agg(["min", "count"]).sort_values(["min", "count"]).index
        n = len(order)
        shown = (f"{n:,} of {members:,}" if members > n else f"{n:,}") if part == "cluster" else f"{n:,} sampled"
        labels.append(f'<text x="0" y="{y + 10}" font-size="11" fill="{COLOURS[part]}">{html.escape(name)}</text>'
                      f'<text x="0" y="{y + 24}" font-size="10" fill="#555">{shown}</text>')
        row_of = {a: i for i, a in enumerate(order)}
        ry = rows["account_id"].map(row_of).to_numpy()
        # one path per side, one box per run of adjacent slices of a row: the same marks as a rect per cell
        # (at seed scale those were 0.55 MB and 13,000 elements the browser parsed on every Cluster page run)
        marks = []
        for r, first, last in _runs(zip(ry, rows["col"].to_numpy())):
            width = (last - first) * cell_w + max(cell_w, 1)
            marks.append(f"M{LEFT + first * cell_w:.1f} {y + r * ROW_H}h{width:.1f}v{ROW_H}h-{width:.1f}z")
        if marks:
            parts.append(f'<path fill="{COLOURS[part]}" d="{"".join(marks)}"/>')
        y += max(n, 1) * ROW_H + GAP
    height = y + 20
    axis = (f'<text x="{LEFT}" y="{height - 6}" font-size="11">{_when(t0)}</text>'
            f'<text x="{WIDTH - 150}" y="{height - 6}" font-size="11">{_when(t1)}</text>'
            f'<text x="{LEFT}" y="12" font-size="11">accounts x time: {columns} slices of '
            f'{(t1 - t0) / columns / 3600:.1f} h over the cluster\'s active span</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
            f'aria-label="accounts by time raster">{"".join(labels)}{"".join(parts)}{axis}</svg>')


def _runs(cells) -> list[tuple[int, int, int]]:
    """(row, first column, last column) of each run of adjacent marked columns in a row."""
    out: list[tuple[int, int, int]] = []
    for r, c in sorted((int(r), int(c)) for r, c in cells):
        if out and out[-1][0] == r and out[-1][2] + 1 >= c:
            out[-1] = (r, out[-1][1], max(out[-1][2], c))
        else:
            out.append((r, c, c))
    return out


def caption(cells: pd.DataFrame, members: int) -> str:
    """What the raster shows, in one sentence."""
    n = cells[cells["part"] == "cluster"]["account_id"].nunique() if len(cells) else 0
    m = cells[cells["part"] == "ordinary"]["account_id"].nunique() if len(cells) else 0
    of = f"{n:,} of the cluster's {members:,} accounts" if members > n else f"the cluster's {n:,} accounts"
    return (f"Each row is an account, each mark a time slice it made requests in: {of} (red) above {m:,} other "
            "accounts active in the same span (a random sample, dark). Accounts run by one dispatcher act in "
            "the same slices: vertical stripes across the red rows.")
