"""Is this upload a real XLSX workbook, safe to parse? Checked before any parsing.

:func:`check_upload` looks at the file's first bytes, the zip's directory and the few
small XML parts that describe the workbook. It never inflates the sheets: sizes and
compression ratios are read from the zip's directory (Python's zip reader then refuses
to inflate a part past the size the directory declares). Every refusal is a
:class:`WorkbookRefused` whose message says, for the person who uploaded the file,
what is wrong and what to do about it.
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from onward import ValidationFailed

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_COMPRESSION_RATIO",
    "DEFAULT_MAX_PARTS",
    "DEFAULT_MAX_UNCOMPRESSED_BYTES",
    "SheetInfo",
    "WorkbookInfo",
    "WorkbookRefused",
    "check_upload",
]

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 100 * MIB  # a million rows of 12 columns zip to about 80 MB
# About 1.5 million rows of 12 columns of sheet XML; a zip bomb declares far more.
DEFAULT_MAX_UNCOMPRESSED_BYTES = 1024 * MIB
# Sheet XML compresses 5-20x; empty formatted rows reach about 30x. Bombs reach 1000x.
DEFAULT_MAX_COMPRESSION_RATIO = 200
# Parts below this size are not held to the ratio: they cannot hurt.
RATIO_FLOOR_BYTES = 4 * MIB
DEFAULT_MAX_PARTS = 10_000

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

_SAVE_AS_XLSX = "Open it in Excel and save it as an Excel Workbook (.xlsx), then upload that file."


class WorkbookRefused(ValidationFailed):
    """The upload is not a workbook Onward will read; ``message`` says why, for its sender.

    ``reason`` is a stable key for programs and tests (``"too_large"``, ``"encrypted"``,
    ``"duplicate_headers"`` ...); ``fields`` carries the message under ``"file"`` so the
    JSON API shows it beside the upload field.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message, fields={"file": [message]})
        self.reason = reason

    def __reduce__(self):
        """Pickled as its reason and message (it crosses from a reader process)."""
        return type(self), (self.reason, self.message)


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """A sheet as the workbook lists it."""

    name: str
    part: str
    """The sheet's part in the zip, e.g. ``xl/worksheets/sheet1.xml``."""
    state: str
    """``"visible"``, ``"hidden"`` or ``"veryHidden"``."""
    kind: str
    """``"worksheet"``, or ``"chartsheet"`` / ``"dialogsheet"``, which hold no cells to import."""

    @property
    def visible(self) -> bool:
        """Whether Excel shows the sheet's tab."""
        return self.state == "visible"


@dataclass(frozen=True, slots=True)
class WorkbookInfo:
    """What :func:`check_upload` learnt about an accepted workbook."""

    path: str
    size: int
    date1904: bool
    """The workbook counts dates from 1904 (old Mac Excel), not 1900."""
    sheets: tuple[SheetInfo, ...]
    parts: frozenset[str]

    def sheet(self, name: str) -> SheetInfo | None:
        """The sheet of that name (as Excel compares them: case-insensitively), if any."""
        for info in self.sheets:
            if info.name.casefold() == name.casefold():
                return info
        return None


