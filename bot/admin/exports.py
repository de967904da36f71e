"""Spreadsheet exports (CSV and xlsx) that a citizen's or a volunteer's text cannot turn into a
formula: every exporter writes its cells through `cell_value`.

A text that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return, possibly after spaces) gets a leading apostrophe in a CSV, which Excel and LibreOffice
read as text; in a workbook every text is a string cell, never a formula, shown as written
(a risky one marked "quote prefix", so that editing the cell keeps it text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def risky(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula."""
    return text.startswith(_FORMULA_START) or text.lstrip(" ").startswith(_FORMULA_START)


def cell_value(value: Any) -> Any:
    """`value` as it may be written to a CSV cell: numbers as they are, risky text quoted."""
    if isinstance(value, str) and risky(value):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a BOM, so that Excel opens the Vietnamese text as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([cell_value(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list[Any]]], widths: Sequence[float] = ()) -> bytes:
    """A workbook with one sheet per title; the first row of each is bold."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, table in sheets.items():
        sheet = workbook.create_sheet(title)
        for r, row in enumerate(table, start=1):
            for c, value in enumerate(row, start=1):
                text = isinstance(value, str)
                cell = sheet.cell(row=r, column=c, value=value if text else cell_value(value))
                if text:
                    # openpyxl takes any text starting with "=" for a formula otherwise.
                    cell.data_type = TYPE_STRING
                    cell.quotePrefix = risky(value)
                if r == 1:
                    cell.font = Font(bold=True)
        for column, width in zip("ABCDEFGH", widths, strict=False):
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
