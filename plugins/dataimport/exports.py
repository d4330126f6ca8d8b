"""Exports of staging rows: the *Needs attention* workbook and CSV text, both made safe.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return before one) as a formula. Exports follow OWASP's advice on CSV
injection: such text is written with a leading apostrophe. In a CSV that is the
character ``'``; in an XLSX it is the cell's *quote prefix* (what Excel stores when a user
types ``'=…``): the cell is plain text, shows and reads back exactly as written, and
Excel keeps it text when it is edited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from onward import ImportField, ImportTarget, db, require
from onward.plugins.dataimport.config import setting, target_of
from onward.plugins.dataimport.models import DataImport, StagingRow
from onward.plugins.dataimport.reader.cells import CONTROL_CHARACTERS
from onward.plugins.dataimport.templates import (
    AUTHOR,
    HEADER_FILL,
    save,
    sheet_title,
    template_workbook,
    write_data_sheet,
)

#: the first characters that make a spreadsheet read text as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: the errors workbook's first column: the staging row's id, to match a re-upload back
ROW_COLUMN = "Row"
#: the errors workbook's column after the fields: every problem of the row
PROBLEMS_COLUMN = "Problems"
#: the errors workbook's last column: the file and row number the row was read from
SOURCE_COLUMN = "From"
#: the errors workbook's columns that a re-upload leaves alone
NOT_IMPORTED = (PROBLEMS_COLUMN, SOURCE_COLUMN)
PROBLEM_FILL = PatternFill("solid", fgColor="FFC7CE")
ROW_FILL = PatternFill("solid", fgColor="EDEDED")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: what a download's file name keeps: letters, digits, spaces and ``.()-_``
_UNSAFE = re.compile(r"[^\w .()-]+")


def formula_like(value: Any) -> bool:
    """Whether a spreadsheet would take ``value`` for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutral_text(value: Any) -> Any:
    """``value`` for a CSV cell: formula-like text gets a leading ``'``."""
    return f"'{value}" if formula_like(value) else value


def write_csv(stream: IO[str], rows: Iterable[Mapping[str, Any]], fields: Sequence[str]
              ) -> int:
    """Write ``rows`` (dicts by field) under a header of ``fields``; returns the rows written.

    Values are neutralised (:func:`neutral_text`); ``None`` is an empty cell.
    """
    writer = csv.writer(stream)
    writer.writerow([neutral_text(name) for name in fields])
    count = 0
    for row in rows:
        writer.writerow([_csv_value(row.get(name)) for name in fields])
        count += 1
    return count


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict) and "error" in value:
        return value["error"]
    if isinstance(value, list | dict):
        return neutral_text(str(value))
    return neutral_text(value)


def csv_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """``rows`` as CSV text (see :func:`write_csv`)."""
    out = io.StringIO()
    write_csv(out, rows, fields)
    return out.getvalue()


