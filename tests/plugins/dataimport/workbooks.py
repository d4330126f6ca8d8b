"""Build XLSX files for the reader's tests: with openpyxl, or by hand, zip and XML.

Hand-written files let the tests hold what openpyxl never writes: error cells, the
1904 date system flag, the Strict namespace, a huge declared dimension, entity
declarations, macros, and the shapes LibreOffice, Google Sheets and other tools write
(shared strings, inline strings, no dimension, rows without ``r``, prefixed tags).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

#: the columns of the locations workbooks the pipeline's tests write
HEADER = ["Name", "Street", "City", "Country", "Latitude"]

SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
STYLES_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
MACRO_MAIN_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

# Styles 1, 2 and 3: a date, a date-time and a duration format (Excel's built-in 14, 22, 46).
STYLES = (
    XML_HEAD + f'<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="46" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def openpyxl_workbook(
    path: Path,
    sheets: dict[str, Sequence[Sequence[object]]],
    *,
    hidden: Iterable[str] = (),
    merged: dict[str, Sequence[str]] | None = None,
) -> Path:
    """A workbook as openpyxl writes it: one sheet per entry, rows as given."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for cells in (merged or {}).get(name, ()):
            sheet.merge_cells(cells)
        if name in hidden:
            sheet.sheet_state = "hidden"
    workbook.save(path)
    return path


class Cell:
    """A hand-written cell: its XML attributes (besides ``r``) and children."""

    def __init__(self, inner: str, **attrs: str):
        self.inner = inner
        self.attrs = attrs


def err(code: str, formula: str | None = "1/0") -> Cell:
    """An error cell, as Excel writes one (type ``e``, the error as its cached value)."""
    f = f"<f>{escape(formula)}</f>" if formula else ""
    return Cell(f"{f}<v>{escape(code)}</v>", t="e")


def formula(text: str, cached: object = None) -> Cell:
    """A formula cell with its cached value, or none (as programs that don't calculate)."""
    if cached is None:
        return Cell(f"<f>{escape(text)}</f>")
    if isinstance(cached, str):
        return Cell(f"<f>{escape(text)}</f><v>{escape(cached)}</v>", t="str")
    return Cell(f"<f>{escape(text)}</f><v>{cached}</v>")


def serial(value: float, *, style: int = 1) -> Cell:
    """A number cell with a date style: how a date is stored."""
    return Cell(f"<v>{value}</v>", s=str(style))


class Strings:
    """A shared strings table, filled as cells ask for strings."""

    def __init__(self) -> None:
        self.strings: list[str] = []

    def cell(self, text: str) -> Cell:
        if text not in self.strings:
            self.strings.append(text)
        return Cell(f"<v>{self.strings.index(text)}</v>", t="s")

    def xml(self) -> str:
        items = "".join(f"<si><t xml:space=\"preserve\">{escape(s)}</t></si>" for s in self.strings)
        return (
            XML_HEAD + f'<sst xmlns="{MAIN_NS}" count="{len(self.strings)}" '
            f'uniqueCount="{len(self.strings)}">{items}</sst>'
        )


