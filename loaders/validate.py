"""Row validation for one table chunk: typed good rows out, every bad row kept with its reason."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders import cells, tokens
from loaders.contract import Column, Kind, Table

ROW = "_row"  # the row number in the source file (header is row 1 in CSV)
SHAPE = "_shape"  # a structural problem of the row found while reading (loaders/reading.py)
SHAPE_COLUMN = "_shape_column"  # ... and the column it is reported on
REPLACEMENT_CHAR = "\ufffd"


@dataclass
class Reject:
    file: str
    row: int
    column: str
    reason: str
    values: str  # the original values as JSON, card numbers masked


@dataclass
class Checked:
    good: pd.DataFrame  # typed values, contract columns plus extras plus ROW
    rejects: list[Reject]
    tokenised: dict[str, int] = field(default_factory=dict)  # id column -> cells replaced by their token


PAN_REASON = ("holds what looks like a full card number (13-19 digits passing the Luhn check); card numbers "
              "are never stored")


def token_columns(table: Table) -> set[str]:
    """The id columns of `table` (every contract column of kind id: account_id, the other *_id columns, the
    keys): a value there that looks like a card number is stored as its keyed token (loaders/tokens.py)
    instead of losing the row. Free-text, property and extra columns reject such a row."""
    return {c.name for c in table.columns if c.kind == Kind.ID}


def _tokenise(col: pd.Series, pan: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """`col` with each card-number-like id of `pan` replaced by its token, and which cells were (an id that
    fails the id check anyway keeps the card-number reason)."""
    values = col.to_numpy(dtype=object).copy()
    secret = tokens.key()
    done = np.zeros(len(values), dtype=bool)
    for i in np.flatnonzero(pan):
        trimmed = values[i].strip()
        if cells.ID_RE.match(trimmed):
            values[i] = tokens.token(trimmed, secret)
            done[i] = True
    return pd.Series(values, index=col.index, dtype=object), done


class RowFlags:
    """The first reason each row fails for, and the column it fails on."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.reason = np.empty(n, dtype=object)
        self.column = np.empty(n, dtype=object)

    def flag(self, mask: np.ndarray, column: str, reason: str | Iterable[str]) -> None:
        new = mask & ~self.bad
        if not new.any():
            return
        self.bad |= new
        self.column[new] = column
        if isinstance(reason, str):
            self.reason[new] = reason
        else:
            self.reason[new] = np.asarray(list(reason), dtype=object)[new]


