"""Loaders: every table and format into Neo4j, bad rows rejected with reasons, idempotent."""
from __future__ import annotations


import pandas as pd


def test_rows_become_the_same_driver_values_column_by_column():
    """The columnar conversion gives exactly what the per-cell one gives (values and types)."""
    import numpy as np

    from loaders.rows import py_value as _py
    from loaders.rows import records as _records

    n = 500
    frame = pd.DataFrame({
        "text": [f"x{i}" if i % 3 else None for i in range(n)],
        "utc": pd.to_datetime(np.arange(n) * 3601 + 1_700_000_000, unit="s", utc=True),
        "naive_ms": pd.to_datetime(np.arange(n) * 1234 + 1_700_000_000_000, unit="ms"),
        "utc_ns": pd.to_datetime(np.arange(n) * 61_000_000_007 + 1_700_000_000 * 10**9, utc=True),
        "flag": np.arange(n) % 2 == 0, "count": np.arange(n), "ratio": np.where(np.arange(n) % 2, np.nan, 2.5),
        "nullable_int": pd.array([None if i % 2 else 3 for i in range(n)], dtype="Int64"),
        "nullable_bool": pd.array([None if i % 2 else True for i in range(n)], dtype="boolean"),
        "string": pd.array([None if i % 2 else "v" for i in range(n)], dtype="string")})
    frame.loc[3, "utc"] = pd.NaT
    per_cell = [{c: _py(v) for c, v in zip(frame.columns, row)} for row in frame.itertuples(index=False, name=None)]
    columnar = _records(frame)
    assert columnar == per_cell
    assert [[type(v) for v in r.values()] for r in columnar] == [[type(v) for v in r.values()] for r in per_cell]


def test_cells_become_the_same_text_column_by_column():
    """Validation reads cells as text a whole column at a time; it must equal the per-cell definition."""
    import numpy as np

    from loaders.validate import _as_text, _as_text_per_cell

    n = 400
    columns = {
        "strings": pd.Series([f"x{i}" if i % 3 else None for i in range(n)], dtype=object),
        "strings_nan": pd.Series([f"x{i}" if i % 3 else np.nan for i in range(n)], dtype=object),
        "mixed": pd.Series([i if i % 2 else "s" for i in range(n)], dtype=object),
        "utc": pd.Series(pd.to_datetime(np.arange(n) * 61 + 1_700_000_000, unit="s", utc=True)),
        "naive": pd.Series(pd.to_datetime(np.arange(n) * 61 + 1_700_000_000, unit="s")),
        "milliseconds": pd.Series(pd.to_datetime(np.arange(n) * 61 + 1_700_000_000_000, unit="ms", utc=True)),
        "nanoseconds": pd.Series(pd.to_datetime(np.arange(n) * 61_000_000_007 + 1_700_000_000 * 10**9, utc=True)),
        "string_dtype": pd.Series(pd.array([None if i % 2 else "v" for i in range(n)], dtype="string")),
        "paris": pd.Series(pd.to_datetime(np.arange(n) * 61 + 1_700_000_000, unit="s", utc=True)).dt.tz_convert(
            "Europe/Paris"),
        "ints": pd.Series(np.arange(n)), "floats": pd.Series(np.where(np.arange(n) % 2, np.nan, np.arange(n) * 0.1)),
        "large_floats": pd.Series([1e20, 1.5e-7, 123456789.123, -0.0] * (n // 4)),
        "bools": pd.Series(np.arange(n) % 2 == 0),
        "nullable_ints": pd.Series(pd.array([None if i % 2 else i for i in range(n)], dtype="Int64")),
        "empty": pd.Series([None] * n, dtype=object),
    }
    columns["utc"][5] = pd.NaT
    for name, column in columns.items():
        assert list(_as_text(column)) == list(_as_text_per_cell(column)), name


def test_values_recognised_as_unchanged_are_what_the_cell_conversion_returns():
    """The fast path of validation (cells.unchanged) only skips values `convert` accepts and returns as they are."""
    import numpy as np

    from loaders import cells
    from loaders.contract import Column, Kind

    tricky = ["acc-1", " acc-1", "acc-1 ", "a\tb", "a\x1fb", "ünï", "x" * 256, "x" * 257, "10.0.0.1", "10.0.0.01",
              "256.1.1.1", "1.2.3", "::1", "2001:DB8::1", " 10.0.0.1", "0.0.0.0", "255.255.255.255", "active",
              "Active", " active", "GB", "gb", "XX", "true", "12", "-3", "1e3", "a@b.example", "A@B.example", "\u00a0x"]
    columns = [Column("c", Kind.ID), Column("c", Kind.IP), Column("c", Kind.TEXT), Column("c", Kind.COUNTRY),
               Column("c", Kind.ENUM, enum=("active", "banned")), Column("c", Kind.INT), Column("c", Kind.EMAIL),
               Column("c", Kind.BOOL)]
    values = np.array(tricky, dtype=object)
    for column in columns:
        fast = cells.unchanged(column, values)
        for value, skip in zip(tricky, fast):
            if skip:
                assert cells.convert(column, value) == value, (column.kind, value)
        assert fast.any() or column.kind in (Kind.INT, Kind.EMAIL, Kind.BOOL)
