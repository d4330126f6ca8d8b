"""Fix in Excel, upload again: an errors workbook's rows go back to their staging rows.

An errors workbook (:func:`~.exports.errors_workbook`) is recognised by its ``Row``
column, the staging rows' ids. Its rows replace the values of the matching rows of the
same import, which return to *Yet to validate*; validating again sorts them anew. Ids of
another import or of no row are reported, never applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from onward import LARGEST_INTEGER, Conflict, ValidationFailed, db, require
from onward.plugins.dataimport import config, staging
from onward.plugins.dataimport.exports import NOT_IMPORTED, ROW_COLUMN
from onward.plugins.dataimport.mapping import match_columns
from onward.plugins.dataimport.models import DataImport, ImportFile, StagingRow
from onward.plugins.dataimport.publish import Publisher
from onward.plugins.dataimport.reader import workbook


@dataclass
class Restaged:
    """What a re-upload did: rows updated, and the sheet rows it could not apply."""

    updated: int = 0
    #: sheet row number -> why it was not applied (unknown id, published row …)
    skipped: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for people: how many rows, and the first rows left out."""
        text = f"{self.updated} rows updated from the errors workbook"
        if self.skipped:
            first = "; ".join(f"row {number}: {why}"
                              for number, why in list(self.skipped.items())[:5])
            text += f"; {len(self.skipped)} left out ({first})"
        return text


def _plain(label: str) -> str:
    return label.strip().casefold()


def is_errors_workbook(path: Path) -> bool:
    """Whether the file's table starts with the errors workbook's ``Row`` column."""
    try:
        with workbook.read(path, engine="openpyxl") as table:  # streams: reads the header only
            return bool(table.headers) and _plain(table.headers[0]) == _plain(ROW_COLUMN)
    except ValidationFailed:
        return False


def restage_fixes(data_import: DataImport, record: ImportFile) -> Restaged:
    """Apply an uploaded errors workbook ``record`` to the import's staging rows.

    A file that cannot be read, has no ``Row`` column or has a column that matches no
    field changes nothing: it is marked ``refused`` with the reason, like any refused file.
    """
    require("write", data_import)
    try:
        with db.session.begin_nested():
            result = _apply(data_import, record)
    except ValidationFailed as refused:
        record.state, record.rows, record.message = "refused", 0, refused.message
        db.session.flush()
        return Restaged()
    record.state, record.rows, record.message = "imported", result.updated, result.summary()
    db.session.flush()
    return result


def _apply(data_import: DataImport, record: ImportFile) -> Restaged:
    target = config.target_of(data_import.target)
    fields = {item.name for item in target.fields}
    path = staging.file_path(record)
    with workbook.read(path, chunk_size=config.setting("IMPORT_CHUNK_ROWS")) as table:
        headers = list(table.headers)
        if not headers or _plain(headers[0]) != _plain(ROW_COLUMN):
            raise ValidationFailed(f"{record.name} is not an errors workbook: its first "
                                   f"column is not {ROW_COLUMN!r}.")
        left = {_plain(label) for label in NOT_IMPORTED}
        labels = [(index, label) for index, label in enumerate(headers[1:], start=1)
                  if _plain(label) not in left]
        matching = match_columns(target, [label for _, label in labels])
        if matching.unmatched:
            label = next(iter(matching.unmatched))
            raise ValidationFailed(f"{record.name}: column {label!r} matches no field.")
        mapped = [(index, column) for (index, _), column in zip(labels, matching.columns,
                                                                 strict=True)
                  if column.field in fields]
        result = Restaged()
        for chunk in table.chunks():
            _apply_chunk(data_import, chunk, mapped, result)
    return result


def _apply_chunk(data_import: DataImport, chunk, mapped, result: Restaged) -> None:
    ids = [_row_id(row.values[0]) for row in chunk]
    found = {row.id: row for row in db.session.scalars(select(StagingRow).where(
        StagingRow.import_id == data_import.id,
        StagingRow.id.in_([i for i in ids if type(i) is int])))}
    for sheet_row, row_id in zip(chunk, ids, strict=True):
        row = found.get(row_id) if type(row_id) is int else None
        if row is None:
            result.skipped[sheet_row.number] = f"no row {row_id!r} in this import"
            continue
        values = {column.field: _kept_error(row.values.get(column.field),
                                            column.apply(sheet_row.values[index]))
                  for index, column in mapped}
        try:
            staging.edit_row(row, values)
        except Conflict as refused:
            result.skipped[sheet_row.number] = refused.message
            continue
        result.updated += 1


def _row_id(value: Any) -> Any:
    """The id in a ``Row`` cell: a number, or digits typed as text (else the cell as is)."""
    digits = isinstance(value, str) and value.strip().isdecimal()
    number = int(value) if digits or (isinstance(value, float) and value.is_integer()) else value
    return number if type(number) is int and 0 < number <= LARGEST_INTEGER else value


def _kept_error(old: Any, new: Any) -> Any:
    """An error cell exported as its code and left as it was stays an error cell."""
    if isinstance(old, dict) and "error" in old and new == old["error"]:
        return old
    return new


def take_file(data_import: DataImport, record: ImportFile, *,
              progress: Callable[[int], None] | None = None,
              publisher: Publisher | None = None) -> int:
    """Bring a file in: an errors workbook updates its rows, others are staged (rows).

    The rows of an errors workbook are validated again later; with a ``publisher``, the
    rows of other files are published as they are staged.
    """
    if is_errors_workbook(staging.file_path(record)):
        return restage_fixes(data_import, record).updated
    return staging.stage_file(data_import, record, progress=progress, publisher=publisher)
