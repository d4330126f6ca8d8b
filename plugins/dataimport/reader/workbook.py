"""Read the data table of an uploaded XLSX workbook: safely, fast, and a chunk at a time.

The import plugin's one entry to workbooks::

    from onward.plugins.dataimport.reader.workbook import read, WorkbookRefused

    with read(path, max_bytes=settings_limit) as table:
        table.sheet_name, table.header_row, table.headers
        for chunk in table.chunks():       # lists of at most chunk_size rows
            for row in chunk:
                row.number, row.values     # Excel's row number; one value per header

How a workbook is read:

- :func:`~.upload.check_upload` runs first: nothing parses a file that is not a real,
  safe XLSX. Then :func:`~.sheetscan.scan_sheet` streams the sheet's XML once for what
  the engines lose: error cells, formulas without a value, merged cells, and the last
  row with content.
- The data sheet: the named ``sheet``, or else the first visible worksheet that holds
  a table, where a sheet named like instructions ("Instructions", "Read me", "Help",
  "How to" ...) is only tried after the others and a sheet without a table (text
  only, or empty) is passed over.
- The header row: among the sheet's first ten non-empty rows, the first made of text
  only, at least two cells, that reaches at least as far right as every row after it
  in those ten (title rows above a table are shorter); failing that, the first row of
  two or more text cells. Merged header cells, blank header cells between labels and
  duplicate labels (compared without case) are refused; so is a sheet with a header
  and no data (unless ``header_only``: templates). Labels are stripped of surrounding
  spaces.
- Data rows: every row below the header with some content, one value per header
  column (cells right of the last label are not read). Values are ``str``, ``int``
  (a number without fraction), ``float``, ``bool``, ``date`` (a date cell at
  midnight), ``datetime``, ``time``, ``timedelta``, ``None`` for a blank cell or an
  empty string, and :class:`~.cells.CellError` for a formula error (``#N/A`` ...) or a
  formula saved without its calculated value (``CellError.UNCALCULATED``). Formulas
  are never evaluated: the value Excel saved is read. Text is left as typed (no
  stripping) and numbers or text in a date column stay numbers or text:
  :func:`~.cells.excel_serial_to_date` turns a serial into a date later.
- Dates come out right in both the 1900 and the 1904 date systems.
- Reading stops at the last row with content, however large the declared dimension.

Engines: python-calamine (``"calamine"``) is fast but holds the whole sheet in its own
memory (about 90 MB per 100,000 rows of 12 columns; see ``bench/reader_bench.py``),
rows then reach Python a chunk at a time; openpyxl (``"openpyxl"``, read-only, cached
values) streams the sheet and is the reference path, some 15-25 times slower.
``"auto"`` takes calamine, and starts it while the scan runs, unless the sheet part is
larger than ``calamine_max_rows`` rows of 1 KB (by default every sheet Excel can hold
passes: lower it where memory is short) or declares far more rows than its size holds
(under 100 bytes a row: formatted empty rows). Such a sheet is scanned first and goes
to openpyxl when it has more than ``calamine_max_rows`` rows, or when its empty rows
after the data outnumber its data rows 400 to 1 (openpyxl stops at the last row with
content, where calamine parses every empty row).
A sheet or shared strings part not in UTF-8 (rare: UTF-16) always goes to openpyxl,
whatever the ``engine``, as python-calamine would read it as empty. Both engines give
the same rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from typing import Literal, NamedTuple, Self

import openpyxl
import python_calamine
from openpyxl.utils.escape import unescape

from .cells import CellError, CellValue, column_letter, excel_serial_to_date
from .sheetscan import CellRange, SheetScan, declared_rows, is_utf8, scan_sheet
from .upload import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_COMPRESSION_RATIO,
    DEFAULT_MAX_UNCOMPRESSED_BYTES,
    SheetInfo,
    WorkbookInfo,
    WorkbookRefused,
    check_upload,
)

__all__ = [
    "DEFAULT_CALAMINE_MAX_ROWS",
    "DEFAULT_CHUNK_SIZE",
    "CellError",
    "CellValue",
    "Row",
    "SheetInfo",
    "SheetTable",
    "WorkbookInfo",
    "WorkbookRefused",
    "check_upload",
    "excel_serial_to_date",
    "read",
]

Engine = Literal["auto", "calamine", "openpyxl"]

DEFAULT_CHUNK_SIZE = 1000
# calamine holds the whole sheet: about 0.9 GB of RSS per million rows of 12 columns.
# The default sends every sheet Excel can hold (1,048,576 rows) to calamine.
DEFAULT_CALAMINE_MAX_ROWS = 1_048_576
HEADER_SEARCH_ROWS = 10
# openpyxl reads a row of data some 400 times slower than calamine skips an empty row:
# with "auto", a sheet goes to openpyxl (which stops at the last row with content) only
# when its formatted empty rows after the data outnumber its rows that much.
EMPTY_TAIL_MIN_BYTES = 4 * 1024 * 1024
EMPTY_ROW_BYTES = 64
EMPTY_ROWS_PER_DATA_ROW = 400
# With "auto", python-calamine loads the sheet while the scan runs (hiding the scan's
# time) when the sheet part is under this size, under this many bytes per row allowed
# by calamine_max_rows (a row of 12 columns takes about 600 bytes of XML), and not
# declared far larger than it is (this few bytes per declared row: mostly empty rows).
CALAMINE_EARLY_MAX_BYTES = DEFAULT_MAX_UNCOMPRESSED_BYTES
CALAMINE_EARLY_ROW_BYTES = 1024
SPARSE_DECLARED_ROW_BYTES = 100

# Sheet names that say "how to fill this in", at the start of the name.
_INSTRUCTIONS = re.compile(
    r"\s*(instructions?|read[\s_-]*me|help|guide|how[\s_-]*to|about|notes|info(rmation)?|"
    r"legend|anleitung|hinweise?|lisez[\s_-]*moi|mode d.emploi|instrucciones|istruzioni)\b",
    re.IGNORECASE,
)


class Row(NamedTuple):
    """A data row: its row number in Excel (1-based) and one value per header column."""

    number: int
    values: tuple[CellValue, ...]


class SheetTable:
    """The table :func:`read` found: its sheet, header, and its data rows a chunk at a time.

    The rows can be iterated once. Close the table (or use it as a context manager)
    when done; iterating to the end closes it too.
    """

    def __init__(
        self,
        *,
        info: WorkbookInfo,
        sheet: SheetInfo,
        engine: str,
        header_row: int,
        first_column: int,
        headers: tuple[str, ...],
        header_hint: str,
        pending: list[Row],
        source: Iterator[tuple[int, Sequence[object]]],
        closer: _Closer,
        scan: SheetScan,
        chunk_size: int,
        skipped_sheets: tuple[str, ...],
    ):
        self.sheet_name = sheet.name
        """The data sheet's name."""
        self.header_row = header_row
        """The header's row number in Excel (1-based)."""
        self.first_column = first_column
        """The 1-based column of the first header label (1 for column ``A``)."""
        self.headers = headers
        """The header labels, stripped, left to right."""
        self.header_hint = header_hint
        """Where a row above the header mixes labels with cells that are not text, a hint
        naming them (if that row is the real header, the one found is data), else ``""``."""
        self.date1904 = info.date1904
        """The workbook's date system: pass it to :func:`~.cells.excel_serial_to_date`."""
        self.engine = engine
        """``"calamine"`` or ``"openpyxl"``: the engine reading the rows."""
        self.skipped_sheets = skipped_sheets
        """The other visible worksheets (instructions, sheets without a table ...), by name."""
        self.chunk_size = chunk_size
        self._pending = pending
        self._source = source
        self._closer = closer
        self._scan = scan
        self._started = False

    @property
    def last_row(self) -> int:
        """The last row holding a cell, as the sheet's scan found it (0 when unknown)."""
        return self._scan.last_row or 0

    @property
    def columns(self) -> tuple[str, ...]:
        """The Excel column names of the headers (``"A"``, ``"B"`` ...), for messages."""
        return tuple(column_letter(self.first_column + i) for i in range(len(self.headers)))

    def chunks(self) -> Iterator[list[Row]]:
        """The data rows, in lists of at most ``chunk_size``; empty rows are left out.

        Raises:
            WorkbookRefused: the rest of the sheet turns out to be damaged.
        """
        if self._started:
            raise RuntimeError("the rows of a SheetTable can be read once")
        self._started = True
        chunk: list[Row] = []
        try:
            for row in itertools.chain(self._pending, self._rows()):
                chunk.append(row)
                if len(chunk) >= self.chunk_size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
        finally:
            self._pending = []
            self.close()

    def rows(self) -> Iterator[Row]:
        """The data rows one by one (chunked underneath)."""
        for chunk in self.chunks():
            yield from chunk

    def _rows(self) -> Iterator[Row]:
        width = len(self.headers)
        lo = self.first_column - 1
        hi = lo + width
        errors = self._scan.errors
        last_row = self._scan.last_row or 0
        padding = (None,) * width
        try:
            for number, raw in self._source:
                if number > last_row:
                    break
                values = _normalise(raw[lo:hi])
                if len(values) < width:
                    values += padding[len(values) :]
                if number in errors:
                    values = _with_errors(values, errors[number], lo, width)
                if values.count(None) == width:
                    continue
                yield Row(number, tuple(values))
        except WorkbookRefused:
            raise
        except Exception as error:
            raise _unreadable(self.sheet_name, error) from error

    def close(self) -> None:
        """Release the workbook (calamine's copy of the sheet, openpyxl's open file)."""
        self._source = iter(())
        self._closer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    engine: Engine = "auto",
    calamine_max_rows: int = DEFAULT_CALAMINE_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    header_only: bool = False,
) -> SheetTable:
    """Check an uploaded workbook, find its data table and get ready to read its rows.

    Only the header and the first data row are read here; the rest come from
    :meth:`SheetTable.chunks`. See the module's docstring for the rules.

    Args:
        path: the uploaded file.
        sheet: the data sheet's name (hidden sheets included); ``None`` to find it.
        chunk_size: rows per chunk.
        engine: ``"auto"``, ``"calamine"`` or ``"openpyxl"``.
        calamine_max_rows: with ``"auto"``, sheets with more rows are read by openpyxl.
        max_bytes: the upload size limit (a setting).
        max_uncompressed_bytes: the limit on the unzipped size (zip bombs).
        max_compression_ratio: the limit on a part's compression ratio (zip bombs).
        header_only: accept a sheet with a header and no data (an import template).

    Raises:
        WorkbookRefused: the file or its table is refused; the message says why.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be 1 or more")
    if engine not in ("auto", "calamine", "openpyxl"):
        raise ValueError(f"unknown engine {engine!r}")
    info = check_upload(
        path,
        max_bytes=max_bytes,
        max_uncompressed_bytes=max_uncompressed_bytes,
        max_compression_ratio=max_compression_ratio,
    )
    candidates, explicit = _candidates(info, sheet)
    no_table: dict[str, str] = {}  # sheet name -> what came closest to a header
    with zipfile.ZipFile(info.path) as archive:
        utf8 = _verify_shared_parts(archive, info)
        for candidate in candidates:
            closer = _Closer()
            try:
                chosen, scan, source = _open_sheet(
                    engine, archive, info, candidate, calamine_max_rows, closer, utf8
                )
                table = _find_table(candidate, scan, source, explicit, header_only)
            except _NoTable as missing:
                closer.close()
                no_table[candidate.name] = missing.hint
                continue
            except BaseException:
                closer.close()
                raise
            header_row, first_column, headers, pending, hint = table
            return SheetTable(
                info=info,
                sheet=candidate,
                engine=chosen,
                header_row=header_row,
                first_column=first_column,
                headers=headers,
                header_hint=hint,
                pending=pending,
                source=source,
                closer=closer,
                scan=scan,
                chunk_size=chunk_size,
                skipped_sheets=tuple(
                    s.name for s in info.sheets
                    if s.kind == "worksheet" and s.visible and s is not candidate
                ),
            )
    raise _no_table(no_table)


def _candidates(info: WorkbookInfo, sheet: str | None) -> tuple[list[SheetInfo], bool]:
    if sheet is not None:
        found = info.sheet(sheet)
        if found is None or found.kind != "worksheet":
            names = ", ".join(repr(s.name) for s in info.sheets if s.kind == "worksheet")
            raise WorkbookRefused(
                "no_such_sheet", f"The workbook has no sheet named {sheet!r}; its sheets: {names}."
            )
        return [found], True
    visible = [s for s in info.sheets if s.kind == "worksheet" and s.visible]
    if not visible:
        raise WorkbookRefused(
            "no_sheet", "The workbook has no visible worksheet: unhide the sheet to import."
        )
    plain = [s for s in visible if not _INSTRUCTIONS.match(s.name)]
    return plain + [s for s in visible if s not in plain], False


def _open_sheet(
    engine: Engine,
    archive: zipfile.ZipFile,
    info: WorkbookInfo,
    sheet: SheetInfo,
    calamine_max_rows: int,
    closer: _Closer,
    utf8: bool,
) -> tuple[str, SheetScan, Iterator[tuple[int, Sequence[object]]]]:
    """Scan the sheet and open it with the engine for it; returns (engine, scan, rows).

    python-calamine parses without the GIL, so when it will read the sheet anyway (asked
    for, or, with ``"auto"``, a sheet part small enough for ``calamine_max_rows``) it
    loads in a thread while the scan runs.
    """
    size = archive.getinfo(sheet.part).file_size
    early = engine == "calamine" or (
        engine == "auto"
        and size <= min(CALAMINE_EARLY_MAX_BYTES, calamine_max_rows * CALAMINE_EARLY_ROW_BYTES)
        and size >= (declared_rows(archive, sheet.part) or 0) * SPARSE_DECLARED_ROW_BYTES
    )
    if not early:
        scan = scan_sheet(archive, sheet.part)
        chosen = _choose_engine(engine, scan, calamine_max_rows, utf8)
        return chosen, scan, _open_source(chosen, info, sheet, closer)
    loading = _Background(_calamine_load, info.path, sheet.name)
    try:
        scan = scan_sheet(archive, sheet.part)
    finally:
        loaded = loading.wait()
    if not (scan.utf8 and utf8):
        return "openpyxl", scan, _open_source("openpyxl", info, sheet, closer)
    try:
        return "calamine", scan, _calamine_rows(loaded.result())
    except WorkbookRefused:
        raise
    except Exception as error:
        raise _unreadable(sheet.name, error) from error


class _Background:
    """A function run in a thread; :meth:`wait` for it, then :meth:`result` re-raises."""

    def __init__(self, function: Callable[..., object], *args: object):
        self._value: object = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(function, args), name="onward-calamine-load", daemon=True
        )
        self._thread.start()

    def _run(self, function: Callable[..., object], args: tuple) -> None:
        try:
            self._value = function(*args)
        except BaseException as error:  # handed to the caller by result()
            self._error = error

    def wait(self) -> _Background:
        self._thread.join()
        return self

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value


def _choose_engine(engine: Engine, scan: SheetScan, calamine_max_rows: int, utf8: bool) -> str:
    if not (scan.utf8 and utf8):
        return "openpyxl"  # python-calamine reads UTF-8 parts only, and says nothing
    if engine != "auto":
        return engine
    if (scan.last_row or 0) > calamine_max_rows:
        return "openpyxl"
    empty_rows = scan.tail // EMPTY_ROW_BYTES
    if scan.tail > EMPTY_TAIL_MIN_BYTES and empty_rows > EMPTY_ROWS_PER_DATA_ROW * (
        scan.last_row or 0
    ):
        return "openpyxl"
    return "calamine"


def _verify_shared_parts(archive: zipfile.ZipFile, info: WorkbookInfo) -> bool:
    """Stream the parts every sheet needs, held to their declared sizes, before an engine does.

    Returns whether they are UTF-8, the only encoding python-calamine reads.
    """
    utf8 = True
    for name in ("xl/sharedStrings.xml", "xl/styles.xml"):
        if name not in info.parts:
            continue
        try:
            with archive.open(name) as part:
                utf8 = utf8 and is_utf8(part.read(256))
                while part.read(1024 * 1024):
                    pass
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            raise WorkbookRefused(
                "damaged",
                f"The part {name} of the file is damaged ({error}). Save the workbook again "
                "from Excel, or upload it again.",
            ) from None
    return utf8


# --- engines -----------------------------------------------------------------------------


class _Closer:
    def __init__(self) -> None:
        self._actions: list = []

    def add(self, action) -> None:
        self._actions.append(action)

    def close(self) -> None:
        while self._actions:
            with suppress(Exception):
                self._actions.pop()()


def _open_source(
    engine: str, info: WorkbookInfo, sheet: SheetInfo, closer: _Closer
) -> Iterator[tuple[int, Sequence[object]]]:
    """(row number, values from column A) for the sheet's rows, from the chosen engine."""
    try:
        if engine == "calamine":
            return _calamine_rows(_calamine_load(info.path, sheet.name))
        return _openpyxl_rows(info, sheet, closer)
    except WorkbookRefused:
        raise
    except Exception as error:
        raise _unreadable(sheet.name, error) from error