def _as_text_per_cell(series: pd.Series) -> pd.Series:
    """Cells as strings ('' for missing), one cell at a time: the definition `_as_text` must match."""
    if series.dtype == object:
        return series.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.map(lambda v: "" if pd.isna(v) else v.isoformat())
    return series.astype(object).map(lambda v: "" if pd.isna(v) else str(v))


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as strings ('' for missing), whatever the file format typed them as; whole columns at once
    where the result is certain to equal `_as_text_per_cell`, cell by cell otherwise."""
    missing = series.isna().to_numpy()
    if series.dtype == object:
        if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
            return pd.Series(np.where(missing, "", series.to_numpy(dtype=object)), index=series.index)
    elif pd.api.types.is_string_dtype(series.dtype):  # pandas strings (Arrow-backed): kept as they are
        return series.fillna("")
    elif pd.api.types.is_datetime64_any_dtype(series):
        tz = series.dt.tz
        if tz is None or str(tz) == "UTC":
            values = (series.dt.tz_localize(None) if tz is not None else series).to_numpy(dtype="datetime64[ns]")
            return pd.Series(np.where(missing, "", cells.isoformat(values, "+00:00" if tz is not None else "")),
                             index=series.index)
    elif isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        text = series.to_numpy().astype(str).astype(object)
        return pd.Series(np.where(missing, "", text), index=series.index)
    return _as_text_per_cell(series)




def _contains(arr: pa.Array, pattern: str, regex: bool) -> np.ndarray:
    fn = pc.match_substring_regex if regex else pc.match_substring
    return np.asarray(fn(arr, pattern).to_numpy(zero_copy_only=False), dtype=bool)


def _convert_column(column: Column, raw: pd.Series, text: pd.Series, flags: RowFlags) -> pd.Series:
    """Typed values of one column; bad non-empty cells are flagged with their reason."""
    present = (text != "").to_numpy()
    if column.kind == Kind.TIMESTAMP:  # text; timestamps the file typed are taken in check_chunk
        ts = pd.to_datetime(text.where(text != "", None), format="ISO8601", utc=True, errors="coerce")
        bad = present & ts.isna().to_numpy()
        flags.flag(bad, column.name, (f"'{v}' is not an ISO 8601 timestamp" for v in text))
        return ts
    if column.kind == Kind.INT and pd.api.types.is_integer_dtype(raw):
        return raw.astype("Int64")
    if column.kind == Kind.BOOL and pd.api.types.is_bool_dtype(raw):
        return raw
    codes, uniques = pd.factorize(text)
    unchanged = cells.unchanged(column, uniques)
    if (unchanged | (uniques == "")).all():  # every cell is kept as it is (the common case): no copy
        return text.where(present, None)
    uniques = np.asarray(uniques, dtype=object)
    values = np.empty(len(uniques), dtype=object)
    reason_of = np.full(len(uniques), None, dtype=object)
    values[unchanged] = uniques[unchanged]
    for i in np.flatnonzero(~unchanged):  # the rest, one distinct value at a time
        value = uniques[i]
        if value == "":
            continue
        try:
            values[i] = cells.convert(column, value)
        except cells.CellError as exc:
            reason_of[i] = str(exc)
    reason_arr = reason_of[codes]
    flags.flag(present & pd.notna(reason_arr), column.name, reason_arr)
    return pd.Series(values[codes], index=text.index, dtype=object)


def original_values(text_frame: pd.DataFrame, index: int) -> str:
    row = {k: cells.mask_pans(v) for k, v in text_frame.loc[index].items()}
    return json.dumps(row, ensure_ascii=False)


def check_chunk(table: Table, frame: pd.DataFrame, file_name: str,
                references: dict[str, Callable[[pd.Series], np.ndarray]]) -> Checked:
    """Validate one chunk of `table` read from `file_name`; `references` tests ids exist."""
    rows = frame[ROW].to_numpy()
    shape = frame.pop(SHAPE).to_numpy(dtype=object) if SHAPE in frame.columns else None
    shape_column = frame.pop(SHAPE_COLUMN).to_numpy(dtype=object) if SHAPE_COLUMN in frame.columns else None
    data = frame.drop(columns=[ROW])
    # Timestamps typed by the file (Parquet) need no text: no cell check can fail on their ISO form, and
    # they are written as they are. Their text is made only for the rejects file.
    typed_times = {c.name for c in table.columns if c.kind == Kind.TIMESTAMP and c.name in data.columns
                   and pd.api.types.is_datetime64_any_dtype(data[c.name])}
    text = pd.DataFrame({c: _as_text(data[c]) for c in data.columns if c not in typed_times}, index=data.index)
    flags = RowFlags(len(frame))
    if shape is not None:
        for column in sorted(set(shape_column[shape != ""])):
            flags.flag((shape != "") & (shape_column == column), column, shape)
    ids = token_columns(table)
    tokenised: dict[str, int] = {}
    for name in text.columns:  # whole-row checks first: they decide what may be written anywhere
        col = text[name]
        arr = pa.array(col.to_numpy(dtype=object), type=pa.string()) if col.dtype == object else pa.array(col)
        invalid = _contains(arr, REPLACEMENT_CHAR, regex=False)
        flags.flag(invalid, name, "not valid UTF-8")
        candidates = _contains(arr, cells.PAN_PREFILTER, regex=True)
        if candidates.any():
            pan = np.array([bool(c) and cells.find_pan(v) is not None for c, v in zip(candidates, col)])
            if name in ids and (pan & ~invalid).any():  # an id, not a card: its token stands for it
                text[name], done = _tokenise(col, pan & ~invalid)
                if done.any():
                    tokenised[name] = int(np.count_nonzero(done))
                pan &= ~done
                arr = pa.array(text[name].to_numpy(dtype=object), type=pa.string())
            flags.flag(pan, name, PAN_REASON)
        lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
        flags.flag(lengths > cells.MAX_CELL_CHARS, name,
                   (f"cell is {n:,} characters, over the {cells.MAX_CELL_CHARS:,} limit" for n in lengths))
    typed = {}
    for column in table.columns:
        if column.name in typed_times:
            raw = data[column.name]
            if column.required:
                flags.flag(raw.isna().to_numpy(), column.name, "required value is missing")
            typed[column.name] = raw.dt.tz_localize("UTC") if raw.dt.tz is None else raw.dt.tz_convert("UTC")
            continue
        if column.name not in text.columns:
            typed[column.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        if column.required:
            flags.flag((text[column.name].str.strip() == "").to_numpy(), column.name,
                       "required value is missing")
        typed[column.name] = _convert_column(column, data[column.name], text[column.name], flags)
    if table.one_of:
        empty = np.logical_and.reduce([typed[c].isna().to_numpy() for c in table.one_of])
        flags.flag(empty, "/".join(table.one_of), f"a row needs at least one of {', '.join(table.one_of)}")
    for column in table.columns:
        if column.references and column.name in data.columns:
            values = typed[column.name]
            present = values.notna().to_numpy()
            exists = references[column.references](values)
            target_table = column.references.split(".")[0]
            flags.flag(present & ~exists, column.name,
                       (f"'{v}' does not exist in {target_table}" for v in values))
    if not table.event_log:  # event logs are de-duplicated in the log store (loaders/logstore.py)
        key_frame = pd.DataFrame({k: typed[k] for k in table.key}, index=frame.index)
        dup = key_frame.duplicated(keep="first").to_numpy()
        first_row = {}
        if dup.any():
            keys = [tuple(r) for r in key_frame.itertuples(index=False)]
            for k, r in zip(keys, rows):
                first_row.setdefault(k, r)
            flags.flag(dup, ",".join(table.key),
                       (f"duplicate of row {first_row[k]}" for k in keys))
    contract = {c.name for c in table.columns}
    extras = [c for c in text.columns if c not in contract]
    good_mask = ~flags.bad
    good = pd.DataFrame({name: s[good_mask] for name, s in typed.items()})
    for name in extras:
        good[name] = text[name][good_mask]
    good[ROW] = rows[good_mask]
    bad = np.flatnonzero(flags.bad)
    if len(bad) and typed_times:  # the rejected rows' cells, every column in the file's order
        subset = data.iloc[bad]
        text = pd.DataFrame({c: text[c].iloc[bad] if c in text.columns else _as_text(subset[c])
                             for c in data.columns}, index=subset.index)
    rejects = [Reject(file=file_name, row=int(rows[i]), column=str(flags.column[i]),
                      reason=str(flags.reason[i]), values=original_values(text, frame.index[i]))
               for i in bad]
    return Checked(good=good, rejects=rejects, tokenised=tokenised)
