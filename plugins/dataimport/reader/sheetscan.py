"""One fast pass over a sheet's XML for what the cell readers lose or get wrong.

python-calamine returns a formula error (``#N/A``, ``#DIV/0!`` ...) as an empty cell,
and neither engine says where a sheet's data ends when its declared size is larger
than its data. :func:`scan_sheet` streams the sheet part once, in chunks, and finds
with plain byte searches (no XML parsing of the cells):

- the cells of type ``e`` (errors) and the formulas saved without a calculated value;
  only the few cells around a match are looked at;
- the last row that holds a cell with content, so reading stops there instead of
  walking a million formatted empty rows;
- the merged cell ranges.

Streaming through Python's zip reader also holds the part to the size the zip's
directory declares (it stops there, and a part that lied fails its checksum).

A sheet part the byte search cannot handle safely (UTF-16 encoded, or an error cell
without its ``r`` position) is parsed instead with defusedxml's ``iterparse``: slower,
and only ever needed for unusual files.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import unescape

import defusedxml
import defusedxml.ElementTree as SafeET

from .cells import CellError, column_index
from .upload import WorkbookRefused

__all__ = ["CellRange", "SheetScan", "declared_rows", "is_utf8", "scan_sheet"]

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class CellRange:
    """A rectangle of cells, 1-based and inclusive, e.g. a merged range."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int

    def touches_row(self, row: int) -> bool:
        """Whether the range covers some cell of the row."""
        return self.first_row <= row <= self.last_row

    def __str__(self) -> str:
        from .cells import column_letter

        first = f"{column_letter(self.first_column)}{self.first_row}"
        return f"{first}:{column_letter(self.last_column)}{self.last_row}"


@dataclass(frozen=True, slots=True)
class SheetScan:
    """What :func:`scan_sheet` found in a sheet part."""

    errors: dict[int, dict[int, CellError]]
    """Row number → {0-based column index → the cell's error}; only rows that have some."""
    utf8: bool
    """The part is UTF-8 (as Excel and every other tool write): python-calamine reads no other."""
    last_row: int | None
    """The last row number holding a cell with content; ``None`` when no cell has any."""
    merged: tuple[CellRange, ...]
    size: int
    """Bytes of sheet XML, inflated."""
    tail: int
    """Bytes after the last cell with content: formatted empty rows and the sheet's trailer."""


class _NeedParser(Exception):
    """The byte scan met something only a real XML parser reads correctly."""


def scan_sheet(archive: zipfile.ZipFile, part: str, *, chunk_bytes: int = CHUNK_BYTES) -> SheetScan:
    """Scan a worksheet part of an open XLSX zip; see the module's docstring.

    Raises:
        WorkbookRefused: the part is damaged, larger than declared, or declares entities.
    """
    try:
        try:
            return _ByteScan(archive, part, chunk_bytes).run()
        except _NeedParser:
            return _parser_scan(archive, part)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ParseError) as error:
        raise WorkbookRefused(
            "damaged",
            f"The sheet {part} of the file is damaged and cannot be read ({error}). Save the "
            "workbook again from Excel, or upload it again.",
        ) from None
    except defusedxml.DefusedXmlException:
        raise WorkbookRefused(
            "xml_entities",
            f"The part {part} of the file declares XML entities, which Excel never writes and "
            "which XML entity attacks use. The file is not imported.",
        ) from None


_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?worksheet[\s>]")
_ATTR_R = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3})?(\d+)["']""")
_ATTR_T = re.compile(rb"""\st\s*=\s*["']([A-Za-z]+)["']""")
_CELL_START_BYTES = (b" ", b"\t", b"\r", b"\n", b">", b"/")
_TEXT_KINDS = (b"str", b"inlineStr")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_REF_RANGE = re.compile(r"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?")


