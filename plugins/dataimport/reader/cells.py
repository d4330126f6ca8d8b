"""Cell values as the workbook reader gives them, and Excel's column and date arithmetic."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

__all__ = [
    "CONTROL_CHARACTERS",
    "CellError",
    "CellValue",
    "column_index",
    "column_letter",
    "excel_serial_to_date",
    "json_safe",
    "json_safe_column",
]

# The Excel error values a cell can hold (Excel 365 added the dynamic-array ones).
KNOWN_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
    "#EXTERNAL!", "#PYTHON!",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class CellError:
    """A cell that holds an error instead of a value; never to be taken for a blank cell.

    ``code`` is what Excel shows (``"#N/A"``, ``"#DIV/0!"`` ...), or :attr:`UNCALCULATED`
    for a formula saved without its calculated value (files written by programs that do
    not calculate formulas). Formulas are never evaluated by the reader.
    """

    code: str

    UNCALCULATED: ClassVar[str] = "#UNCALCULATED"

    @property
    def message(self) -> str:
        """What is wrong with the cell, for the person who filled the sheet in."""
        if self.code == self.UNCALCULATED:
            return (
                "the formula in this cell has no calculated value: open the file in Excel "
                "and save it again, or type the value in"
            )
        return f"the cell shows the error {self.code} instead of a value"

    def __str__(self) -> str:
        return self.code


CellValue: TypeAlias = (
    str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | CellError | None
)
"""One cell as the reader gives it. ``None`` is a blank cell; numbers with no fraction are ints."""


#: control characters no workbook can hold (Excel writes them escaped, as ``_x000B_``);
#: PostgreSQL's text cannot hold NUL either. Tab, line feed and carriage return are text.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

#: cell values JSON holds as they are (checked by exact type first: every cell comes here)
_PLAIN = frozenset({bool, int, float, str, type(None)})
_MOMENTS = frozenset({dt.date, dt.datetime, type(None)})


def json_safe(value: CellValue | dict) -> object:
    """A cell's value as staging keeps it (JSON).

    Dates become ISO text, error cells ``{"error": code}``.
    """
    if type(value) in _PLAIN:
        return value
    if isinstance(value, CellError):
        return {"error": value.code}
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


def json_safe_column(values: list) -> list:
    """:func:`json_safe` over a column (``values`` itself when JSON holds them all)."""
    kinds = set(map(type, values))
    if _PLAIN.issuperset(kinds):
        return values
    if _MOMENTS.issuperset(kinds):  # a date column as read
        return [None if value is None else value.isoformat() for value in values]
    return [json_safe(value) for value in values]


_COLUMN = re.compile(r"[A-Z]{1,3}")


def column_letter(index: int) -> str:
    """Excel's column name for a 1-based column index: 1 → ``A``, 28 → ``AB``."""
    if index < 1:
        raise ValueError(f"column index {index} is not 1 or more")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """The 1-based index of an Excel column name: ``A`` → 1, ``AB`` → 28."""
    if not _COLUMN.fullmatch(letters):
        raise ValueError(f"{letters!r} is not a column name")
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def excel_serial_to_date(serial: float, *, date1904: bool = False) -> dt.date | dt.datetime:
    """The date an Excel serial number stands for, in the workbook's date system.

    A date typed into a cell formatted as a number (or text) reaches the reader as a
    number; this turns it back into a date. Whole numbers give a :class:`~datetime.date`,
    numbers with a fraction a :class:`~datetime.datetime` (to the nearest millisecond).
    In the 1900 system serial 1 is 1900-01-01 and Excel's fictitious 1900-02-29 (serial
    60) is refused; in the 1904 system (old Mac workbooks) serial 0 is 1904-01-01.

    Raises:
        ValueError: the number stands for no date (below the epoch, or serial 60 in 1900).
    """
    if isinstance(serial, bool) or not isinstance(serial, int | float):
        raise TypeError(f"an Excel serial is a number, not {type(serial).__name__}")
    if date1904:
        if serial < 0:
            raise ValueError(f"{serial} is before 1904-01-01, the first date of the 1904 system")
        epoch = _EPOCH_1904
    else:
        if serial < 1:
            raise ValueError(f"{serial} is before 1900-01-01, the first date of the 1900 system")
        if 60 <= serial < 61:
            raise ValueError("serial 60 is 1900-02-29, a date that does not exist")
        # Excel counts the fictitious 1900-02-29, so serials below 60 are one day off.
        epoch = _EPOCH_1900 + dt.timedelta(days=1) if serial < 60 else _EPOCH_1900
    try:
        moment = epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))
    except OverflowError:
        raise ValueError(f"{serial} is past the last date Excel knows") from None
    if moment.year > 9999:
        raise ValueError(f"{serial} is past the last date Excel knows")
    if moment.time() == dt.time(0):
        return moment.date()
    return moment
