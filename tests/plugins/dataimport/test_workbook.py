"""The XLSX reader: what it refuses before parsing, and how it reads the data table."""

import datetime as dt
import time
import zipfile

import openpyxl
import pytest

from onward import ValidationFailed
from onward.plugins.dataimport.reader.cells import (
    CellError,
    column_index,
    column_letter,
    excel_serial_to_date,
)
from onward.plugins.dataimport.reader.sheetscan import scan_sheet
from onward.plugins.dataimport.reader.workbook import WorkbookRefused, check_upload, read

from .workbooks import (
    MACRO_MAIN_CT,
    STRICT_NS,
    XML_HEAD,
    Cell,
    Strings,
    err,
    formula,
    merge_cells_xml,
    ole_file,
    openpyxl_workbook,
    raw_workbook,
    serial,
    sheet_xml,
    zip_of,
)

ENGINES = ["calamine", "openpyxl"]
MB = 1024 * 1024


def refused(reason, path, **kwargs):
    """The WorkbookRefused that check_upload or read raise for path."""
    call = kwargs.pop("call", read)
    kwargs.setdefault("max_bytes", 10 * MB)
    def attempt():
        table = call(path, **kwargs)
        if call is read:
            list(table.rows())

    with pytest.raises(WorkbookRefused) as caught:
        attempt()
    assert caught.value.reason == reason, caught.value.message
    return caught.value.message


def all_rows(path, **kwargs):
    kwargs.setdefault("max_bytes", 10 * MB)
    with read(path, **kwargs) as table:
        return [(row.number, row.values) for row in table.rows()]


CONTACTS = [
    ["Name", "Email", "Joined", "Seats", "Active"],
    ["Ada", "ada@example.com", dt.date(2024, 1, 5), 3, True],
    ["Bob", "bob@example.com", dt.datetime(2024, 2, 6, 9, 30), 2.5, False],
]


@pytest.fixture
def contacts(tmp_path):
    return openpyxl_workbook(tmp_path / "contacts.xlsx", {"Contacts": CONTACTS})


# --- check_upload: refused before parsing ------------------------------------------------


def test_a_real_workbook_passes_the_checks(contacts):
    info = check_upload(contacts, max_bytes=MB)
    assert [s.name for s in info.sheets] == ["Contacts"]
    assert info.sheets[0].part == "xl/worksheets/sheet1.xml"
    assert info.sheets[0].visible
    assert info.date1904 is False


def test_refusals_are_validation_failures_with_a_message_for_the_file_field(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"%PDF-1.7 rest")
    with pytest.raises(ValidationFailed) as caught:
        check_upload(path, max_bytes=MB)
    assert caught.value.status == 422
    assert caught.value.fields == {"file": [caught.value.message]}


def test_a_file_over_the_size_limit_is_refused_before_opening(contacts):
    message = refused("too_large", contacts, call=check_upload, max_bytes=1000)
    assert "files up to 1 KB can be imported" in message


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "e.xlsx").write_bytes(b"")
    assert "empty" in refused("empty_file", tmp_path / "e.xlsx", call=check_upload)


def test_a_password_protected_workbook_is_named_as_such(tmp_path):
    path = ole_file(tmp_path / "locked.xlsx", "EncryptionInfo", "EncryptedPackage")
    assert "password-protected" in refused("encrypted", path, call=check_upload)


def test_an_old_xls_is_told_apart_from_an_encrypted_workbook(tmp_path):
    path = ole_file(tmp_path / "old.xlsx", "Workbook", "SummaryInformation")
    message = refused("legacy_xls", path, call=check_upload)
    assert "97-2003" in message and "password" not in message


def test_other_ole_files_are_named(tmp_path):
    doc = ole_file(tmp_path / "doc.xlsx", "WordDocument")
    assert "Word 97-2003" in refused("not_xlsx", doc, call=check_upload)
    other = ole_file(tmp_path / "other.xlsx", "Something")
    assert "OLE" in refused("not_xlsx", other, call=check_upload)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"name,email\nAda,ada@example.com\n", "CSV (comma-separated"),
        (b"\xef\xbb\xbfname;email\nAda;ada@example.com\n", "CSV (semicolon-separated"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web page"),
        (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
         "Excel 2003 XML"),
        (b"\x89PNG\r\n\x1a\n....", "PNG image"),
        (b"just some notes about the import", "a text file"),
        (bytes(range(256)) * 4, "not an Excel workbook"),
    ],
)  # fmt: skip
def test_a_file_of_another_format_renamed_to_xlsx_is_named(tmp_path, content, named):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(content)
    message = refused("not_xlsx", path, call=check_upload)
    assert named in message
    assert "save it as an Excel Workbook (.xlsx)" in message


@pytest.mark.parametrize(
    ("parts", "named"),
    [
        ({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}, "Word document"),
        ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
         "OpenDocument spreadsheet (.ods)"),
        ({"[Content_Types].xml": "<Types/>", "xl/workbook.bin": b"\x00"}, "binary workbook"),
        ({"notes.txt": "hello"}, "a zip archive"),
    ],
)  # fmt: skip
def test_a_zip_that_is_not_an_xlsx_is_named(tmp_path, parts, named):
    path = zip_of(tmp_path / "other.xlsx", parts)
    assert named in refused("not_xlsx", path, call=check_upload)