def check_upload(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> WorkbookInfo:
    """Prove that the file is an XLSX workbook Onward may parse, before anything parses it.

    Refused, each with its own message: a file over ``max_bytes``; an empty file; a
    password-protected workbook (an encrypted OLE file), an Excel 97-2003 ``.xls`` and
    other OLE files; a file of another format renamed to ``.xlsx`` (PDF, CSV, HTML, Word,
    OpenDocument, XLSB, images ...); a damaged zip; a zip bomb (more than ``max_parts``
    parts, more than ``max_uncompressed_bytes`` once inflated, or a part inflating more
    than ``max_compression_ratio`` times); a macro-enabled workbook; a Strict Open XML
    workbook; any XML part with a document type declaration (the vehicle of entity
    expansion and external entity attacks: Excel never writes one).

    Returns:
        The workbook's sheets and date system, for :func:`~.workbook.read`.

    Raises:
        WorkbookRefused: the file is refused; its message says why.
    """
    path = os.fspath(path)
    size = os.stat(path).st_size
    if size == 0:
        raise WorkbookRefused("empty_file", "The file is empty (0 bytes).")
    if size > max_bytes:
        raise WorkbookRefused(
            "too_large",
            f"The file is {_size(size)}; files up to {_size(max_bytes)} can be imported. "
            "Split the rows over several files.",
        )
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _ole_refusal(path)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise WorkbookRefused("not_xlsx", _not_xlsx_message(head))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _damaged(error) from None
    with archive:
        infos = _check_directory(archive, max_uncompressed_bytes, max_compression_ratio, max_parts)
        names = frozenset(infos)
        _check_package_kind(archive, names)
        for name in sorted(names):
            if name.endswith((".xml", ".rels", ".vml")):
                _check_prolog(archive, name)
        _check_content_types(archive, names)
        return _read_workbook_part(archive, path, size, names)


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MB" if n >= MIB else f"{n / 1024:.0f} KB"


def _damaged(error: BaseException) -> WorkbookRefused:
    return WorkbookRefused(
        "damaged",
        "The file is damaged or incomplete and cannot be read as an Excel workbook "
        f"({error}). Save it again from Excel, or upload it again.",
    )


# --- before the zip: what the first bytes say -----------------------------------------


def _ole_refusal(path: str) -> WorkbookRefused:
    """An OLE compound file: an encrypted workbook, an old .xls, or another old Office file.

    The directory entries of an OLE file hold their stream names in UTF-16; the names
    tell the kinds apart without an OLE parser (the file is size-limited already).
    """

    def stream(name: str) -> bytes:
        return name.encode("utf-16-le") + b"\x00\x00"

    with open(path, "rb") as handle:
        content = handle.read()
    if stream("EncryptedPackage") in content or stream("EncryptionInfo") in content:
        return WorkbookRefused(
            "encrypted",
            "The workbook is password-protected (encrypted), so Onward cannot read it. "
            "In Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password, clear it), save, and upload the file again.",
        )
    if stream("Workbook") in content or stream("Book") in content:
        return WorkbookRefused(
            "legacy_xls",
            f"The file is an old Excel 97-2003 workbook (.xls), not an .xlsx. {_SAVE_AS_XLSX}",
        )
    if stream("WordDocument") in content:
        return WorkbookRefused(
            "not_xlsx", "The file is a Word 97-2003 document (.doc), not an Excel workbook."
        )
    if stream("PowerPoint Document") in content:
        return WorkbookRefused(
            "not_xlsx",
            "The file is a PowerPoint 97-2003 presentation (.ppt), not an Excel workbook.",
        )
    return WorkbookRefused(
        "not_xlsx", "The file is an old Microsoft Office (OLE) file, not an Excel workbook (.xlsx)."
    )


_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
)


def _not_xlsx_message(head: bytes) -> str:
    what = _sniff(head)
    if what is None:
        return f"The file is not an Excel workbook (.xlsx). {_SAVE_AS_XLSX}"
    return f"The file is {what}, not an Excel workbook (.xlsx). {_SAVE_AS_XLSX}"


def _sniff(head: bytes) -> str | None:
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return what
    text = _as_text(head)
    if text is None:
        return None
    start = text.lstrip().lower()
    if start.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start:
            return "an Excel 2003 XML spreadsheet"
        if "<html" in start or "<table" in start or start.startswith("<!doctype html"):
            return "a web page (HTML)"
        return "an XML file"
    lines = [line for line in start.splitlines()[:5] if line.strip()]
    for separator, what in ((",", "comma"), (";", "semicolon"), ("\t", "tab")):
        if lines and all(separator in line for line in lines):
            return f"a CSV ({what}-separated text) file"
    return "a text file"


