"""Find a dataset's table files and read them in chunks (CSV, CSV.gz, Parquet)."""
from __future__ import annotations

import csv
import gzip
import hashlib
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from loaders import cells
from loaders.contract import FILE_SUFFIXES, TABLE_BY_NAME, Table
from loaders.validate import ROW, SHAPE, SHAPE_COLUMN
from ringtrace.core.errors import RingtraceError

CHUNK_ROWS = 500_000
# A UTF-8 byte-order mark (as spreadsheet exports write) is read as part of no column name.
CSV_ENCODING = "utf-8-sig"
# Python's csv module stops a whole file at a cell over 128 KiB; the validator rejects long cells
# row by row instead (loaders/cells.py MAX_CELL_CHARS), so the parser takes any cell.
CSV_FIELD_LIMIT = 2**31 - 1
CSV_HEADER_ROWS = 1
HASH_BLOCK = 1 << 20
SHAPE_SCAN_BLOCK = 1 << 22  # bytes per block of the field-count scan (pyarrow's CSV parser)
EXTRA_FIELDS = "(row)"      # the reject column of a row with more fields than the header


csv.field_size_limit(CSV_FIELD_LIMIT)


class FileError(RingtraceError):
    """A whole file cannot be loaded (unreadable, empty, a required column missing)."""


class MalformedCSV(Exception):
    """The fast CSV parser met a row it cannot split; read the file again with `tolerant=True`."""




def find_tables(dataset: Path) -> dict[str, Path]:
    """The table files of a dataset directory, by table name; two files for one table is an error."""
    if not dataset.is_dir():
        raise RingtraceError(f"{dataset} is not a directory. Give the dataset directory that holds "
                             "accounts.csv (or .csv.gz / .parquet) and the other tables.")
    found: dict[str, Path] = {}
    for path in sorted(dataset.iterdir()):
        for suffix in FILE_SUFFIXES:
            if path.name.endswith(suffix) and path.name[: -len(suffix)] in TABLE_BY_NAME:
                name = path.name[: -len(suffix)]
                if name in found:
                    raise RingtraceError(f"{dataset} holds two files for table {name}: {found[name].name} "
                                         f"and {path.name}. Keep one.")
                check_inside(dataset, path)
                found[name] = path
    if "accounts" not in found:
        raise RingtraceError(f"{dataset} has no accounts table (accounts.csv, accounts.csv.gz or "
                             "accounts.parquet); it is the one table every dataset needs.")
    return found


def check_inside(dataset: Path, path: Path) -> None:
    """Refuse a table file that is a link to a file outside the dataset directory (a link can make a load read
    any file the user can, such as the ringtrace home's neo4j-password), or that is not a regular file."""
    target = path.resolve()
    if not target.is_relative_to(dataset.resolve()):
        raise RingtraceError(f"{dataset / path.name} is a link to a file outside the dataset directory; the loader "
                             "reads only files inside it. Copy the file into the dataset directory instead of "
                             "linking to it.")
    if not target.is_file():
        raise RingtraceError(f"{dataset / path.name} is not a regular file (a folder, device or pipe); give the "
                             "table as a CSV, CSV.gz or Parquet file.")