def test_a_truncated_workbook_is_damaged(tmp_path, contacts):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(contacts.read_bytes()[:2000])
    assert "damaged" in refused("damaged", path, call=check_upload)


def test_a_package_without_its_workbook_part_is_damaged(tmp_path):
    path = zip_of(tmp_path / "nowb.xlsx", {"[Content_Types].xml": "<Types/>", "xl/x.xml": "<a/>"})
    assert "xl/workbook.xml" in refused("damaged", path, call=check_upload)


def test_a_zip_bomb_is_refused_from_the_directory_by_its_ratio(tmp_path):
    path = raw_workbook(
        tmp_path / "bomb.xlsx",
        [("Data", sheet_xml([["a", "b"], [1, 2]]))],
        extra_parts={"xl/media/padding.bin": b"\x00" * (40 * MB)},
    )
    assert path.stat().st_size < MB
    started = time.perf_counter()
    message = refused("zip_bomb", path, call=check_upload)
    assert time.perf_counter() - started < 1
    assert "xl/media/padding.bin" in message and "zip bomb" in message


def test_a_zip_bomb_is_refused_by_its_total_size(tmp_path, contacts):
    message = refused("zip_bomb", contacts, call=check_upload, max_uncompressed_bytes=2000)
    assert "Unpacked" in message


def test_too_many_parts_is_refused(tmp_path, contacts):
    assert "parts" in refused("zip_bomb", contacts, call=check_upload, max_parts=3)


def test_a_macro_enabled_workbook_is_refused(tmp_path):
    sheet = sheet_xml([["a", "b"], [1, 2]])
    with_vba = raw_workbook(
        tmp_path / "vba.xlsx", [("Data", sheet)], extra_parts={"xl/vbaProject.bin": b"\x00" * 64}
    )
    assert "macros" in refused("macro_enabled", with_vba, call=check_upload)
    xlsm = raw_workbook(tmp_path / "m.xlsx", [("Data", sheet)], main_content_type=MACRO_MAIN_CT)
    assert "macros" in refused("macro_enabled", xlsm, call=check_upload)


def test_a_strict_open_xml_workbook_is_refused_with_a_way_out(tmp_path):
    path = raw_workbook(
        tmp_path / "strict.xlsx",
        [("Data", sheet_xml([["a", "b"], [1, 2]]).replace(
            "http://schemas.openxmlformats.org/spreadsheetml/2006/main", STRICT_NS))],
        namespace=STRICT_NS,
    )  # fmt: skip
    message = refused("strict_xml", path, call=check_upload)
    assert "Strict Open XML" in message and "Excel Workbook (.xlsx)" in message


XXE = '<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_an_external_entity_in_the_workbook_part_is_refused(tmp_path):
    path = raw_workbook(
        tmp_path / "xxe.xlsx",
        [("Data", sheet_xml([["a", "b"], [1, 2]]))],
        workbook_prolog=XML_HEAD + XXE,
    )
    message = refused("xml_entities", path, call=check_upload)
    assert "xl/workbook.xml" in message and "entity attacks" in message


def test_entity_expansion_in_a_sheet_or_shared_strings_is_refused(tmp_path):
    sheet = sheet_xml([["a", "b"], [1, 2]]).replace(XML_HEAD, XML_HEAD + LAUGHS)
    path = raw_workbook(tmp_path / "lol.xlsx", [("Data", sheet)])
    assert "xl/worksheets/sheet1.xml" in refused("xml_entities", path, call=check_upload)
    strings = Strings()
    plain = sheet_xml([["a", "b"], [1, 2]], strings=strings)
    path = raw_workbook(
        tmp_path / "lol2.xlsx",
        [("Data", plain)],
        extra_parts={"xl/sharedStrings.xml": strings.xml().replace(XML_HEAD, XML_HEAD + LAUGHS)},
    )
    assert "sharedStrings" in refused("xml_entities", path, call=check_upload)


def test_a_doctype_after_a_comment_or_in_utf16_is_still_found(tmp_path):
    prolog = '<?xml version="1.0" encoding="UTF-16"?>\n<!-- harmless -->\n' + XXE
    body = sheet_xml([["a", "b"], [1, 2]]).replace(XML_HEAD, "")
    path = raw_workbook(
        tmp_path / "u16.xlsx",
        [("Data", "x")],
        extra_parts={"xl/worksheets/sheet1.xml": (prolog + body).encode("utf-16")},
    )
    refused("xml_entities", path, call=check_upload)


def test_openpyxl_parses_with_defusedxml():
    from defusedxml import ElementTree as defused
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse is defused.iterparse