def _as_text(head: bytes) -> str | None:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", errors="replace")
    if text.count("\ufffd") > len(text) // 100 + 1:
        return None
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.97 * len(text):
        return None
    return text


# --- the zip's directory -----------------------------------------------------------------


def _check_directory(
    archive: zipfile.ZipFile, max_uncompressed: int, max_ratio: float, max_parts: int
) -> dict[str, zipfile.ZipInfo]:
    entries = archive.infolist()
    if len(entries) > max_parts:
        raise WorkbookRefused(
            "zip_bomb",
            f"The file holds {len(entries)} parts; a workbook has far fewer. It is not imported.",
        )
    infos: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in entries:
        if info.filename in infos:
            raise _damaged(ValueError(f"the part {info.filename} is in the zip twice"))
        infos[info.filename] = info
        if info.flag_bits & 0x1:
            raise WorkbookRefused(
                "encrypted",
                "The file's contents are encrypted (password-protected zip). Upload the "
                "workbook without a password.",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged(ValueError(f"{info.filename} uses an unusual compression method"))
        total += info.file_size
        if total > max_uncompressed:
            raise WorkbookRefused(
                "zip_bomb",
                f"Unpacked, the file would take more than {_size(max_uncompressed)} "
                "(a zip bomb, or far more data than one import takes). It is not imported.",
            )
        if info.file_size > RATIO_FLOOR_BYTES and (
            info.file_size > max_ratio * max(info.compress_size, 1)
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise WorkbookRefused(
                "zip_bomb",
                f"The part {info.filename} unpacks {ratio:.0f} times larger than it is "
                f"stored (at most {max_ratio:.0f} is accepted): the file looks like a zip "
                "bomb. It is not imported.",
            )
    return infos


def _check_package_kind(archive: zipfile.ZipFile, names: frozenset[str]) -> None:
    """A zip that is not an XLSX package: name what it is when that is easy."""
    what = None
    if "mimetype" in names:
        with archive.open("mimetype") as part:
            mimetype = part.read(100)
        if b"opendocument.spreadsheet" in mimetype:
            what = "an OpenDocument spreadsheet (.ods)"
        elif b"opendocument.text" in mimetype:
            what = "an OpenDocument text document (.odt)"
        elif b"opendocument" in mimetype:
            what = "an OpenDocument file"
    elif "word/document.xml" in names:
        what = "a Word document (.docx)"
    elif "ppt/presentation.xml" in names:
        what = "a PowerPoint presentation (.pptx)"
    elif "xl/workbook.bin" in names:
        what = "an Excel binary workbook (.xlsb)"
    elif "[Content_Types].xml" not in names:
        what = "a zip archive"
    if what is not None:
        raise WorkbookRefused(
            "not_xlsx", f"The file is {what}, not an Excel workbook (.xlsx). {_SAVE_AS_XLSX}"
        )
    if "xl/workbook.xml" not in names:
        raise _damaged(ValueError("it has no xl/workbook.xml part"))


# --- XML parts -------------------------------------------------------------------------

_PROLOG_BYTES = 64 * 1024
_PROLOG_NOISE = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _check_prolog(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a part declaring a DTD: entities (and so entity attacks) live only there.

    A document type declaration may only come before the root element, so the first
    bytes of each part tell; the parts themselves are not inflated further.
    """
    try:
        with archive.open(name) as part:
            head = part.read(_PROLOG_BYTES)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as error:
        raise _damaged(error) from None
    text = _decode_prolog(head)
    position = 0
    while match := _PROLOG_NOISE.match(text, position):
        if match.end() == position:
            break
        position = match.end()
    rest = text[position:]
    if rest.startswith("<!"):
        raise _entity_attack(name)
    if not rest.startswith("<") and len(head) == _PROLOG_BYTES:
        raise _damaged(ValueError(f"{name} does not start like an XML document"))


def _decode_prolog(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="ignore")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="ignore")
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff")


def _entity_attack(name: str) -> WorkbookRefused:
    return WorkbookRefused(
        "xml_entities",
        f"The part {name} of the file declares XML entities (a document type declaration), "
        "which Excel never writes and which XML entity attacks use. The file is not imported.",
    )


def parse_xml(archive: zipfile.ZipFile, name: str) -> Element:
    """Parse a (small) part with defusedxml; entity declarations and damage are refusals."""
    try:
        return SafeET.fromstring(archive.read(name), forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise _entity_attack(name) from None
    except (ParseError, zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as error:
        raise _damaged(ValueError(f"{name}: {error}")) from None


def _check_content_types(archive: zipfile.ZipFile, names: frozenset[str]) -> None:
    macro = any(posixpath.basename(name).lower() == "vbaproject.bin" for name in names)
    types = parse_xml(archive, "[Content_Types].xml")
    for node in types:
        content_type = node.get("ContentType", "")
        if "macroenabled" in content_type.lower() or "vbaproject" in content_type.lower():
            macro = True
    if macro:
        raise WorkbookRefused(
            "macro_enabled",
            "The workbook contains macros (an .xlsm or a workbook with a VBA project), which "
            "Onward does not accept. Save it in Excel as an Excel Workbook (.xlsx), without "
            "macros, and upload that file.",
        )


_SHEET_KINDS = {
    "worksheet": "worksheet",
    "chartsheet": "chartsheet",
    "dialogsheet": "dialogsheet",
    "xlMacrosheet": "macrosheet",
    "xlIntlMacrosheet": "macrosheet",
}


def _read_workbook_part(
    archive: zipfile.ZipFile, path: str, size: int, names: frozenset[str]
) -> WorkbookInfo:
    root = parse_xml(archive, "xl/workbook.xml")
    if root.tag == f"{{{STRICT_NS}}}workbook":
        raise WorkbookRefused(
            "strict_xml",
            "The workbook is saved as Strict Open XML Spreadsheet, which Onward does not "
            "read. In Excel choose File > Save As > Excel Workbook (.xlsx) and upload that file.",
        )
    if root.tag != f"{{{MAIN_NS}}}workbook":
        raise _damaged(ValueError("xl/workbook.xml is not a SpreadsheetML workbook"))
    properties = root.find(f"{{{MAIN_NS}}}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "0").lower() in ("1", "true")
    targets = _relationships(archive, names)
    sheets = []
    for node in root.iterfind(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet"):
        name = node.get("name") or ""
        target = targets.get(node.get(f"{{{REL_NS}}}id") or "")
        if target is None:
            raise _damaged(ValueError(f"the sheet {name!r} has no part"))
        part, kind = target
        if kind == "macrosheet":
            raise WorkbookRefused(
                "macro_enabled",
                f"The sheet {name!r} is an Excel 4.0 macro sheet; workbooks with macros are "
                "not accepted. Delete the sheet, save, and upload the file again.",
            )
        if part not in names:
            raise _damaged(ValueError(f"the part of sheet {name!r} ({part}) is missing"))
        sheets.append(SheetInfo(name, part, node.get("state") or "visible", kind))
    if not sheets:
        raise WorkbookRefused("empty_workbook", "The workbook has no sheets.")
    return WorkbookInfo(path, size, date1904, tuple(sheets), names)


def _relationships(archive: zipfile.ZipFile, names: frozenset[str]) -> dict[str, tuple[str, str]]:
    """The workbook's relationship ids → (part name, sheet kind)."""
    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in names:
        raise _damaged(ValueError(f"it has no {rels_name} part"))
    targets = {}
    for node in parse_xml(archive, rels_name):
        kind = _SHEET_KINDS.get((node.get("Type") or "").rsplit("/", 1)[-1])
        target = node.get("Target") or ""
        if kind is None or node.get("TargetMode") == "External":
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[node.get("Id") or ""] = (posixpath.normpath(part), kind)
    return targets