def _calamine_load(path: str, name: str) -> python_calamine.CalamineSheet:
    with python_calamine.load_workbook(path) as workbook:
        return workbook.get_sheet_by_name(name)


def _calamine_rows(
    data: python_calamine.CalamineSheet,
) -> Iterator[tuple[int, Sequence[object]]]:
    if data.start is None:
        return iter(())
    first_row, first_col = data.start
    rows = data.iter_rows()
    head = next(rows, None)
    if head is None:
        return iter(())
    # Rows start at the first row with data, columns at the first column with data; some
    # python-calamine versions start rows at row 1 instead (python-calamine issue #177).
    # Above the first row with data every row is empty, which tells the two apart.
    if first_row and not any(v != "" for v in head):
        first_row = 0
    rows = itertools.chain((head,), rows)
    if first_col:
        pad = [""] * first_col
        return ((first_row + i, pad + row) for i, row in enumerate(rows, 1))
    return ((first_row + i, row) for i, row in enumerate(rows, 1))


def _openpyxl_rows(
    info: WorkbookInfo, sheet: SheetInfo, closer: _Closer
) -> Iterator[tuple[int, Sequence[object]]]:
    if not openpyxl.DEFUSEDXML:
        raise RuntimeError("openpyxl must parse XML with defusedxml: install defusedxml")
    workbook = openpyxl.load_workbook(info.path, read_only=True, data_only=True)
    closer.add(workbook.close)
    worksheet = workbook[sheet.name]
    # The declared dimension may be too small (rows would be lost) or far too large.
    worksheet.reset_dimensions()
    rows = worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
    return enumerate(map(_unescaped, rows), 1)