def _column(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_xml(value: object, ref: str | None, *, prefix: str = "", strings: Strings | None) -> str:
    """One ``<c>`` element; strings inline unless a shared strings table is given."""
    if value is None:
        return ""
    if isinstance(value, str) and strings is not None:
        value = strings.cell(value)
    if isinstance(value, Cell):
        inner, attrs = value.inner, dict(value.attrs)
    elif isinstance(value, bool):
        inner, attrs = f"<v>{int(value)}</v>", {"t": "b"}
    elif isinstance(value, int | float):
        inner, attrs = f"<v>{value!r}</v>", {}
    elif isinstance(value, str):
        inner, attrs = f"<is><t>{escape(value)}</t></is>", {"t": "inlineStr"}
    elif isinstance(value, dt.datetime | dt.date):
        return cell_xml(serial(_to_serial(value)), ref, prefix=prefix, strings=strings)
    else:
        raise TypeError(value)
    if prefix:
        inner = inner.replace("<", f"<{prefix}:").replace(f"<{prefix}:/", f"</{prefix}:")
    position = f' r="{ref}"' if ref else ""
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    tag = f"{prefix}:c" if prefix else "c"
    return f"<{tag}{position}{extra}>{inner}</{tag}>"


def _to_serial(value: dt.date) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    moment = value
    delta = moment - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400


def sheet_xml(
    rows: Sequence[Sequence[object] | None],
    *,
    first_row: int = 1,
    dimension: str | None = None,
    refs: bool = True,
    prefix: str = "",
    strings: Strings | None = None,
    after_data: str = "",
    trailing_empty_rows: int = 0,
) -> str:
    """A worksheet part; ``None`` rows are left out (a gap), ``refs=False`` drops ``r``."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    body = []
    for offset, row in enumerate(rows):
        number = first_row + offset
        if row is None:
            continue
        cells = "".join(
            cell_xml(v, f"{_column(i + 1)}{number}" if refs else None, prefix=prefix,
                     strings=strings)
            for i, v in enumerate(row)
        )  # fmt: skip
        if not refs and any(v is None for v in row):
            raise ValueError("rows without r must not have gaps")
        position = f' r="{number}"' if refs else ""
        body.append(f"<{p}row{position}>{cells}</{p}row>")
    if trailing_empty_rows:
        last = first_row + len(rows)
        body.append(
            "".join(
                f'<{p}row r="{n}" s="1" customFormat="1"><{p}c r="A{n}" s="1"/></{p}row>'
                for n in range(last, last + trailing_empty_rows)
            )
        )
    dim = f'<{p}dimension ref="{dimension}"/>' if dimension else ""
    return (
        XML_HEAD + f"<{p}worksheet {xmlns}>{dim}<{p}sheetData>{''.join(body)}</{p}sheetData>"
        f"{after_data}</{p}worksheet>"
    )


def merge_cells_xml(*refs: str) -> str:
    inner = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    return f'<mergeCells count="{len(refs)}">{inner}</mergeCells>'


def raw_workbook(
    path: Path,
    sheets: Sequence[tuple[str, str]] | Sequence[tuple[str, str, str]],
    *,
    date1904: bool | str = False,
    strings: Strings | None = None,
    namespace: str = MAIN_NS,
    main_content_type: str = MAIN_CT,
    extra_parts: dict[str, bytes | str] | None = None,
    workbook_prolog: str = XML_HEAD,
    content_types_extra: str = "",
) -> Path:
    """A hand-written XLSX: ``sheets`` are (name, sheet XML[, state]) in workbook order."""
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{main_content_type}"/>']
    sheet_nodes, rels = [], []
    parts: dict[str, bytes | str] = {}
    for i, entry in enumerate(sheets, 1):
        name, xml = entry[0], entry[1]
        state = f' state="{entry[2]}"' if len(entry) > 2 else ""
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_CT}"/>'
        )
        sheet_nodes.append(f'<sheet name="{escape(name)}" sheetId="{i}"{state} r:id="rId{i}"/>')
        rels.append(
            f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml" '
            f'Type="{REL_NS}/worksheet"/>'
        )
    n = len(sheets)
    rels.append(f'<Relationship Id="rId{n + 1}" Target="styles.xml" Type="{REL_NS}/styles"/>')
    parts["xl/styles.xml"] = STYLES
    overrides.append(f'<Override PartName="/xl/styles.xml" ContentType="{STYLES_CT}"/>')
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings.xml()
        overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_CT}"/>')
        rels.append(
            f'<Relationship Id="rId{n + 2}" Target="sharedStrings.xml" '
            f'Type="{REL_NS}/sharedStrings"/>'
        )
    flag = date1904 if isinstance(date1904, str) else ("1" if date1904 else "0")
    workbook = (
        workbook_prolog + f'<workbook xmlns="{namespace}" xmlns:r="{REL_NS}">'
        f'<workbookPr date1904="{flag}"/><sheets>{"".join(sheet_nodes)}</sheets></workbook>'
    )
    content_types = (
        XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(overrides) + content_types_extra + "</Types>"
    )  # fmt: skip
    package_rels = (
        XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Target="xl/workbook.xml" '
        f'Type="{REL_NS}/officeDocument"/></Relationships>'
    )
    workbook_rels = (
        XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{"".join(rels)}</Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", package_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        for name, content in {**parts, **(extra_parts or {})}.items():
            archive.writestr(name, content)
    return path


def zip_of(path: Path, parts: dict[str, bytes | str]) -> Path:
    """A plain zip of the given parts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


def ole_file(path: Path, *streams: str) -> Path:
    """The first bytes of an OLE compound file whose directory names the given streams."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = b""
    for name in ("Root Entry", *streams):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        directory += encoded.ljust(128, b"\x00")
    path.write_bytes(header + b"\x00" * 512 + directory.ljust(512, b"\x00"))
    return path
