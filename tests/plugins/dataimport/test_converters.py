"""Each field kind's converter: what it accepts (and turns the cell into) and what it
refuses, with the problem a row gets."""

import datetime as dt

import pytest

from onward import ImportField
from onward.plugins.dataimport.reader.cells import CellError, json_safe, json_safe_column
from onward.plugins.dataimport.validation import (
    FieldPlan,
    Plan,
    base_converter,
    check_columns,
)

COLOURS = {"red": "Red", "dark_blue": "Dark blue"}


def convert(kind, value, options=None, **described):
    return base_converter(ImportField("f", kind, **described), options)(value)


ACCEPTED = [
    ("string", {}, 12, "12"),
    ("string", {"max_length": 3}, "abc", "abc"),
    ("text", {}, "long text", "long text"),
    ("email", {}, "Ann@Example.COM", "ann@example.com"),
    ("integer", {}, 42, 42),
    ("integer", {}, 42.0, 42),
    ("integer", {}, " 2,500 ", 2500),
    ("integer", {"minimum": 0, "maximum": 10}, "10", 10),
    ("decimal", {}, 2.5, 2.5),
    ("decimal", {}, "-1,234,567.25", -1234567.25),
    ("decimal", {"minimum": -999.99, "maximum": 999.99}, "999.99", 999.99),
    ("boolean", {}, True, True),
    ("boolean", {}, "Yes", True),
    ("boolean", {}, "0", False),
    ("date", {}, dt.date(2031, 5, 30), dt.date(2031, 5, 30)),
    ("date", {}, dt.datetime(2031, 5, 30, 9, 0), dt.date(2031, 5, 30)),
    ("date", {}, "2031-05-30", dt.date(2031, 5, 30)),
    ("date", {}, " 2031-05-30 ", dt.date(2031, 5, 30)),
    ("datetime", {}, "2031-05-30T09:15:00.500000", dt.datetime(2031, 5, 30, 9, 15, 0, 500000)),
    ("datetime", {}, dt.date(2031, 5, 30), dt.datetime(2031, 5, 30)),
    ("datetime", {}, "2031-05-30 09:15", dt.datetime(2031, 5, 30, 9, 15)),
    ("datetime", {}, "2031-05-30T09:15:00+02:00", dt.datetime(2031, 5, 30, 7, 15)),  # in UTC
    ("datetime", {}, "2031-05-30T09:15Z", dt.datetime(2031, 5, 30, 9, 15)),
    ("date", {}, "2031-05-30T23:15-05:00", dt.date(2031, 5, 30)),  # the day as written
    ("choice", {"choices": COLOURS}, "dark blue", "dark_blue"),
    ("choice", {"choices": COLOURS}, " RED ", "red"),
]


@pytest.mark.parametrize(("kind", "described", "cell", "value"), ACCEPTED)
def test_each_kind_accepts_its_values(kind, described, cell, value):
    assert convert(kind, cell, **described) == (value, None)


REFUSED = [
    ("string", {"max_length": 3}, "abcd", "is 4 characters long; at most 3 fit"),
    ("email", {}, "ann at example.com", "'ann at example.com' is not an email address"),
    ("integer", {}, "many", "'many' is not a whole number"),
    ("integer", {}, 2.5, "2.5 is not a whole number"),
    ("integer", {}, True, "True is not a whole number"),
    ("integer", {}, "1,5", "'1,5' is not a whole number"),  # not thousands: 15 would be wrong
    ("integer", {}, "1_000", "'1_000' is not a whole number"),  # Python's separator only
    ("decimal", {}, "2_5.0", "'2_5.0' is not a number"),
    ("integer", {"minimum": -2**31, "maximum": 2**31 - 1}, 1e20,
     "100,000,000,000,000,000,000 is too large: at most 2,147,483,647 fits"),
    ("integer", {"minimum": 0, "maximum": 10}, "-1", "-1 is too small: at least 0 fits"),
    ("decimal", {}, "north", "'north' is not a number"),
    ("decimal", {}, "NaN", "'NaN' is not a number"),
    ("decimal", {}, "sNaN", "'sNaN' is not a number"),
    ("decimal", {}, "-Infinity", "'-Infinity' is not a number"),
    ("decimal", {}, "1E999", "'1E999' is not a number"),
    ("decimal", {}, "2,50", "'2,50' is not a number"),
    ("decimal", {"minimum": -999.99, "maximum": 999.99}, 1000,
     "1,000 is too large: at most 999.99 fits"),
    ("boolean", {}, "maybe", "'maybe' is not yes or no (use true/false, yes/no or 1/0)"),
    ("date", {}, "30 May", "'30 May' is not a date like 2031-05-30"),
    ("date", {}, 20000, "20000 is a number, not a date"),
    ("datetime", {}, "soon", "'soon' is not a datetime like 2031-05-30"),
    ("choice", {"choices": COLOURS}, "green", "'green' is not one of: Red, Dark blue"),
    ("string", {}, "tab\tand\x0bvertical tab", "holds the control character U+000B"),
    ("decimal", {}, float("inf"), "inf is not a number"),
    ("decimal", {}, float("nan"), "nan is not a number"),
    ("integer", {"minimum": 0, "maximum": 10}, 11, "11 is too large: at most 10 fits"),
    ("date", {}, 2.5, "2.5 is a number, not a date"),
]