def _unescaped(values: Sequence[object]) -> Sequence[object]:
    """A row of openpyxl's with Excel's character escapes (``_x000B_``) decoded.

    python-calamine decodes them; openpyxl leaves them as written (and, in shared strings,
    drops the ``x005F_`` that keeps a literal ``_x0041_`` from being decoded).
    """
    if not any(v.__class__ is str and "_x" in v for v in values):
        return values
    return [unescape(v) if v.__class__ is str and "_x" in v else v for v in values]


# --- values ------------------------------------------------------------------------------

_MAX_EXACT_FLOAT = 2.0**53


def _normalise(values: Sequence[object]) -> list:
    """Both engines' values in one vocabulary: blanks None, whole numbers int, midnight date.

    Numbers are what Excel holds, doubles: a whole number beyond 2**53 (which openpyxl
    reads as an int from the digits some writers put in the file) is a float, as
    python-calamine reads it.
    """
    out = []
    append = out.append
    for v in values:
        kind = v.__class__
        if kind is str:
            append(v or None)
        elif kind is float:
            append(int(v) if v.is_integer() and -_MAX_EXACT_FLOAT < v < _MAX_EXACT_FLOAT else v)
        elif kind is int and not -_MAX_EXACT_FLOAT < v < _MAX_EXACT_FLOAT:
            append(float(v))
        elif kind is dt.datetime and not (v.hour or v.minute or v.second or v.microsecond):
            append(v.date())
        else:
            append(v)
    return out