def ignored_files(dataset: Path) -> list[tuple[str, str]]:
    """Files of a dataset directory the loader does not read, each with the reason."""
    ignored = []
    for path in sorted(dataset.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            ignored.append((path.name + "/", "a folder; tables are read from the dataset folder itself"))
            continue
        suffix = next((x for x in FILE_SUFFIXES if path.name.endswith(x)), None)
        if suffix is None:
            ignored.append((path.name, f"not a table file ({', '.join(FILE_SUFFIXES)})"))
        elif path.name[: -len(suffix)] not in TABLE_BY_NAME:
            ignored.append((path.name, f"{path.name[: -len(suffix)]} is not a table this version loads "
                                       f"(known: {', '.join(TABLE_BY_NAME)})"))
    return ignored


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(HASH_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def _csv_header(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding=CSV_ENCODING, errors="replace", newline="") as fh:
            header = next(csv.reader(fh), None)
    except gzip.BadGzipFile as exc:  # its message quotes the file's first bytes
        raise FileError(f"{path.name}: cannot be read (not gzip-compressed). Check the file is a valid "
                        "gzip-compressed CSV.") from exc
    except (OSError, EOFError) as exc:
        raise FileError(f"{path.name}: cannot be read ({exc}). Check the file is a valid "
                        f"{'gzip-compressed ' if path.name.endswith('.gz') else ''}CSV.") from exc
    if not header or not any(h.strip() for h in header):
        raise FileError(f"{path.name}: the file is empty (no header row). Export it again with a header "
                        "row, or remove it from the dataset.")
    return [h.strip() for h in header]


def header(path: Path) -> list[str]:
    if path.name.endswith(".parquet"):
        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception as exc:
            raise FileError(f"{path.name}: cannot be read as Parquet ({exc}).") from exc
    return _csv_header(path)


def check_header(table: Table, path: Path) -> list[str]:
    """The file's columns; a missing required column stops the file with one clear error."""
    cols = header(path)
    for c in cols:
        if cells.find_pan(c):
            raise FileError(f"{path.name}: the header's column {cells.mask_pans(c)!r} holds what looks like a full "
                            "card number (card numbers are never stored, not even as a column name). Rename "
                            "the column and load the file again.")
    if table.one_of and not any(c in cols for c in table.one_of):
        raise FileError(f"{path.name}: the header needs at least one of the columns {', '.join(table.one_of)} "
                        f"({_known_columns(table, cols)}).")
    missing = [c for c in table.required if c not in cols]
    if missing:
        raise FileError(f"{path.name}: required column {missing[0]} is missing ({_known_columns(table, cols)}). "
                        "Add the column, or rename the one that holds it.")
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise FileError(f"{path.name}: column {dupes[0]} appears twice in the header. Rename or drop one.")
    return cols


def _known_columns(table: Table, cols: list[str]) -> str:
    """What a header holds, naming only the table's own columns: the first line of a file that is not the
    table (a key, a password) is never repeated into a message the LoadRun keeps."""
    known = [c for c in cols if table.column(c) is not None]
    others = len(cols) - len(known)
    names = f"header has: {', '.join(known)}" if known else "the header has none of its columns"
    return names + (f"; {others} other column(s), not named here" if others else "")


def read_chunks(table: Table, path: Path, chunk_rows: int = CHUNK_ROWS, tolerant: bool = False
                ) -> Iterator[pd.DataFrame]:
    """Chunks of the file with a ROW column: CSV row numbers count the header as row 1.

    The fast parser raises MalformedCSV on a row with the wrong number of fields; with
    `tolerant` the file is read by Python's csv module instead and such rows carry a
    SHAPE reason (the validator rejects them), so no row is lost."""
    cols = check_header(table, path)
    if tolerant and not path.name.endswith(".parquet"):
        yield from _tolerant_chunks(path, cols, chunk_rows)
        return
    if path.name.endswith(".parquet"):
        offset = 0
        try:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                frame = batch.to_pandas()
                frame[ROW] = range(offset + 1, offset + 1 + len(frame))
                offset += len(frame)
                yield frame
        except Exception as exc:
            raise FileError(f"{path.name}: cannot be read as Parquet after row {offset} ({exc}).") from exc
        return
    if not fields_match_header(path):  # the fast parser would pad short rows and shift long ones silently
        raise MalformedCSV(f"{path.name}: a row's field count differs from the header's")
    offset = CSV_HEADER_ROWS
    try:
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                             encoding=CSV_ENCODING, encoding_errors="replace", chunksize=chunk_rows,
                             skipinitialspace=False, on_bad_lines="error", engine="c")
        for frame in reader:
            frame.columns = [c.strip() for c in frame.columns]
            frame[ROW] = range(offset + 1, offset + 1 + len(frame))
            offset += len(frame)
            yield frame
    except pd.errors.ParserError as exc:
        raise MalformedCSV(str(exc)) from exc
    except (OSError, EOFError) as exc:
        raise FileError(f"{path.name}: cannot be read after row {offset} ({exc}).") from exc


def fields_match_header(path: Path) -> bool:
    """Whether every non-empty row of a CSV file has as many fields as its header: one pass of pyarrow's
    parser, converting nothing (a tenth of the cost of reading the file). pandas' fast parser fills a short
    row's missing fields with empty text and takes a first row with one field too many as an index, so a
    file that fails this check is read by `_tolerant_chunks`, which rejects each such row."""
    bad: list[int] = []

    def invalid(row: pa_csv.InvalidRow) -> str:
        bad.append(row.actual_columns)
        return "skip"

    try:
        with pa.input_stream(str(path), compression="detect") as stream:
            reader = pa_csv.open_csv(
                stream, read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=SHAPE_SCAN_BLOCK),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
                convert_options=pa_csv.ConvertOptions(include_columns=["f0"], column_types={"f0": pa.binary()}))
            for _ in reader:
                if bad:
                    return False
    except (pa.ArrowInvalid, OSError, EOFError):
        return False  # the tolerant reader reports what is wrong, row by row
    return not bad


def _shape(fields: list[str], cols: list[str]) -> tuple[str, str]:
    """The reject column and reason of a row whose field count is not the header's ('' when it is)."""
    if len(fields) == len(cols):
        return "", ""
    reason = f"the row has {len(fields)} fields, the header has {len(cols)}"
    if len(fields) < len(cols):
        return cols[len(fields)], reason + f" (no value for {cols[len(fields)]} onwards)"
    return EXTRA_FIELDS, reason


def _tolerant_chunks(path: Path, cols: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    opener = gzip.open if path.name.endswith(".gz") else open
    rows: list[list[str]] = []
    shapes: list[str] = []
    shape_columns: list[str] = []
    numbers: list[int] = []

    def frame() -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=cols, dtype=object)
        df[SHAPE] = shapes
        df[SHAPE_COLUMN] = shape_columns
        df[ROW] = numbers
        return df

    try:
        with opener(path, "rt", encoding=CSV_ENCODING, errors="replace", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            for number, fields in enumerate(reader, CSV_HEADER_ROWS + 1):
                if not fields:
                    continue
                column, shape = _shape(fields, cols)
                fields = (fields + [""] * len(cols))[: len(cols)]
                rows.append(fields)
                shapes.append(shape)
                shape_columns.append(column)
                numbers.append(number)
                if len(rows) == chunk_rows:
                    yield frame()
                    rows, shapes, shape_columns, numbers = [], [], [], []
    except (OSError, EOFError, csv.Error) as exc:
        raise FileError(f"{path.name}: cannot be read ({exc}).") from exc
    if rows:
        yield frame()
