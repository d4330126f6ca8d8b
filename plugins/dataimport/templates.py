"""The XLSX template of an import target: the sheet a customer fills in, and how to fill it.

The data sheet comes first, named after the target: one column per importable field,
titled as :func:`~.mapping.match_columns` matches it, required ones in bold with a
"Required" note; drop-down lists for choices and yes/no fields, date formats and checks on
date columns, length and number checks. An *Instructions* sheet after it lists every
column (the reader never takes it for the data), and a hidden *Lists* sheet holds the
drop-down values (a list typed into a check is limited to 255 characters).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from onward import ImportField, ImportTarget

#: the last row the templates' column checks reach (Excel's last row)
LAST_ROW = 1_048_576
AUTHOR = "Onward"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
DATE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
TYPE_NAMES = {"string": "text", "text": "text", "email": "email address",
              "integer": "whole number", "decimal": "number", "boolean": "yes or no",
              "date": "date (yyyy-mm-dd)", "datetime": "date and time (yyyy-mm-dd hh:mm)",
              "choice": "one of a list", "reference": "name of a record"}
BOOLEAN_LABELS = ("Yes", "No")
LISTS_SHEET = "Lists"
INSTRUCTIONS_SHEET = "Instructions"


def sheet_title(target: ImportTarget) -> str:
    """The data sheet's name: the target's label, as Excel allows it (31 characters)."""
    return re.sub(r"[\[\]:*?/\\]", " ", target.label).strip()[:31] or "Data"


def _words(model_name: str) -> str:
    name = model_name.removeprefix("Onboarding")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def reference_text(item: ImportField) -> str:
    """What a reference cell names, e.g. ``the name of a location of this account``."""
    reference = item.reference
    if reference is None:
        return ""
    model = reference.model
    noun = _words(model.__name__)
    article = "an" if noun[:1] in "aeiou" else "a"
    scoped = getattr(model, "__account_column__", "id") != "id"
    where = "of this account" if scoped else "in the catalogue"
    return f"the {reference.field.replace('_', ' ')} of {article} {noun} {where}"


def _range_text(item: ImportField) -> str:
    """The numbers a field takes, e.g. ``-32,768 to 32,767`` (empty when any)."""
    low, high = item.minimum, item.maximum
    if low is not None and high is not None:
        return f"{low:,} to {high:,}"
    if low is not None:
        return f"at least {low:,}"
    return "" if high is None else f"at most {high:,}"


def describe(item: ImportField) -> dict[str, str]:
    """One field as the instructions list it: type, required, limits, choices, reference."""
    choices = (", ".join(item.choices.values()) if item.type == "choice"
               else " or ".join(BOOLEAN_LABELS) if item.type == "boolean" else "")
    return {"Column": item.title, "Type": TYPE_NAMES.get(item.type, item.type),
            "Required": "yes" if item.required else "no",
            "Max length": str(item.max_length or ""), "Range": _range_text(item),
            "Choices": choices,
            "Names": reference_text(item), "Description": item.description}


class _Lists:
    """The hidden sheet holding drop-down values, one column per list."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.sheet: Worksheet | None = None
        self.known: dict[tuple[str, ...], str] = {}

    def range_of(self, values: Sequence[str]) -> str:
        key = tuple(values)
        if key not in self.known:
            if self.sheet is None:
                self.sheet = self.workbook.create_sheet(LISTS_SHEET)
                self.sheet.sheet_state = "hidden"
            column = get_column_letter(len(self.known) + 1)
            for row, value in enumerate(values, start=1):
                self.sheet[f"{column}{row}"] = value
            self.known[key] = (f"{quote_sheetname(LISTS_SHEET)}!${column}$1:"
                               f"${column}${len(values)}")
        return self.known[key]


def _check(item: ImportField, lists: _Lists) -> DataValidation | None:
    """The Excel data check of ``item``'s column (``None``: no check fits)."""
    kind = item.type
    if kind in ("choice", "boolean"):
        values = list(item.choices.values()) if kind == "choice" else list(BOOLEAN_LABELS)
        check = DataValidation("list", formula1=lists.range_of(values), allow_blank=True)
        check.error = f"Choose one of: {', '.join(values)}."
    elif kind in DATE_FORMATS:
        check = DataValidation("date", operator="greaterThan", formula1="1",
                               allow_blank=True)
        check.error = f"Enter a {TYPE_NAMES[kind]}."
    elif kind in ("integer", "decimal"):
        low = -1e15 if item.minimum is None else item.minimum
        high = 1e15 if item.maximum is None else item.maximum
        check = DataValidation("whole" if kind == "integer" else "decimal",
                               operator="between", formula1=repr(low), formula2=repr(high),
                               allow_blank=True)
        check.error = f"Enter a {TYPE_NAMES[kind]} from {low:,} to {high:,}."
    elif item.max_length and kind in ("string", "text", "email"):
        check = DataValidation("textLength", operator="lessThanOrEqual",
                               formula1=str(item.max_length), allow_blank=True)
        check.error = f"At most {item.max_length} characters fit."
    else:
        return None
    check.errorTitle = item.title
    check.showErrorMessage = True
    return check


def _width(item: ImportField) -> float:
    longest = max([len(item.title) + 4, 14, *(len(label) + 3 for label in
                                              item.choices.values())])
    return float(min(longest, 50))


def write_data_sheet(sheet: Worksheet, target: ImportTarget, *, first_column: int = 1
                     ) -> None:
    """Give ``sheet`` the target's header row, widths, formats and checks.

    The fields start at ``first_column`` (the errors workbook puts its row id first).
    """
    lists = _Lists(sheet.parent)
    for offset, item in enumerate(target.fields):
        index = first_column + offset
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=item.title)
        cell.font = Font(bold=item.required)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top")
        note = "Required." if item.required else "Optional."
        hint = reference_text(item) or TYPE_NAMES.get(item.type, item.type)
        cell.comment = Comment(f"{note} {hint[:1].upper()}{hint[1:]}.", AUTHOR)
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(item)
        if item.type in DATE_FORMATS:
            dimension.number_format = DATE_FORMATS[item.type]
        check = _check(item, lists)
        if check is not None:
            sheet.add_data_validation(check)
            check.add(f"{letter}2:{letter}{LAST_ROW}")
    sheet.freeze_panes = "A2"


def _instructions(sheet: Worksheet, target: ImportTarget) -> None:
    sheet.append([f"How to fill in the {target.label} template"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"Fill in one row per record on the sheet {sheet_title(target)!r}, below "
                  "its header; keep the column titles. Bold columns are required."])
    sheet.append([])
    rows = [describe(item) for item in target.fields]
    sheet.append(list(rows[0]))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row.values()))
    for index, width in enumerate((28, 30, 10, 12, 40, 45, 50), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def save(workbook: Workbook) -> bytes:
    """The workbook's XLSX bytes."""
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_workbook(target: ImportTarget) -> bytes:
    """The XLSX template of ``target``: its data sheet, then the instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(target)
    write_data_sheet(sheet, target)
    _instructions(workbook.create_sheet(INSTRUCTIONS_SHEET, index=1), target)
    return save(workbook)