def _with_errors(values: list, errors: dict[int, CellError], lo: int, width: int) -> list:
    for column, error in errors.items():
        if lo <= column < lo + width:
            values[column - lo] = error
    return values


# --- the table: sheet, header, first rows ----------------------------------------------


class _NoTable(Exception):
    """A sheet holds no table.

    ``hint`` names what kept its first row of labels from being the header (or is empty).
    """

    def __init__(self, hint: str = ""):
        super().__init__(hint)
        self.hint = hint


def _find_table(
    sheet: SheetInfo,
    scan: SheetScan,
    source: Iterator[tuple[int, Sequence[object]]],
    explicit: bool,
    header_only: bool = False,
) -> tuple[int, int, tuple[str, ...], list[Row], str]:
    """Header row, first column, labels, first data row(s), and a hint about the rows above.

    Raises :class:`_NoTable` when the sheet holds none (a :class:`WorkbookRefused` for
    the sheet asked for by name).
    """
    window: list[tuple[int, list]] = []
    last_row = scan.last_row or 0
    try:
        for number, raw in source:
            if number > last_row:
                break
            values = _normalise(raw)
            if number in scan.errors:
                errors = scan.errors[number]
                values += [None] * (max(errors) + 1 - len(values))
                values = _with_errors(values, errors, 0, len(values))
            if any(v is not None for v in values):
                window.append((number, values))
                if len(window) >= HEADER_SEARCH_ROWS:
                    break
    except WorkbookRefused:
        raise
    except Exception as error:
        raise _unreadable(sheet.name, error) from error
    if not window:
        if explicit:
            raise WorkbookRefused("empty_sheet", f"The sheet {sheet.name!r} is empty.")
        raise _NoTable()
    index = _header_index(window)
    if index is None:
        hint = _not_text(window)
        if explicit:
            raise WorkbookRefused(
                "no_header",
                f"No header row was found in the sheet {sheet.name!r}: the first rows should "
                "be one row of column labels (text), with the data below it."
                + (f" {hint}" if hint else ""),
            )
        raise _NoTable(hint)
    number, cells = window[index]
    first, last = _span(cells)
    _check_merges(sheet, number, scan.merged)
    labels = [cells[i] for i in range(first, last + 1)]
    _check_labels(sheet, number, first, labels)
    headers = tuple(label.strip() for label in labels)
    width = len(headers)
    pending = []
    for row_number, values in window[index + 1 :]:
        values = values[first : first + width]
        values += [None] * (width - len(values))
        if any(v is not None for v in values):
            pending.append(Row(row_number, tuple(values)))
    if not pending and not header_only:
        _require_data(sheet, number, first, width, source, pending, last_row, scan)
    return number, first + 1, headers, pending, _not_text(window[:index])


