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
from decimal import Decimal

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


#: integer column type -> its size in bits on every database (PostgreSQL's), most specific
#: first
_INTEGER_BITS: tuple[tuple[type, int], ...] = (
    (sa.SmallInteger, 16),
    (sa.BigInteger, 64),
    (sa.Integer, 32),
)


def _sql_type(column: sa.Column) -> sa.types.TypeEngine:
    return getattr(column.type, "impl_instance", column.type)  # TypeDecorator


def _field_type(column: sa.Column) -> str:
    column_type = _sql_type(column)
    for sql_type, name in _TYPES:
        if isinstance(column_type, sql_type):
            return name
    raise TypeError(f"column {column.key!r} of type {column.type!r} cannot be imported")


def _bounds(column: sa.Column) -> tuple[int | float | None, int | float | None]:
    """The smallest and largest number ``column`` holds on every database.

    Integers by their size, ``Numeric(precision, scale)`` by its digits (``Numeric(5, 2)``:
    ±999.99); floats and numbers without a precision have none.
    """
    column_type = _sql_type(column)
    for sql_type, bits in _INTEGER_BITS:
        if isinstance(column_type, sql_type):
            return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if (isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float)
            and column_type.precision):
        scale = column_type.scale or 0
        largest = float(Decimal(10) ** (column_type.precision - scale) - Decimal(10) ** -scale)
        return -largest, largest
    return None, None


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

    The type, maximum length, a number's range and whether a value is required come from
    the column (a non-nullable column without default is required); ``choices``, ``references``,
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
        minimum, maximum = _bounds(column) if kind in ("integer", "decimal") else (None, None)
        described.append(ImportField(
            name, kind, label=labels.get(name, ""), required=needed,
            choices=dict(choices.get(name, {})), reference=references.get(name),
            max_length=getattr(column.type, "length", None) if kind in ("string", "email")
            else None, minimum=minimum, maximum=maximum))
    return tuple(described)
