"""The generated XLSX template of each import target, read back by the import's reader."""

import io

import openpyxl
import pytest

from onward.plugins.dataimport.mapping import match_columns
from onward.plugins.dataimport.reader import workbook
from onward.plugins.dataimport.reader.upload import WorkbookRefused
from onward.plugins.dataimport.templates import reference_text, template_workbook

KEYS = ("contacts", "locations", "service_entitlements", "install_base_items",
        "account_addresses", "contracts", "sold_products", "install_base_sold_products")


@pytest.fixture
def target(app):
    """The registered import target ``key``."""

    def get(key):
        return app.extensions["onward"].registries.import_targets[key]

    return get


def load(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def checks_by_column(sheet):
    """Column letter -> the data validations on it."""
    found = {}
    for check in sheet.data_validations.dataValidation:
        for cell_range in check.sqref.ranges:
            found.setdefault(cell_range.coord.split(":")[0].rstrip("0123456789"), []).append(
                check)
    return found


@pytest.mark.parametrize("key", KEYS)
def test_every_targets_template_reads_back_and_matches_every_column(app, target, key,
                                                                     tmp_path):
    described = target(key)
    book = load(template_workbook(described))
    assert book.sheetnames[:2] == [described.label, "Instructions"]
    sheet = book.worksheets[0]
    sheet.append(["x"] * len(described.fields))  # a customer fills in a row
    path = tmp_path / f"{key}.xlsx"
    book.save(path)
    with workbook.read(path) as table:
        assert table.sheet_name == described.label
        assert table.headers == tuple(item.title for item in described.fields)
        matching = match_columns(described, table.headers)
        assert [column.field for column in matching.columns] == [
            item.name for item in described.fields]
        assert (matching.unmatched, matching.missing) == ({}, [])


def test_an_unfilled_template_is_refused_as_header_only_not_read_from_instructions(
        app, target, tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(template_workbook(target("contracts")))
    with pytest.raises(WorkbookRefused) as refused:
        workbook.read(path)
    assert refused.value.reason == "header_only"
    assert "'Contracts'" in refused.value.message


def test_required_columns_are_bold_with_a_note_and_others_are_not(app, target):
    sheet = load(template_workbook(target("contracts"))).worksheets[0]
    header = {cell.value: cell for cell in sheet[1]}
    assert header["Short description"].font.b is True
    assert header["Short description"].comment.text.startswith("Required.")
    assert header["Starts"].font.b is False
    assert header["Starts"].comment.text == "Optional. Date (yyyy-mm-dd)."
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len("Short description")


def test_choice_columns_get_drop_down_lists_of_labels(app, target):
    book = load(template_workbook(target("contracts")))
    sheet = book.worksheets[0]
    state = checks_by_column(sheet)["D"][0]  # State
    assert state.type == "list" and state.formula1.startswith("'Lists'!$A$1:$A$")
    lists = book["Lists"]
    assert lists.sheet_state == "hidden"
    labels = [cell.value for cell in lists["A"]]
    described = target("contracts").field("state")
    assert labels == list(described.choices.values())


def test_a_yes_no_field_gets_a_yes_no_list_and_lists_are_shared(app):
    from onward import ImportField, ImportTarget

    described = ImportTarget("flags", "Flags", object, (
        ImportField("name", required=True), ImportField("active", "boolean"),
        ImportField("vip", "boolean")), ("name",))
    book = load(template_workbook(described))
    checks = checks_by_column(book.worksheets[0])
    assert checks["B"][0].formula1 == checks["C"][0].formula1 == "'Lists'!$A$1:$A$2"
    assert [cell.value for cell in book["Lists"]["A"]] == ["Yes", "No"]
    assert book.sheetnames == ["Flags", "Instructions", "Lists"]


def test_date_columns_get_a_date_format_and_a_date_check(app, target):
    sheet = load(template_workbook(target("contracts"))).worksheets[0]
    for letter in ("B", "C"):  # Starts, Ends
        assert sheet.column_dimensions[letter].number_format == "yyyy-mm-dd"
        [check] = checks_by_column(sheet)[letter]
        assert check.type == "date"
        assert [r.coord for r in check.sqref.ranges] == [f"{letter}2:{letter}1048576"]
    value = checks_by_column(sheet)["E"][0]  # Value, a Numeric(14, 2)
    assert (value.type, value.operator) == ("decimal", "between")
    assert (float(value.formula1), float(value.formula2)) == (-999999999999.99, 999999999999.99)
    assert value.error == "Enter a number from -999,999,999,999.99 to 999,999,999,999.99."


def test_whole_number_columns_get_their_columns_range(app, target):
    described = target("sold_products")
    sheet = load(template_workbook(described)).worksheets[0]
    letter = "ABCDEFGHIJ"[[item.name for item in described.fields].index("quantity")]
    [check] = checks_by_column(sheet)[letter]
    assert (check.type, check.formula1, check.formula2) == ("whole", "-2147483648",
                                                           "2147483647")
    instructions = [[cell.value for cell in row] for row in
                    load(template_workbook(described))["Instructions"].iter_rows()]
    header = next(row for row in instructions if row[0] == "Column")
    quantity = next(row for row in instructions if row[0] == "Quantity")
    assert quantity[header.index("Range")] == "-2,147,483,648 to 2,147,483,647"


def test_the_instructions_list_every_column(app, target):
    described = target("install_base_items")
    instructions = load(template_workbook(described))["Instructions"]
    rows = [[cell.value for cell in row] for row in instructions.iter_rows()]
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Column")
    header = rows[header_at]
    listed = {row[0]: dict(zip(header, row, strict=True)) for row in rows[header_at + 1:]}
    assert list(listed) == [item.title for item in described.fields]
    assert listed["Location"]["Names"] == "the name of a location of this account"
    assert listed["Product"]["Names"] == "the name of a product in the catalogue"
    assert listed["Name"]["Required"] == "yes"
    assert listed["Serial number"]["Required"] == "no"
    assert listed["State"]["Choices"] == ", ".join(described.field("state").choices.values())
    assert listed["Install date"]["Type"] == "date (yyyy-mm-dd)"
    assert listed["Name"]["Range"] is None  # an empty cell


def test_reference_text_names_the_field_and_article(app, target):
    item = target("install_base_sold_products").field("install_base_item_id")
    assert reference_text(item) == "the name of an install base item of this account"
    assert reference_text(target("locations").field("city")) == ""
