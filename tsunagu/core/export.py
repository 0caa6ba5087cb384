"""Spreadsheet exports that cannot run formulas (CSV/formula injection).

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return (or their
full-width forms, which Japanese spreadsheet software may also read as a formula) is a formula
to Excel and LibreOffice: `=HYPERLINK("http://…?"&A1,"…")` in a name field would leak the
sheet, `=cmd|…` would run a program. Every such cell written from data gets a leading
apostrophe, the spreadsheet convention for "this is text", as OWASP recommends. Numbers that
the program itself writes (ints, floats) are left alone; only text is changed.

Use `SafeCsvWriter` / `SafeDictWriter` in place of `csv.writer` / `csv.DictWriter`, and
`spreadsheet_safe` for each value put into an openpyxl cell (openpyxl stores a string that
starts with `=` as a formula).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_safe(value: object) -> object:
    """`value`, with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose every text cell is passed through `spreadsheet_safe`."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter[str]):
    """`csv.DictWriter` whose every text cell is passed through `spreadsheet_safe`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: spreadsheet_safe(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def csv_download(
    filename: str, header: Iterable[object], rows: Iterable[Iterable[object]]
) -> HttpResponse:
    """A CSV file to download: UTF-8 with a BOM (Excel opens it correctly), formula-safe cells."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = SafeCsvWriter(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
