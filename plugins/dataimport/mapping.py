"""Spreadsheet columns to target fields: matching labels, suggesting names, transforms.

A column matches a field when its label equals the field's title or name, ignoring case,
spaces and underscores. A column that matches nothing is never dropped silently: it is
listed with the closest field titles as suggestions.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from onward import ImportTarget, ValidationFailed

#: transform name -> what it does to a text value
TEXT_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "trim": str.strip,
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
}


#: the pseudo-field of a column naming the row's account (the seed's *company*): not
#: published, but a record validator can check it against the case's account
ACCOUNT_FIELD = "_account"
ACCOUNT_LABELS = ("account", "company")


def _plain(label: str) -> str:
    return "".join(ch for ch in label.casefold() if ch.isalnum())


@dataclass(frozen=True)
class ColumnMap:
    """One spreadsheet column and the target field it fills (``None``: left out)."""

    column: str
    field: str | None
    transforms: tuple[str, ...] = ("trim",)
    #: for text in a date column: how it is written, e.g. ``%d/%m/%Y``
    date_format: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON for :attr:`DataSource.columns`."""
        return {"column": self.column, "field": self.field,
                "transforms": list(self.transforms), "date_format": self.date_format}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMap:
        """The inverse of :meth:`as_dict` (checks the transforms)."""
        transforms = tuple(data.get("transforms") or ())
        unknown = [name for name in transforms if name not in TEXT_TRANSFORMS]
        if unknown:
            message = (f"Unknown transform {unknown[0]!r} for column {data.get('column')!r}; "
                       f"use {', '.join(TEXT_TRANSFORMS)}.")
            raise ValidationFailed(message, fields={"columns": [message]})
        return cls(data["column"], data.get("field"), transforms,
                   data.get("date_format") or "")

    def apply(self, value: Any) -> Any:
        """The value with this column's transforms (text only; blanks become ``None``)."""
        return self._on_text(value) if isinstance(value, str) else value

    def apply_all(self, values: Iterable[Any]) -> list[Any]:
        """:meth:`apply` over a column of values."""
        values = list(values)
        if not self.date_format and {str}.issuperset(map(type, values)):  # all text: in C
            for step in (TEXT_TRANSFORMS[name] for name in self.transforms):
                values = list(map(step, values))
            return [value or None for value in values] if "" in values else values
        on_text = self._on_text
        return [on_text(value) if isinstance(value, str) else value for value in values]

    @functools.cached_property
    def _on_text(self) -> Callable[[str], Any]:
        """What the transforms make of a text: composed once per column."""
        steps = [TEXT_TRANSFORMS[name] for name in self.transforms]
        date_format = self.date_format
        if len(steps) == 1 and not date_format:
            step = steps[0]
            return lambda value: step(value) or None

        def on_text(value: str) -> Any:
            for step in steps:
                value = step(value)
            if value == "":
                return None
            if date_format:
                try:
                    return dt.datetime.strptime(value, date_format)
                except ValueError:
                    return value  # validation names the column and the expected format
            return value
        return on_text


@dataclass
class Matching:
    """How a header row matches a target: the map, and what matched nothing."""

    columns: list[ColumnMap]
    #: column label -> the closest field titles
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    #: required field titles no column fills
    missing: list[str] = field(default_factory=list)


def match_columns(target: ImportTarget, headers: Sequence[str]) -> Matching:
    """Match ``headers`` to ``target``'s fields by title or name."""
    by_label: dict[str, str] = {}
    for item in target.fields:
        by_label.setdefault(_plain(item.title), item.name)
        by_label.setdefault(_plain(item.name), item.name)
    titles = [item.title for item in target.fields]
    columns, unmatched, used = [], {}, set()
    for header in headers:
        name = by_label.get(_plain(header))
        if name is None and _plain(header) in ACCOUNT_LABELS:
            name = ACCOUNT_FIELD
        if name is None or name in used:
            unmatched[header] = difflib.get_close_matches(header, titles, n=3, cutoff=0.4)
            columns.append(ColumnMap(header, None))
        else:
            used.add(name)
            columns.append(ColumnMap(header, name))
    missing = [item.title for item in target.fields if item.required and item.name not in used]
    return Matching(columns, unmatched, missing)


def default_columns(target: ImportTarget) -> list[ColumnMap]:
    """The map of a template made for ``target``: one column per field, by its title."""
    return [ColumnMap(item.title, item.name) for item in target.fields]


def columns_for(stored: Iterable[dict[str, Any]] | None, target: ImportTarget,
                headers: Sequence[str]) -> Matching:
    """The map for a file: the source's stored map for the columns it names, else labels.

    A column the stored map names without a field was left out by the admin: it is read
    past, not listed as unmatched.
    """
    known = {item["column"]: ColumnMap.from_dict(item) for item in stored or ()}
    matching = match_columns(target, headers)
    matching.columns = [known.get(column.column, column) for column in matching.columns]
    filled = {column.field for column in matching.columns if column.field}
    matching.unmatched = {label: hints for label, hints in matching.unmatched.items()
                          if label not in known}
    matching.missing = [item.title for item in target.fields
                        if item.required and item.name not in filled]
    return matching
