"""Describe an import target's fields from its model's columns.

A plugin registering an :class:`~onward.core.registries.ImportTarget` names the columns
that can be imported; :func:`describe_fields` reads their type, length and whether they are
required from the model, so the description never drifts from the table::

    ImportTarget("locations", "Locations", Location, natural_key=("name",),
                 account_field="account_id",
                 fields=describe_fields(Location, "name", "city", "country"))
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from onward.core.registries import ImportField, ImportReference

#: column type -> field type, most specific first
_TYPES: tuple[tuple[type, str], ...] = (
    (sa.Boolean, "boolean"),
    (sa.DateTime, "datetime"),
    (sa.Date, "date"),
    (sa.Integer, "integer"),
    (sa.Numeric, "decimal"),
    (sa.Float, "decimal"),
    (sa.Text, "text"),
    (sa.String, "string"),
)


def _field_type(column: sa.Column) -> str:
    column_type = column.type
    column_type = getattr(column_type, "impl_instance", column_type)  # TypeDecorator
    for sql_type, name in _TYPES:
        if isinstance(column_type, sql_type):
            return name
    raise TypeError(f"column {column.key!r} of type {column.type!r} cannot be imported")


def describe_fields(
    model: type,
    *names: str,
    choices: Mapping[str, Mapping[str, str]] | None = None,
    references: Mapping[str, ImportReference] | None = None,
    labels: Mapping[str, str] | None = None,
    types: Mapping[str, str] | None = None,
    required: tuple[str, ...] | None = None,
) -> tuple[ImportField, ...]:
    """:class:`ImportField` s for ``model``'s columns ``names``.

    The type, maximum length and whether a value is required come from the column (a
    non-nullable column without default is required); ``choices``, ``references``,
    ``labels`` and ``types`` (e.g. ``{"email": "email"}``) add what a column cannot say, and
    ``required`` replaces the derived list. A foreign key needs a reference.

    Raises:
        TypeError: an unknown column, a foreign key without a reference, or a column type
            that cannot be imported.
    """
    choices, references = choices or {}, references or {}
    labels, types = labels or {}, types or {}
    table = sa.inspect(model).local_table
    described = []
    for name in names:
        if name not in table.columns:
            raise TypeError(f"{model.__name__} has no column {name!r}")
        column = table.columns[name]
        if column.foreign_keys and name not in references:
            raise TypeError(f"{model.__name__}.{name} is a foreign key: give its reference")
        kind = ("choice" if name in choices else "reference" if name in references
                else types.get(name) or _field_type(column))
        needed = (name in required if required is not None
                  else not column.nullable and column.default is None
                  and column.server_default is None)
        described.append(ImportField(
            name, kind, label=labels.get(name, ""), required=needed,
            choices=dict(choices.get(name, {})), reference=references.get(name),
            max_length=getattr(column.type, "length", None) if kind in ("string", "email")
            else None))
    return tuple(described)