class _ByteScan:
    def __init__(self, archive: zipfile.ZipFile, part: str, chunk_bytes: int):
        self.archive = archive
        self.part = part
        self.chunk_bytes = chunk_bytes
        self.errors: dict[int, dict[int, CellError]] = {}
        self.merged: list[CellRange] = []
        self.last_row: int | None = None
        self.last_content_at = 0
        self.rowless: bool | None = None
        self.rows_before = 0
        self.in_data = True

    def _patterns(self, prefix: bytes, head: bytes) -> None:
        p = prefix + b":" if prefix else b""
        self.row = b"<" + p + b"row"
        self.cell_open = b"<" + p + b"c"
        self.cell_end = b"</" + p + b"c>"
        self.formula = b"<" + p + b"f"
        self.data_end = b"</" + p + b"sheetData>"
        self.error_marks = [b't="e"'] + ([b"t='e'"] if b"='" in head else [])
        self.uncalculated_marks = [
            b"<" + p + b"v/>",
            b"<" + p + b"v />",
            b"<" + p + b"v></" + p + b"v>",
            b"</" + p + b"f></" + p + b"c>",
            b"/></" + p + b"c>",
        ]
        q = re.escape(p)
        self.spaced_marks = re.compile(
            b"<" + q + rb"v\s*/>|<" + q + rb"v>\s*</" + q + rb"v>|(?:</" + q + rb"f>|/>)\s*</"
            + q + rb"c>"
        )
        self.value = re.compile(
            b"<" + re.escape(p) + rb"v(?:\s[^>]*)?(?:/>|>([^<]*)</" + re.escape(p) + rb"v>)"
        )
        self.merge = re.compile(
            b"<" + re.escape(p) + rb"""mergeCell\s+ref\s*=\s*["']([A-Z]{1,3})(\d+)"""
            rb"""(?::([A-Z]{1,3})(\d+))?["']"""
        )

    def run(self) -> SheetScan:
        with self.archive.open(self.part) as stream:
            buffer = stream.read(self.chunk_bytes)
            if not is_utf8(buffer[:256]):
                raise _NeedParser  # the byte patterns are UTF-8 (ASCII) bytes
            root = _ROOT.search(buffer)
            while root is None or buffer.find(b"sheetData", root.end()) < 0:
                more = stream.read(self.chunk_bytes)
                if not more:
                    break
                buffer += more
                root = root or _ROOT.search(buffer)
            if root is None:
                raise WorkbookRefused(
                    "damaged", f"The part {self.part} of the file is not a worksheet."
                )
            self._patterns(root.group(1) or b"", buffer[: self.chunk_bytes])
            start = buffer.find(b"<" + (root.group(1) + b":" if root.group(1) else b"")
                                + b"sheetData")  # fmt: skip
            offset = max(start, 0)
            carry = buffer[offset:]
            size = len(buffer)
            while True:
                chunk = stream.read(self.chunk_bytes)
                size += len(chunk)
                buffer = carry + chunk if carry else chunk
                if chunk:
                    cut = buffer.rfind(self.row)
                    if cut <= 0:
                        carry = buffer
                        continue
                    region, carry = buffer[:cut], buffer[cut:]
                    # Cut before a row, the region cannot hold the end of the sheet's data.
                    tag_end = carry[len(self.row) : len(self.row) + 1]
                    last = tag_end not in _CELL_START_BYTES
                else:
                    region, carry, last = buffer, b"", True
                self._region(region, offset, last)
                offset += len(region)
                if not chunk:
                    break
        return SheetScan(
            errors=self.errors,
            utf8=True,
            last_row=self.last_row,
            merged=tuple(self.merged),
            size=size,
            tail=size - self.last_content_at if self.last_row is not None else size,
        )

    def _region(self, region: bytes, offset: int, last: bool) -> None:
        """Scan complete rows (a region never ends inside a row, except at the end).

        ``last``: the region may hold the end of the sheet's data (and what follows).
        """
        end = len(region)
        after = -1
        if self.in_data:
            closing = region.find(self.data_end) if last else -1
            if closing >= 0:
                self.in_data = False
                end = after = closing
            self._rows(region, offset, end)
            self._cells(region, end)
        else:
            after = 0
        if after >= 0:
            for match in self.merge.finditer(region, after):
                first_col, first_row, last_col, last_row = match.groups()
                self.merged.append(CellRange(
                    int(first_row), column_index(first_col.decode()),
                    int(last_row or first_row), column_index((last_col or first_col).decode()),
                ))  # fmt: skip

    def _rows(self, region: bytes, offset: int, end: int) -> None:
        if self.rowless is None:
            first = region.find(self.row, 0, end)
            if first >= 0:
                tag = region[first : region.find(b">", first) + 1]
                self.rowless = _ATTR_R.search(tag) is None
        position = region.rfind(self.cell_end, 0, end)
        if position >= 0:
            if self.rowless:
                self.last_row = self.rows_before + region.count(self.row, 0, position)
            else:
                start = region.rfind(self.row, 0, position)
                tag = region[start : region.find(b">", start) + 1] if start >= 0 else b""
                match = _ATTR_R.search(tag)
                if match is None:  # a row without r among rows with one
                    raise _NeedParser
                self.last_row = int(match.group(2))
            self.last_content_at = offset + position + len(self.cell_end)
        if self.rowless:
            self.rows_before += region.count(self.row, 0, end)

    def _cells(self, region: bytes, end: int) -> None:
        marks = []
        for pattern in self.error_marks:
            marks += _find_all(region, pattern, end)
        if region.find(self.formula, 0, end) >= 0:
            for pattern in self.uncalculated_marks:
                marks += _find_all(region, pattern, end)
            if region.find(b">\n", 0, end) >= 0 or region.find(b">\r", 0, end) >= 0:
                # Indented XML: the same marks with white space between the tags.
                marks += [m.start() for m in self.spaced_marks.finditer(region, 0, end)]
        done = -1
        for mark in sorted(marks):
            if mark < done:
                continue
            done = self._cell(region, mark)

    def _cell(self, region: bytes, mark: int) -> int:
        """Look at the cell around ``mark``; returns where that cell ends."""
        size = len(self.cell_open)
        start = region.rfind(self.cell_open, 0, mark)
        while start >= 0 and region[start + size : start + size + 1] not in _CELL_START_BYTES:
            start = region.rfind(self.cell_open, 0, start)
        end = region.find(self.cell_end, mark)
        if start < 0 or end < 0:
            return mark + 1
        end += len(self.cell_end)
        cell = region[start:end]
        tag = cell[: cell.find(b">") + 1]
        position = _ATTR_R.search(tag)
        if position is None or position.group(1) is None:
            raise _NeedParser
        kind = _ATTR_T.search(tag)
        kind = kind.group(1) if kind else b"n"
        value = self.value.search(cell)
        text = value.group(1) if value else None
        if kind == b"e":
            code = unescape(text.decode("utf-8", "replace")).strip() if text else ""
            error = CellError(code or CellError.UNCALCULATED)
        elif self.formula in cell and not (text or b"").strip() and kind not in _TEXT_KINDS:
            error = CellError(CellError.UNCALCULATED)
        else:
            return end
        row = int(position.group(2))
        self.errors.setdefault(row, {})[column_index(position.group(1).decode()) - 1] = error
        return end


