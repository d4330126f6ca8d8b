"""A column's transforms, applied one value at a time and over a whole column."""

import datetime as dt

import pytest

from onward.plugins.dataimport.mapping import ColumnMap

CELLS = ["  ada lovelace ", "   ", "", 42, 1.5, None, dt.date(2031, 5, 30), "05/01/2031 "]


@pytest.mark.parametrize(("column", "expected"), [
    (ColumnMap("Name", "name"),
     ["ada lovelace", None, None, 42, 1.5, None, dt.date(2031, 5, 30), "05/01/2031"]),
    (ColumnMap("Name", "name", ("trim", "title")),
     ["Ada Lovelace", None, None, 42, 1.5, None, dt.date(2031, 5, 30), "05/01/2031"]),
    (ColumnMap("Name", "name", ("upper",)),
     ["  ADA LOVELACE ", "   ", None, 42, 1.5, None, dt.date(2031, 5, 30), "05/01/2031 "]),
    (ColumnMap("Name", "name", ()),
     ["  ada lovelace ", "   ", None, 42, 1.5, None, dt.date(2031, 5, 30), "05/01/2031 "]),
    (ColumnMap("Since", "since", ("trim",), "%d/%m/%Y"),
     ["ada lovelace", None, None, 42, 1.5, None, dt.date(2031, 5, 30),
      dt.datetime(2031, 1, 5)]),
])
def test_transforms_change_text_only_and_blank_text_is_no_value(column, expected):
    assert [column.apply(value) for value in CELLS] == expected
    assert column.apply_all(CELLS) == expected
    text = [value for value in CELLS if isinstance(value, str)]  # all text: another way
    assert column.apply_all(text) == [column.apply(value) for value in text]