def _require_data(sheet, number, first, width, source, pending, last_row, scan) -> None:
    """The window held no data row: read on to the first one, or refuse a header-only sheet."""
    for row_number, raw in source:
        if row_number > last_row:
            break
        values = _normalise(raw[first : first + width])
        values += [None] * (width - len(values))
        if row_number in scan.errors:
            values = _with_errors(values, scan.errors[row_number], first, width)
        if any(v is not None for v in values):
            pending.append(Row(row_number, tuple(values)))
            return
    raise WorkbookRefused(
        "header_only",
        f"The sheet {sheet.name!r} has a header (row {number}) but no data rows below it.",
    )


def _is_label(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _right_edge(values: list) -> int:
    return max((i for i, v in enumerate(values) if v is not None), default=-1)


def _header_index(window: list[tuple[int, list]]) -> int | None:
    def text_row(values: list) -> bool:  # a header's error cell is a label gone wrong
        filled = [v for v in values if v is not None]
        return (len(filled) >= 2 and any(map(_is_label, filled))
                and all(_is_label(v) or isinstance(v, CellError) for v in filled))

    edges = [_right_edge(values) for _, values in window]
    for index, (_, values) in enumerate(window):
        if text_row(values) and all(edges[index] >= edge for edge in edges[index + 1 :]):
            return index
    for index, (_, values) in enumerate(window):
        if text_row(values):
            return index
    return None


def _not_text(window: list[tuple[int, list]]) -> str:
    """A hint naming the cells that are not text in the first row that mixes them with labels.

    Such a row may be a header with a year typed as a number; ``""`` where there is none.
    """
    for number, values in window:
        cells = [f"{column_letter(i + 1)}{number} ({_shown(v)})"
                 for i, v in enumerate(values) if v is not None and not _is_label(v)]
        if cells and any(map(_is_label, values)):
            return (f"Row {number} has cells that are not text: {', '.join(cells)}. Column "
                    "labels must be text (in Excel, type a number label as '2024).")
    return ""


def _shown(value: object) -> str:
    """A cell's value as Excel shows it, near enough for a message."""
    if isinstance(value, CellError):
        return value.code
    if isinstance(value, bool):
        return str(value).upper()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _span(values: list) -> tuple[int, int]:
    filled = [i for i, v in enumerate(values) if v is not None]
    return filled[0], filled[-1]


def _check_merges(sheet: SheetInfo, number: int, merged: tuple[CellRange, ...]) -> None:
    touching = [str(r) for r in merged if r.touches_row(number)]
    if touching:
        raise WorkbookRefused(
            "merged_header",
            f"The header row (row {number}) of the sheet {sheet.name!r} has merged cells "
            f"({', '.join(touching)}). Unmerge them so that each column has its own label.",
        )


def _check_labels(sheet: SheetInfo, number: int, first: int, labels: list) -> None:
    errors = [f"{column_letter(first + 1 + i)}{number}: {v.message}"
              for i, v in enumerate(labels) if isinstance(v, CellError)]
    if errors:
        raise WorkbookRefused(
            "header_error",
            f"The header row (row {number}) of the sheet {sheet.name!r} has no label in "
            f"{'; '.join(errors)}. Type the labels in, or fix the formulas that give them.",
        )
    blanks = [
        f"{column_letter(first + 1 + i)}{number}" for i, v in enumerate(labels) if not _is_label(v)
    ]
    if blanks:
        raise WorkbookRefused(
            "blank_header",
            f"The header row (row {number}) of the sheet {sheet.name!r} has cells without a "
            f"label between its labels ({', '.join(blanks)}). Give every column a label, or "
            "delete the empty column.",
        )
    seen: dict[str, list[str]] = {}
    for i, label in enumerate(labels):
        seen.setdefault(label.strip().casefold(), []).append(column_letter(first + 1 + i))
    duplicates = [
        f"{labels[_first_index(labels, key)].strip()!r} (columns {' and '.join(columns)})"
        for key, columns in seen.items()
        if len(columns) > 1
    ]
    if duplicates:
        raise WorkbookRefused(
            "duplicate_headers",
            f"The header row (row {number}) of the sheet {sheet.name!r} has the same label "
            f"more than once: {'; '.join(duplicates)}. Each column needs its own label.",
        )


def _first_index(labels: list, key: str) -> int:
    return next(i for i, label in enumerate(labels) if label.strip().casefold() == key)


def _no_table(hints: dict[str, str]) -> WorkbookRefused:
    """The refusal of a workbook none of whose sheets holds a table (``name -> hint``)."""
    names = list(hints)
    hinted = " ".join(f"{name!r}: {hint}" if len(names) > 1 else hint
                      for name, hint in hints.items() if hint)
    if len(names) == 1:
        return WorkbookRefused(
            "empty_sheet",
            f"The sheet {names[0]!r} holds no table: it is empty, or has no header row of "
            "column labels with data below it." + (f" {hinted}" if hinted else ""),
        )
    listed = ", ".join(repr(name) for name in names)
    return WorkbookRefused(
        "empty_sheet",
        f"No sheet of the workbook holds a table (a header row of column labels with data "
        f"below it): {listed}." + (f" {hinted}" if hinted else ""),
    )


def _unreadable(sheet: str, error: BaseException) -> WorkbookRefused:
    return WorkbookRefused(
        "damaged",
        f"The sheet {sheet!r} could not be read: the file looks damaged ({error}). Save "
        "it again from Excel, or upload it again.",
    )