def test_a_part_larger_than_its_directory_declares_is_damaged(tmp_path):
    sheet = sheet_xml([["a", "b"], *[[i, i] for i in range(500)]])
    path = raw_workbook(tmp_path / "lying.xlsx", [("Data", sheet)])
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        size, offset = info.file_size, info.header_offset
    content = bytearray(path.read_bytes())
    declared = (size // 10).to_bytes(4, "little")
    content[offset + 22 : offset + 26] = declared  # local header
    central = content.rfind(b"PK\x01\x02", 0, content.rfind(b"xl/worksheets/sheet1.xml"))
    content[central + 24 : central + 28] = declared  # central directory
    path.write_bytes(bytes(content))
    assert "damaged" in refused("damaged", path)


# --- read: which sheet, which header ---------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_the_header_and_the_rows_with_their_excel_numbers(contacts, engine):
    with read(contacts, max_bytes=MB, engine=engine) as table:
        assert table.engine == engine
        assert table.sheet_name == "Contacts"
        assert table.header_row == 1
        assert table.headers == ("Name", "Email", "Joined", "Seats", "Active")
        assert table.columns == ("A", "B", "C", "D", "E")
        assert list(table.rows()) == [
            (2, ("Ada", "ada@example.com", dt.date(2024, 1, 5), 3, True)),
            (3, ("Bob", "bob@example.com", dt.datetime(2024, 2, 6, 9, 30), 2.5, False)),
        ]


@pytest.mark.parametrize("engine", ENGINES)
def test_numbers_are_doubles_in_both_engines(tmp_path, engine):
    # openpyxl writes an int's digits, which its reader gives back as an int
    path = openpyxl_workbook(tmp_path / "big.xlsx", {"Data": [
        ["Big", "Past", "Last"], [10**30, 2**53 + 1, 2**53 - 1]]})
    with read(path, max_bytes=MB, engine=engine) as table:
        [row] = list(table.rows())
    assert row.values == (1e30, 9007199254740992.0, 9007199254740991)
    assert [type(value) for value in row.values] == [float, float, int]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shared", [False, True])
def test_characters_excel_escapes_read_the_same_in_both_engines(tmp_path, engine, shared):
    strings = Strings() if shared else None
    sheet = sheet_xml([["Name", "Street"], ["HQ", "1 Main St_x000B_Suite 2"],
                       ["Depot", "9 Dock Rd_x000D__x000A_Gate 3"], ["Store", "_x_ marks"]],
                      strings=strings)
    path = raw_workbook(tmp_path / "escaped.xlsx", [("Data", sheet)], strings=strings)
    with read(path, max_bytes=MB, engine=engine) as table:
        assert [row.values[1] for row in table.rows()] == [
            "1 Main St\x0bSuite 2", "9 Dock Rd\r\nGate 3", "_x_ marks"]


def test_rows_come_in_chunks_and_once(tmp_path):
    rows = [["n", "square"]] + [[i, i * i] for i in range(1, 8)]
    path = openpyxl_workbook(tmp_path / "c.xlsx", {"S": rows})
    table = read(path, max_bytes=MB, chunk_size=3)
    chunks = list(table.chunks())
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [r.number for c in chunks for r in c] == list(range(2, 9))
    with pytest.raises(RuntimeError):
        list(table.chunks())


@pytest.mark.parametrize("engine", ENGINES)
def test_the_header_may_sit_below_title_rows_and_right_of_column_a(tmp_path, engine):
    rows = [
        ["Contacts export"],
        ["Company:", "Acme Ltd"],
        [],
        [None, "Name", " Email ", "Phone"],
        [None, "Ada", "ada@example.com", None],
        [],
        [None, "Bob", None, "+44 20 7946 0000"],
    ]
    path = openpyxl_workbook(tmp_path / "t.xlsx", {"Export": rows}, merged={"Export": ["A1:D1"]})
    with read(path, max_bytes=MB, engine=engine) as table:
        assert (table.header_row, table.first_column) == (4, 2)
        assert table.headers == ("Name", "Email", "Phone")
        assert table.columns == ("B", "C", "D")
        assert list(table.rows()) == [
            (5, ("Ada", "ada@example.com", None)),
            (7, ("Bob", None, "+44 20 7946 0000")),
        ]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_table_away_from_the_top_left_corner_keeps_its_row_numbers(tmp_path, engine):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C5"], sheet["D5"], sheet["C6"], sheet["D7"] = "Name", "Email", "Ada", "b@example.com"
    book.save(tmp_path / "corner.xlsx")
    with read(tmp_path / "corner.xlsx", max_bytes=MB, engine=engine) as table:
        assert (table.header_row, table.columns) == (5, ("C", "D"))
        assert list(table.rows()) == [(6, ("Ada", None)), (7, (None, "b@example.com"))]


def test_hidden_sheets_and_an_instructions_sheet_first_are_passed_over(tmp_path):
    path = openpyxl_workbook(
        tmp_path / "s.xlsx",
        {
            "Read me": [["How to fill in", "this template"], ["Column", "Meaning"], ["a", "b"]],
            "Lists": [["Tier", "Label"], ["gold", "Gold"]],
            "Data": [["Name", "Tier"], ["Ada", "gold"]],
        },
        hidden=["Lists"],
    )
    with read(path, max_bytes=MB) as table:
        assert table.sheet_name == "Data"
        assert table.skipped_sheets == ("Read me",)
        assert [r.values for r in table.rows()] == [("Ada", "gold")]


def test_a_first_sheet_without_a_table_is_passed_over(tmp_path):
    path = openpyxl_workbook(
        tmp_path / "s.xlsx",
        {
            "Welcome": [["Fill in the next sheet."], [], ["One row per contact."]],
            "Empty": [],
            "Contacts": CONTACTS,
        },
    )
    with read(path, max_bytes=MB) as table:
        assert table.sheet_name == "Contacts"


def test_an_instructions_sheet_is_read_when_it_is_the_only_table(tmp_path):
    path = openpyxl_workbook(tmp_path / "s.xlsx", {"Instructions": CONTACTS})
    with read(path, max_bytes=MB) as table:
        assert table.sheet_name == "Instructions"


def test_a_named_sheet_is_read_even_when_hidden(tmp_path):
    path = openpyxl_workbook(
        tmp_path / "s.xlsx",
        {"Contacts": CONTACTS, "Old": [["A", "B"], [1, 2]]},
        hidden=["Old"],
    )
    with read(path, max_bytes=MB, sheet="old") as table:
        assert table.sheet_name == "Old"
        assert [r.values for r in table.rows()] == [(1, 2)]
    message = refused("no_such_sheet", path, sheet="Nope")
    assert "'Nope'" in message and "'Contacts', 'Old'" in message


def test_a_workbook_with_only_hidden_sheets_is_refused(tmp_path):
    path = raw_workbook(tmp_path / "h.xlsx", [("Data", sheet_xml([["a", "b"], [1, 2]]), "hidden")])
    assert "unhide" in refused("no_sheet", path)


# --- read: refusals of the table ---------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_sheet_is_refused(tmp_path, engine):
    path = openpyxl_workbook(tmp_path / "e.xlsx", {"Data": []})
    assert "'Data' holds no table" in refused("empty_sheet", path, engine=engine)
    assert "is empty" in refused("empty_sheet", path, engine=engine, sheet="Data")


def test_a_workbook_of_sheets_without_tables_names_them(tmp_path):
    path = openpyxl_workbook(tmp_path / "e.xlsx", {"One": [], "Two": [["just a note"]]})
    assert "'One', 'Two'" in refused("empty_sheet", path)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_header_only_sheet_is_refused(tmp_path, engine):
    path = openpyxl_workbook(tmp_path / "h.xlsx", {"Data": [["Title"], ["Name", "Email"]]})
    message = refused("header_only", path, engine=engine)
    assert "row 2" in message and "no data rows" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_header_with_data_far_below_is_not_header_only(tmp_path, engine):
    rows = [["Name", "Email"]] + [[]] * 30 + [["Ada", "ada@example.com"]]
    path = openpyxl_workbook(tmp_path / "far.xlsx", {"Data": rows})
    assert all_rows(path, engine=engine) == [(32, ("Ada", "ada@example.com"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_merged_header_cells_are_refused(tmp_path, engine):
    rows = [["Name", "Address", None, "Email"], ["Ada", "1 Road", "Leeds", "a@example.com"]]
    path = openpyxl_workbook(tmp_path / "m.xlsx", {"Data": rows}, merged={"Data": ["B1:C1"]})
    message = refused("merged_header", path, engine=engine)
    assert "B1:C1" in message and "Unmerge" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_duplicate_headers_are_refused_and_named(tmp_path, engine):
    rows = [["Name", "Email", "Phone", "email "], ["Ada", "a@example.com", "1", "b@example.com"]]
    path = openpyxl_workbook(tmp_path / "d.xlsx", {"Data": rows})
    assert "'Email' (columns B and D)" in refused("duplicate_headers", path, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_blank_header_cells_between_labels_are_refused(tmp_path, engine):
    rows = [["Name", None, "Email"], ["Ada", "x", "a@example.com"]]
    path = openpyxl_workbook(tmp_path / "b.xlsx", {"Data": rows})
    assert "(B1)" in refused("blank_header", path, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_header_cell_holding_an_error_is_named_not_taken_for_data(tmp_path, engine):
    # labels made by formulas: one refers to a deleted cell, one was never calculated
    sheet = sheet_xml([["Name", err("#REF!"), formula("Sheet2!A1"), "City"],
                       ["Ada", "x", "y", "Oslo"], ["Bob", "z", "w", "Rome"]])
    path = raw_workbook(tmp_path / "e.xlsx", [("Data", sheet)])
    assert refused("header_error", path, engine=engine) == (
        "The header row (row 1) of the sheet 'Data' has no label in B1: the cell shows the "
        "error #REF! instead of a value; C1: the formula in this cell has no calculated "
        "value: open the file in Excel and save it again, or type the value in. Type the "
        "labels in, or fix the formulas that give them.")


def test_a_named_sheet_without_a_header_row_is_refused(tmp_path):
    path = openpyxl_workbook(tmp_path / "n.xlsx", {"Data": [[1, 2], [3, 4]]})
    assert "No header row" in refused("no_header", path, sheet="Data")


# --- read: cell values -------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_error_cells_are_errors_never_blanks(tmp_path, engine):
    sheet = sheet_xml([
        ["Name", "Score", "Ratio"],
        ["Ada", err("#N/A", "VLOOKUP(A2,X!A:B,2,0)"), err("#DIV/0!")],
        ["Bob", err("#VALUE!", None), 0.5],
        ["Cy", err("#REF!"), err("#NAME?")],
    ])  # fmt: skip
    path = raw_workbook(tmp_path / "err.xlsx", [("Data", sheet)])
    assert all_rows(path, engine=engine) == [
        (2, ("Ada", CellError("#N/A"), CellError("#DIV/0!"))),
        (3, ("Bob", CellError("#VALUE!"), 0.5)),
        (4, ("Cy", CellError("#REF!"), CellError("#NAME?"))),
    ]


def test_an_error_cell_explains_itself():
    assert "#N/A" in CellError("#N/A").message
    assert "no calculated value" in CellError(CellError.UNCALCULATED).message
    assert str(CellError("#REF!")) == "#REF!"


@pytest.mark.parametrize("engine", ENGINES)
def test_formulas_give_their_cached_values_never_evaluated(tmp_path, engine):
    sheet = sheet_xml([
        ["Name", "Total", "Label", "Blank"],
        ["Ada", formula("1+1", cached=3), formula('"x"&"y"', cached="cached"),
         formula('""', cached="")],
        ["Bob", formula("SUM(1,2)"), "plain", 1],
    ])  # fmt: skip
    path = raw_workbook(tmp_path / "f.xlsx", [("Data", sheet)])
    assert all_rows(path, engine=engine) == [
        (2, ("Ada", 3, "cached", None)),
        (3, ("Bob", CellError(CellError.UNCALCULATED), "plain", 1)),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_formulas_openpyxl_wrote_without_values_are_uncalculated(tmp_path, engine):
    rows = [["Name", "Double"], ["Ada", "=2*2"]]
    path = openpyxl_workbook(tmp_path / "o.xlsx", {"Data": rows})
    assert all_rows(path, engine=engine) == [(2, ("Ada", CellError(CellError.UNCALCULATED)))]


DATES_1900 = [(45296, dt.date(2024, 1, 5)), (45296.5, dt.datetime(2024, 1, 5, 12, 0))]
DATES_1904 = [(43834, dt.date(2024, 1, 5)), (43834.25, dt.datetime(2024, 1, 5, 6, 0))]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("date1904", "dates"), [(False, DATES_1900), ("1", DATES_1904),
                                                  ("true", DATES_1904)])  # fmt: skip
def test_date_cells_are_right_in_both_date_systems(tmp_path, engine, date1904, dates):
    (day, day_value), (moment, moment_value) = dates
    sheet = sheet_xml([
        ["Name", "Day", "Moment", "Serial", "Typed"],
        ["Ada", serial(day), serial(moment, style=2), day, "05/01/2024"],
    ])  # fmt: skip
    path = raw_workbook(tmp_path / "d.xlsx", [("Data", sheet)], date1904=date1904)
    with read(path, max_bytes=MB, engine=engine) as table:
        assert table.date1904 is bool(date1904)
        [row] = table.rows()
    assert row.values == ("Ada", day_value, moment_value, day, "05/01/2024")
    assert excel_serial_to_date(row.values[3], date1904=table.date1904) == day_value


@pytest.mark.parametrize("engine", ENGINES)
def test_iso_date_cells_and_durations(tmp_path, engine):
    sheet = sheet_xml([
        ["Name", "When", "Took"],
        ["Ada", Cell("<v>2024-01-05T00:00:00</v>", t="d"), serial(1.5, style=3)],
        ["Bob", Cell("<v>2024-01-05T10:30:00</v>", t="d"), serial(0.25, style=3)],
    ])  # fmt: skip
    path = raw_workbook(tmp_path / "iso.xlsx", [("Data", sheet)])
    assert all_rows(path, engine=engine) == [
        (2, ("Ada", dt.date(2024, 1, 5), dt.timedelta(days=1, hours=12))),
        (3, ("Bob", dt.datetime(2024, 1, 5, 10, 30), dt.timedelta(hours=6))),
    ]


def test_excel_serials_turn_into_dates():
    assert excel_serial_to_date(1) == dt.date(1900, 1, 1)
    assert excel_serial_to_date(59) == dt.date(1900, 2, 28)
    assert excel_serial_to_date(61) == dt.date(1900, 3, 1)
    assert excel_serial_to_date(45296) == dt.date(2024, 1, 5)
    assert excel_serial_to_date(45296.75) == dt.datetime(2024, 1, 5, 18, 0)
    assert excel_serial_to_date(0, date1904=True) == dt.date(1904, 1, 1)
    assert excel_serial_to_date(43834, date1904=True) == dt.date(2024, 1, 5)
    for bad in (60, 0, -1, 10**9):
        with pytest.raises(ValueError, match=r"1900|exist|last date"):
            excel_serial_to_date(bad)
    with pytest.raises(TypeError):
        excel_serial_to_date("45296")
    with pytest.raises(TypeError):
        excel_serial_to_date(True)


def test_column_names():
    assert [column_letter(i) for i in (1, 26, 27, 52, 16384)] == ["A", "Z", "AA", "AZ", "XFD"]
    assert column_index("XFD") == 16384
    with pytest.raises(ValueError, match="not a column name"):
        column_index("a1")


@pytest.mark.parametrize("engine", ENGINES)
def test_numbers_are_ints_when_whole_and_big_floats_stay_floats(tmp_path, engine):
    sheet = sheet_xml([["A", "B", "C", "D"], [1.0, 2.5, 1e20, -0.0], ["x", 12345678901, True, 0]])
    path = raw_workbook(tmp_path / "n.xlsx", [("Data", sheet)])
    rows = all_rows(path, engine=engine)
    assert rows == [(2, (1, 2.5, 1e20, 0)), (3, ("x", 12345678901, True, 0))]
    assert [type(v) for v in rows[0][1]] == [int, float, float, int]
    assert type(rows[1][1][2]) is bool


# --- read: files as other tools write them ------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_shared_strings_no_dimension_and_rows_without_positions(tmp_path, engine):
    strings = Strings()
    sheet = sheet_xml(
        [["Name", "Code", "Count"], ["Ada", "A-1", 1], ["Ada", err("#N/A"), 2], ["", "", ""],
         ["Bob", "B-2", 3]],
        refs=False,
        strings=strings,
    )  # fmt: skip
    path = raw_workbook(tmp_path / "lo.xlsx", [("Sheet1", sheet)], strings=strings)
    assert all_rows(path, engine=engine) == [
        (2, ("Ada", "A-1", 1)),
        (3, ("Ada", CellError("#N/A"), 2)),
        (5, ("Bob", "B-2", 3)),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_prefixed_tags_as_the_open_xml_sdk_writes_them(tmp_path, engine):
    sheet = sheet_xml(
        [["Name", "Score"], ["Ada", err("#N/A")], ["Bob", formula("1+1")], ["Cy", 7]],
        prefix="x",
        dimension="A1:B4",
    )
    path = raw_workbook(tmp_path / "sdk.xlsx", [("Data", sheet)])
    assert all_rows(path, engine=engine) == [
        (2, ("Ada", CellError("#N/A"))),
        (3, ("Bob", CellError(CellError.UNCALCULATED))),
        (4, ("Cy", 7)),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_dimension_smaller_than_the_data_loses_no_row(tmp_path, engine):
    rows = [["Name", "N"]] + [[f"p{i}", i] for i in range(1, 6)]
    path = raw_workbook(tmp_path / "dim.xlsx", [("Data", sheet_xml(rows, dimension="A1:B2"))])
    assert len(all_rows(path, engine=engine)) == 5


@pytest.mark.parametrize("engine", [*ENGINES, "auto"])
def test_a_huge_declared_dimension_reads_in_time_of_its_data(tmp_path, engine):
    rows = [["Name", "N"], ["Ada", 1], ["Bob", err("#N/A")]]
    sheet = sheet_xml(rows, dimension="A1:L1048576", trailing_empty_rows=300_000)
    path = raw_workbook(tmp_path / "huge.xlsx", [("Data", sheet)])
    started = time.perf_counter()
    with read(path, max_bytes=10 * MB, engine=engine) as table:
        found = [(r.number, r.values) for r in table.rows()]
        chosen = table.engine
    elapsed = time.perf_counter() - started
    assert found == [(2, ("Ada", 1)), (3, ("Bob", CellError("#N/A")))]
    if engine == "auto":
        assert chosen == "openpyxl"  # stops at the last row with content
    assert elapsed < 5


def test_auto_keeps_calamine_for_much_data_above_empty_rows(tmp_path):
    rows = [["Name", "N"]] + [[f"p{i}", i] for i in range(2000)]
    sheet = sheet_xml(rows, dimension="A1:B1048576", trailing_empty_rows=300_000)
    path = raw_workbook(tmp_path / "tail.xlsx", [("Data", sheet)])
    with read(path, max_bytes=10 * MB) as table:
        assert table.engine == "calamine"
        assert sum(len(chunk) for chunk in table.chunks()) == 2000


def test_auto_sends_sheets_over_the_row_setting_to_openpyxl(tmp_path):
    # 50 rows of 2 KB: over 10 rows (checked on the part's size first, 1 KB a row).
    rows = [["Name", "Long"]] + [[f"p{i}", "x" * 2000] for i in range(50)]
    path = openpyxl_workbook(tmp_path / "rows.xlsx", {"Data": rows})
    with read(path, max_bytes=MB) as table:
        assert table.engine == "calamine"
    with read(path, max_bytes=MB, calamine_max_rows=10) as table:
        assert table.engine == "openpyxl"
        assert len(list(table.rows())) == 50


def test_arguments_are_checked(contacts):
    with pytest.raises(ValueError, match="engine"):
        read(contacts, engine="xlrd")
    with pytest.raises(ValueError, match="chunk_size"):
        read(contacts, chunk_size=0)


# --- both engines, same rows -------------------------------------------------------------


def _mixed(tmp_path):
    rows = [["Title row"], ["Name", "Joined", "Seats", "Ratio", "Active", "Note", "At"]]
    for i in range(1, 60):
        rows.append([
            f"Person {i}", dt.date(2020, 1, 1) + dt.timedelta(days=i * 17), i, i / 7,
            i % 2 == 0, None if i % 3 else f"n{i}", dt.datetime(2024, 1, 1, i % 24, i % 60),
        ])  # fmt: skip
    rows.append([])
    rows.append(["Last", dt.date(1999, 12, 31), -5, 0.1, False, "end", dt.time(13, 15)])
    return openpyxl_workbook(tmp_path / "mixed.xlsx", {"Data": rows})


def _errors_and_strings(tmp_path):
    strings = Strings()
    rows = [["Name", "Value", "When"]]
    for i in range(1, 40):
        value = err("#N/A") if i % 5 == 0 else formula("A1", cached=i) if i % 7 == 0 else i * 1.5
        rows.append([f"name {i % 9}", value, serial(44000 + i)])
    sheet = sheet_xml(rows, strings=strings, dimension="A1:C40")
    return raw_workbook(tmp_path / "es.xlsx", [("Data", sheet)], strings=strings, date1904=True)


def _prefixed_rowless(tmp_path):
    rows = [["A", "B"]] + [[f"r{i}", err("#REF!") if i == 3 else i] for i in range(1, 9)]
    return raw_workbook(tmp_path / "pr.xlsx", [("S", sheet_xml(rows, prefix="x", refs=False))])


@pytest.mark.parametrize("build", [_mixed, _errors_and_strings, _prefixed_rowless])
def test_both_engines_give_the_same_rows(tmp_path, build):
    path = build(tmp_path)
    results = {}
    for engine in ENGINES:
        with read(path, max_bytes=MB, engine=engine, chunk_size=7) as table:
            results[engine] = (
                table.sheet_name, table.header_row, table.headers,
                [(r.number, r.values, [type(v) for v in r.values]) for r in table.rows()],
            )  # fmt: skip
    assert results["calamine"] == results["openpyxl"]
    assert len(results["calamine"][3]) > 5


def test_merged_cells_elsewhere_are_fine(tmp_path):
    rows = [["Report"], ["Name", "City"], ["Ada", "Leeds"], ["Bob", None]]
    sheet = sheet_xml(rows, after_data=merge_cells_xml("A1:B1", "B3:B4"))
    path = raw_workbook(tmp_path / "m.xlsx", [("Data", sheet)])
    assert all_rows(path) == [(3, ("Ada", "Leeds")), (4, ("Bob", None))]


# --- the sheet scan ------------------------------------------------------------------------


def _odd_sheet(**kwargs):
    rows = [["Title", "", ""], ["Name", "Score", "Note"]]
    for i in range(1, 30):
        score = err("#N/A") if i % 4 == 0 else formula("1+1") if i % 5 == 0 else i
        rows.append([f"p{i}", score, "x" * (i % 7 + 1)])
    rows.append(["last", formula("2+2", cached=4), "end"])
    breaks = '<rowBreaks count="1"><brk id="9" max="16383" man="1"/></rowBreaks>'
    return sheet_xml(rows, after_data=merge_cells_xml("A1:C1") + breaks, **kwargs)


@pytest.mark.parametrize(
    "options", [{}, {"refs": False}, {"prefix": "x"}, {"prefix": "x", "refs": False}]
)
def test_the_scan_finds_the_same_at_any_chunk_size(tmp_path, options):
    sheet = _odd_sheet(**options)
    path = raw_workbook(tmp_path / "odd.xlsx", [("Data", sheet)])
    with zipfile.ZipFile(path) as archive:
        scans = [scan_sheet(archive, "xl/worksheets/sheet1.xml", chunk_bytes=n)
                 for n in (1 << 20, 997, 61, 7)]  # fmt: skip
    expected = {
        **{2 + i: {1: CellError("#N/A")} for i in range(4, 30, 4)},
        **{2 + i: {1: CellError(CellError.UNCALCULATED)} for i in range(5, 30, 5) if i % 4},
    }
    for scan in scans:
        assert scan.errors == expected
        assert scan.last_row == 32
        assert scan.utf8
    if "x" not in options.values():
        assert all([str(r) for r in scan.merged] == ["A1:C1"] for scan in scans)


def test_the_scan_knows_the_end_of_the_data_before_empty_formatted_rows(tmp_path):
    sheet = sheet_xml([["a", "b"], [1, 2]], trailing_empty_rows=1000)
    path = raw_workbook(tmp_path / "t.xlsx", [("Data", sheet)])
    with zipfile.ZipFile(path) as archive:
        scan = scan_sheet(archive, "xl/worksheets/sheet1.xml", chunk_bytes=4096)
    assert scan.last_row == 2
    assert scan.tail > 0.9 * scan.size


@pytest.mark.parametrize("engine", [*ENGINES, "auto"])
def test_a_utf16_sheet_is_read_by_openpyxl_whatever_the_engine(tmp_path, engine):
    rows = [["Name", "Score"], ["Ada", err("#N/A")], ["Bob", 2]]
    body = sheet_xml(rows).replace(XML_HEAD, '<?xml version="1.0" encoding="UTF-16"?>')
    path = raw_workbook(
        tmp_path / "u16.xlsx",
        [("Data", "replaced")],
        extra_parts={"xl/worksheets/sheet1.xml": body.encode("utf-16")},
    )
    with read(path, max_bytes=MB, engine=engine) as table:
        assert table.engine == "openpyxl"  # python-calamine reads such a sheet as empty
        assert list(table.rows()) == [(2, ("Ada", CellError("#N/A"))), (3, ("Bob", 2))]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("style", ["indented", "single quotes"])
def test_indented_xml_and_single_quoted_attributes(tmp_path, engine, style):
    sheet = sheet_xml([["Name", "N"], ["Ada", err("#DIV/0!")], ["Bob", formula("1+1")]])
    changes = {"indented": ("><", ">\n  <"), "single quotes": ('"', "'")}
    sheet = sheet.replace(*changes[style])
    path = raw_workbook(tmp_path / "s.xlsx", [("Data", sheet)])
    assert all_rows(path, engine=engine) == [
        (2, ("Ada", CellError("#DIV/0!"))),
        (3, ("Bob", CellError(CellError.UNCALCULATED))),
    ]


@pytest.mark.parametrize("engine", [*ENGINES, "auto"])
@pytest.mark.parametrize("damage", ["truncated", "missing shared string", "bad position"])
def test_a_damaged_sheet_is_refused(tmp_path, engine, damage):
    # python-calamine tolerates some damage openpyxl refuses (a missing end tag, text in
    # a number cell); these both refuse.
    sheet = sheet_xml([["Name", "N"], ["Ada", 1]])
    sheet = {
        "truncated": sheet[:-60],
        "missing shared string": sheet.replace('<c r="B2">', '<c r="B2" t="s">'),
        "bad position": sheet.replace('r="B2"', 'r="2B"'),
    }[damage]
    path = raw_workbook(tmp_path / "broken.xlsx", [("Data", sheet)])
    assert "damaged" in refused("damaged", path, engine=engine)


def test_read_runs_the_upload_checks_first(tmp_path):
    sheet = sheet_xml([["a", "b"], [1, 2]])
    path = raw_workbook(
        tmp_path / "vba.xlsx", [("Data", sheet)], extra_parts={"xl/vbaProject.bin": b"\x00"}
    )
    refused("macro_enabled", path)
    refused("too_large", path, max_bytes=100)


def test_a_template_with_only_its_header_can_be_read_on_request(tmp_path):
    path = openpyxl_workbook(
        tmp_path / "template.xlsx",
        {"Instructions": [["Fill in", "the Data sheet"]], "Data": [["Name", "Email"]]},
    )
    with read(path, max_bytes=MB, header_only=True) as table:
        assert (table.sheet_name, table.headers) == ("Data", ("Name", "Email"))
        assert list(table.rows()) == []
    refused("header_only", path)


def test_corrupt_compressed_data_is_damaged(tmp_path):
    rows = [["Name", "N"]] + [[f"person {i}", i * 7] for i in range(3000)]
    path = raw_workbook(tmp_path / "corrupt.xlsx", [("Data", sheet_xml(rows))])
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    content = bytearray(path.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    content[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(content))
    assert "damaged" in refused("damaged", path)


def test_a_chartsheet_is_no_data_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.create_chartsheet("Chart", 0)
    sheet = book.worksheets[0]
    sheet.title = "Figures"
    for row in CONTACTS:
        sheet.append(row)
    book.save(tmp_path / "chart.xlsx")
    info = check_upload(tmp_path / "chart.xlsx", max_bytes=MB)
    assert [(s.name, s.kind) for s in info.sheets] == [
        ("Chart", "chartsheet"), ("Figures", "worksheet")
    ]
    with read(tmp_path / "chart.xlsx", max_bytes=MB) as table:
        assert table.sheet_name == "Figures"
    assert "no sheet named 'Chart'" in refused("no_such_sheet", tmp_path / "chart.xlsx",
                                               sheet="Chart")  # fmt: skip


def test_a_header_with_labels_that_are_not_text_is_named_in_the_refusal(tmp_path):
    # a year typed as a number in the header: no row is all labels, so no header is found
    rows = [["Name", 2024, dt.date(2031, 5, 30), True], ["Ada", 1, 2, 3]]
    path = openpyxl_workbook(tmp_path / "y.xlsx", {"Data": rows})
    hint = ("Row 1 has cells that are not text: B1 (2024), C1 (2031-05-30), D1 (TRUE). "
            "Column labels must be text (in Excel, type a number label as '2024).")
    assert refused("no_header", path, sheet="Data").endswith(hint)
    assert refused("empty_sheet", path).endswith(f"with data below it. {hint}")
    two = openpyxl_workbook(tmp_path / "z.xlsx", {"Data": rows, "More": [[1, 2]]})
    assert refused("empty_sheet", two).endswith(f"'Data', 'More'. 'Data': {hint}")


def test_a_row_above_the_header_that_mixes_labels_and_numbers_is_hinted(tmp_path):
    # the real header has a year typed as a number; the first all-text row below is taken
    rows = [["Quarterly sites"], ["Name", 2024], ["HQ", "Austin"], ["Depot", "Reno"]]
    table = read(openpyxl_workbook(tmp_path / "h.xlsx", {"Data": rows}), max_bytes=MB)
    with table:
        assert (table.header_row, table.headers) == (3, ("HQ", "Austin"))
        assert table.header_hint == ("Row 2 has cells that are not text: B2 (2024). Column "
                                     "labels must be text (in Excel, type a number label "
                                     "as '2024).")
    plain = read(openpyxl_workbook(tmp_path / "p.xlsx", {"Data": rows[:1] + rows[2:]}),
                 max_bytes=MB)
    with plain:  # a title above the header is no hint
        assert (plain.header_row, plain.header_hint) == (2, "")


def test_a_title_cell_alone_is_no_hint_of_a_header(tmp_path):
    path = openpyxl_workbook(tmp_path / "t.xlsx", {"Data": [["Sites"], [1, 2], [3, 4]]})
    assert refused("no_header", path, sheet="Data").endswith("with the data below it.")