_DIMENSION = re.compile(
    rb"""<(?:[A-Za-z_][\w.\-]*:)?dimension\s+ref\s*=\s*["'](?:[A-Z]{1,3}\d+:)?[A-Z]{1,3}(\d+)["']"""
)


def declared_rows(archive: zipfile.ZipFile, part: str) -> int | None:
    """The last row of the sheet's declared dimension, read from its first bytes, if any."""
    try:
        with archive.open(part) as stream:
            head = stream.read(16 * 1024)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
        return None  # the scan reports the damage
    found = _DIMENSION.search(head, 0, max(head.find(b"sheetData"), 0) or len(head))
    return int(found.group(1)) if found else None


def is_utf8(head: bytes) -> bool:
    """Whether a part's first bytes show UTF-8 (or its ASCII subset)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return False
    declared = _DECLARED_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii")


def _find_all(region: bytes, pattern: bytes, end: int) -> list[int]:
    found = []
    position = region.find(pattern, 0, end)
    while position >= 0:
        found.append(position)
        position = region.find(pattern, position + 1, end)
    return found


def _parser_scan(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """The same findings through defusedxml's iterparse: for files the byte scan can't read."""
    errors: dict[int, dict[int, CellError]] = {}
    merged = []
    last_row = None
    row = column = 0
    size = archive.getinfo(part).file_size
    with archive.open(part) as stream:
        utf8 = is_utf8(stream.read(256))
    with archive.open(part) as stream:
        for event, node in SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=True):
            name = node.tag.rsplit("}", 1)[-1]
            if event == "start":
                if name == "row":
                    given = node.get("r")
                    row = int(given) if given else row + 1
                    column = 0
                continue
            if name == "c":
                given = node.get("r")
                match = re.fullmatch(r"([A-Z]{1,3})(\d+)", given or "")
                column = column_index(match.group(1)) if match else column + 1
                children = {child.tag.rsplit("}", 1)[-1]: child for child in node}
                value = children.get("v")
                text = value.text if value is not None else None
                kind = node.get("t", "n")
                if kind == "e":
                    code = (text or "").strip() or CellError.UNCALCULATED
                    errors.setdefault(row, {})[column - 1] = CellError(code)
                elif "f" in children and not text and kind not in ("str", "inlineStr"):
                    errors.setdefault(row, {})[column - 1] = CellError(CellError.UNCALCULATED)
                if children:
                    last_row = row
                node.clear()
            elif name == "row":
                node.clear()
            elif name == "mergeCell":
                match = _REF_RANGE.fullmatch(node.get("ref", ""))
                if match:
                    first_col, first_row, last_col, end_row = match.groups()
                    merged.append(CellRange(
                        int(first_row), column_index(first_col),
                        int(end_row or first_row), column_index(last_col or first_col),
                    ))  # fmt: skip
    return SheetScan(errors, utf8, last_row, tuple(merged), size, 0)