def set_cell(cell, value: Any) -> None:
    """Put ``value`` in an openpyxl cell as a value, never as a formula.

    Control characters no workbook holds show as ``�``.
    """
    if isinstance(value, str):
        value = CONTROL_CHARACTERS.sub("\ufffd", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would store text beginning with "=" as a formula
        if formula_like(value):
            cell.quotePrefix = True


def cell_value(item: ImportField, value: Any) -> Any:
    """A staging value as the errors workbook shows it: dates as dates, errors as codes."""
    if isinstance(value, dict) and "error" in value:
        return value["error"]
    if isinstance(value, str) and item.type in ("date", "datetime"):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return moment.date() if item.type == "date" and len(value) == 10 else moment
    return value


def errors_workbook(data_import: DataImport) -> bytes:
    """The import's *Needs attention* rows as an XLSX to fix and upload again.

    The columns are the target template's, after a ``Row`` column with each staging row's
    id (it matches the fixed rows back) and before a ``Problems`` column and a ``From``
    column (the file and row number the row was read from). A cell with a problem is
    highlighted and carries the problem as a comment.
    """
    require("read", data_import)
    target = target_of(data_import.target)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(target)
    write_data_sheet(sheet, target, first_column=2)
    fields = list(target.fields)
    problems_index = len(fields) + 2
    _header(sheet.cell(row=1, column=1, value=ROW_COLUMN),
            "Keep this column: it matches your fixes to the rows in Onward.")
    _header(sheet.cell(row=1, column=problems_index, value=PROBLEMS_COLUMN),
            "What to fix in the row; this column is not imported.")
    _header(sheet.cell(row=1, column=problems_index + 1, value=SOURCE_COLUMN),
            "The file and row the row was read from; this column is not imported.")
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions[get_column_letter(problems_index)].width = 70
    sheet.column_dimensions[get_column_letter(problems_index + 1)].width = 30
    files = data_import.file_names()
    positions = {item.name: index for index, item in enumerate(fields, start=2)}
    titles = {item.title: item.name for item in fields}
    stmt = (select(StagingRow).where(StagingRow.import_id == data_import.id,
                                     StagingRow.status == "needs_attention")
            .order_by(StagingRow.file_id, StagingRow.row_number, StagingRow.id)
            .execution_options(yield_per=setting("IMPORT_CHUNK_ROWS")))
    for number, row in enumerate(db.session.scalars(stmt), start=2):
        sheet.cell(row=number, column=1, value=row.id).fill = ROW_FILL
        for item in fields:
            set_cell(sheet.cell(row=number, column=positions[item.name]),
                     cell_value(item, row.values.get(item.name)))
        _mark_problems(sheet, number, row.problems, positions, titles)
        cell = sheet.cell(row=number, column=problems_index)
        set_cell(cell, "\n".join(problem["message"] for problem in row.problems))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        set_cell(sheet.cell(row=number, column=problems_index + 1),
                 f"{files.get(row.file_id, 'a removed file')}, row {row.row_number}")
    return save(workbook)


def _header(cell, note: str) -> None:
    cell.font = Font(bold=True)
    cell.fill = HEADER_FILL
    cell.comment = Comment(note, AUTHOR)


def _mark_problems(sheet, number: int, problems: list[dict[str, str]],
                   positions: dict[str, int], titles: dict[str, str]) -> None:
    """Highlight each problem's cell with the problem as its comment."""
    notes: dict[int, list[str]] = {}
    for problem in problems:
        name = problem.get("field") or titles.get(problem.get("column") or "", "")
        if name in positions:
            notes.setdefault(positions[name], []).append(problem["message"])
    for column, messages in notes.items():
        cell = sheet.cell(row=number, column=column)
        cell.fill = PROBLEM_FILL
        cell.comment = Comment("\n".join(messages), AUTHOR, width=300, height=120)


def safe_file_name(stem: str, suffix: str = ".xlsx") -> str:
    """``stem`` + ``suffix`` as a download's name: no separators, quotes or control codes."""
    cleaned = _UNSAFE.sub("_", stem).strip(" ._")[:100].strip()
    return (cleaned or "download") + suffix


def template_file_name(target: ImportTarget) -> str:
    """The template's file name, after the target: ``locations template.xlsx``."""
    return safe_file_name(f"{target.label.lower()} template")


def errors_file_name(data_import: DataImport) -> str:
    """The errors workbook's file name: ``<task number> needs attention.xlsx``."""
    return safe_file_name(f"{data_import.task.number} needs attention")


def template_download(target: ImportTarget) -> Response:
    """The target's XLSX template (:func:`~.templates.template_workbook`) as a download."""
    return xlsx_download(template_workbook(target), template_file_name(target))


def xlsx_download(content: bytes, name: str) -> Response:
    """An XLSX as an attachment named ``name``, never cached nor rendered by the browser."""
    response = send_file(io.BytesIO(content), mimetype=XLSX_TYPE, as_attachment=True,
                         download_name=name, etag=False, conditional=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