@pytest.mark.parametrize(("kind", "described", "cell", "problem"), REFUSED)
def test_each_kind_refuses_what_it_cannot_take_and_keeps_the_cell(kind, described, cell,
                                                                   problem):
    value, found = convert(kind, cell, **described)
    assert found.startswith(problem)
    assert value is cell or value == cell or kind in ("string", "email")  # as it was


def test_a_date_format_reads_text_dates_that_way():
    assert convert("date", "30/05/2031", {"format": "%d/%m/%Y"}) == (dt.date(2031, 5, 30),
                                                                     None)
    assert convert("date", "05/30/2031", {"format": "%d/%m/%Y"})[1] == (
        "'05/30/2031' is not a date like 30/05/2031")


def _per_cell(item, column, required):
    """What converting ``column`` one cell at a time gives: values and problems."""
    convert, values, problems = base_converter(item), [], []
    for cell in column:
        value, problem = (None, "a value is required" if required else None) if cell is None \
            else convert(cell)
        values.append(value)
        problems.append([f"{item.title}: {problem}."] if problem else [])
    return values, problems


@pytest.mark.parametrize("required", [False, True])
@pytest.mark.parametrize(("kind", "described", "cell", "_"), ACCEPTED + REFUSED)
def test_a_column_converts_as_its_cells_do(kind, described, cell, _, required):
    # a column of plain, valid values takes a faster way than a call per cell: the same
    # outcome, whatever the column holds beside them
    item = ImportField("f", kind, **described)
    others = [value for k, d, value, _ in ACCEPTED + REFUSED if (k, d) == (kind, described)]
    plan = Plan(None, [FieldPlan(item, base_converter(item), required)], [])
    for column in ([cell], [cell] * 3, [None, cell, None, cell], [cell, *others], [None]):
        converted, problems = check_columns(plan, None, {"f": column}, len(column))
        assert (converted["f"], [[p["message"] for p in found] for found in problems]) == (
            _per_cell(item, column, required)), column


@pytest.mark.parametrize("column", [
    [dt.date(2031, 5, 30), None, dt.datetime(2031, 5, 30, 9, 15, 0, 500)],  # a date column
    ["text", 1, 2.5, True, None],  # JSON holds them as they are
    [dt.date(2031, 5, 30), CellError("#N/A"), dt.time(9, 15), dt.timedelta(hours=1), "x"],
])
def test_a_column_is_kept_json_safe_as_its_cells_are(column):
    assert json_safe_column(column) == [json_safe(value) for value in column]
    assert json_safe_column(column[:1]) == [json_safe(column[0])]


def test_a_date_format_reads_a_column_of_text_dates_that_way_too():
    item = ImportField("f", "date")
    plan = Plan(None, [FieldPlan(item, base_converter(item, {"format": "%Y-%d-%m"}), False)],
                [])
    converted, problems = check_columns(plan, None, {"f": ["2031-05-06", "2031-01-02"]}, 2)
    assert (converted["f"], problems) == ([dt.date(2031, 6, 5), dt.date(2031, 2, 1)], [[], []])
