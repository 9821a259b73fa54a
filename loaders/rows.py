"""Validated rows as Bolt driver parameters: Python scalars, None for missing, timestamps as ISO text."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from loaders import cells
from ringtrace.core import config

UTC_SUFFIX = "+00:00"


class IsoTime(str):
    """A UTC timestamp in ISO 8601, converted to a Neo4j datetime by the Cypher (see loaders/cypher.py)."""


def py_value(value: Any) -> Any:
    """A value the Bolt driver accepts (no pandas / numpy scalars, no NaN), one cell at a time: the
    definition `records` must match column by column (tests/integration/test_loaders.py checks it)."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        return IsoTime((value.tz_localize("UTC") if value.tzinfo is None else value).isoformat())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def times_text(col: pd.Series) -> list[IsoTime | None]:
    """A timestamp column as the ISO 8601 text `py_value` gives (`…T10:00:00.123456789+00:00`), in
    whole-column passes."""
    utc = col.dt.tz_localize("UTC") if col.dt.tz is None else col.dt.tz_convert("UTC")
    values = utc.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    present = ~np.isnat(values)
    text = cells.isoformat(values, UTC_SUFFIX).tolist()
    return [IsoTime(t) if p else None for t, p in zip(text, present.tolist())]


def column_values(col: pd.Series) -> list[Any]:
    """A column as driver values: Python scalars, None for missing (same values as `py_value`, by column)."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return times_text(col)
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biu":  # numpy bool and integers: never missing
        return col.tolist()
    return np.where(col.isna().to_numpy(), None, col.astype(object).to_numpy()).tolist()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [dict(zip(cols, values)) for values in zip(*(column_values(frame[c]) for c in cols))]


def stream(frame: pd.DataFrame, size: int | None = None) -> Iterator[dict[str, Any]]:
    """The frame's rows as driver values, converted one slice at a time (never the whole table at once)."""
    size = size or config.LOAD_BATCH_ROWS
    for start in range(0, len(frame), size):
        yield from records(frame.iloc[start:start + size])


def props_and_times(rec: dict[str, Any], cols: Iterable[str], rename: Callable[[str], str] = str
           ) -> tuple[dict[str, Any], dict[str, str]]:
    """Non-empty values of `cols`, split into plain properties and timestamps."""
    props: dict[str, Any] = {}
    times: dict[str, str] = {}
    for c in cols:
        v = rec.get(c)
        if v is None or v == "":
            continue
        (times if isinstance(v, IsoTime) else props)[rename(c)] = v
    return props, times


def activity_row(rec: dict[str, Any]) -> dict[str, Any]:
    """An account's aggregate row: its id, and every other column as properties and times."""
    account = rec.pop("account_id")
    props, times = props_and_times(rec, list(rec))
    return {"account_id": account, "props": props, "times": times}
