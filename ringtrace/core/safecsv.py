"""CSV that a spreadsheet opens as data: cells it would evaluate as formulas are neutralised.

OWASP's rule for CSV injection: a text cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets
show it as text. Numbers (and text that is exactly a plain number) are left as they are.
Every CSV ringtrace writes goes through this module.
"""
from __future__ import annotations

import csv
import re
from typing import Any, Iterable, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet should show it: text that would run as a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class Writer:
    """`csv.writer` whose rows are neutralised."""

    def __init__(self, fh: TextIO, **kwargs: Any) -> None:
        self._w = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._w.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class DictWriter(csv.DictWriter):
    """`csv.DictWriter` whose header and values are neutralised."""

    def writeheader(self) -> Any:
        return self.writer.writerow([neutralise(f) for f in self.fieldnames])

    def writerow(self, rowdict: dict[str, Any]) -> Any:
        return super().writerow({k: neutralise(v) for k, v in rowdict.items()})


def writer(fh: TextIO, **kwargs: Any) -> Writer:
    return Writer(fh, **kwargs)


def frame_to_csv(frame: Any, target: Any) -> None:
    """Write a pandas DataFrame as CSV with every text cell and header neutralised."""
    safe = frame.map(neutralise) if len(frame) else frame.copy()
    safe.columns = [neutralise(str(c)) for c in frame.columns]
    safe.to_csv(target, index=False)
