"""Validation: sorts staging rows into Ready to publish and Needs attention.

The checks of a target are compiled once per run (:func:`plan_for`): each field gets a
converter from its type (and from the *data validation assist* rules an admin added), and
the record validators plugins registered run on whole rows. Rows are validated a chunk at
a time, column by column, with references looked up once per chunk: on their way into
staging (:func:`check_columns` on the cells as read, then written with their statuses)
and, once fixed, by :func:`validate` (the statuses go back in set-based statements; a
chunk's rows stay locked until it is written, so a fix saved meanwhile waits and is
validated again, never marked ready unseen). Every problem names the column and says what is wrong.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select

from onward import (
    Domain,
    ImportField,
    ImportReference,
    ImportTarget,
    among,
    db,
    fewer_collections,
    require,
)
from onward.plugins.dataimport import rowstatus
from onward.plugins.dataimport.config import setting, target_of
from onward.plugins.dataimport.models import (
    DataImport,
    ImportFile,
    StagingRow,
    ValidationRule,
)
from onward.plugins.dataimport.reader.cells import CONTROL_CHARACTERS, CellError, json_safe

#: a converter takes a cell's value and gives (the value to publish, a problem or None).
#: It may have a ``column`` attribute, a function that converts a whole column of values
#: (none blank) at once when each is plain and valid, else gives None: a clean column
#: then costs a few passes in C instead of a call per cell.
Converter = Callable[[Any], tuple[Any, str | None]]

TRUE = {"true", "yes", "y", "1", "x"}
FALSE = {"false", "no", "n", "0", ""}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: a number written with commas between its thousands: ``2,500`` or ``-1,234,567.5``
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _all(values: list, kinds: frozenset[type]) -> bool:
    """Whether every value is exactly of one of ``kinds`` (no subclass, no bool for int)."""
    return kinds.issuperset(map(type, values))


_TEXT, _WHOLE, _REAL = frozenset({str}), frozenset({int}), frozenset({int, float})
_BOOLEAN, _MOMENTS = frozenset({bool}), frozenset({dt.date, dt.datetime})


def _string(max_length: int | None) -> Converter:
    def convert(value):
        text = _text(value)
        if max_length and len(text) > max_length:
            return text, f"is {len(text)} characters long; at most {max_length} fit"
        if not text.isprintable() and (control := CONTROL_CHARACTERS.search(text)):
            return text, (f"holds the control character U+{ord(control[0]):04X}, which "
                          "cannot be stored: type the text again")
        return text, None

    def column(values):
        if not _all(values, _TEXT) or (max_length and max(map(len, values)) > max_length):
            return None
        joined = "".join(values)
        return None if not joined.isprintable() and CONTROL_CHARACTERS.search(joined) else values

    convert.column = column
    return convert


def _email(max_length: int | None) -> Converter:
    as_string = _string(max_length)

    def convert(value):
        text, problem = as_string(value)
        if problem is None and not EMAIL.match(text):
            problem = f"{text!r} is not an email address"
        return text.lower(), problem

    def column(values):
        if as_string.column(values) is None or not all(map(EMAIL.match, values)):
            return None
        return list(map(str.lower, values))

    convert.column = column
    return convert


def _number_text(value: Any) -> str:
    """A number's text without spaces and thousands' commas (``1,5`` is left as it is).

    Raises ``ValueError`` for Python's own digit separator, no number in a spreadsheet
    (``int`` and ``Decimal`` would take ``1_000`` for 1000).
    """
    text = _text(value).strip()
    if "_" in text:
        raise ValueError(f"not a number: {text!r}")
    return text.replace(",", "") if THOUSANDS.fullmatch(text) else text


def _in_range(minimum: float | None, maximum: float | None) -> Callable[[Any], str | None]:
    """The problem of a number outside [minimum, maximum] (the column's range), else None."""
    def problem(number):
        if maximum is not None and number > maximum:
            return f"{number:,} is too large: at most {maximum:,} fits"
        if minimum is not None and number < minimum:
            return f"{number:,} is too small: at least {minimum:,} fits"
        return None
    return problem


def _number(parse: Callable[[Any], Any], noun: str, minimum: float | None,
            maximum: float | None, kinds: frozenset[type]) -> Converter:
    """A converter of numbers: ``parse`` gives a cell's number, or None when it has none.

    ``kinds`` are the types of the values that are numbers of this kind as they are.
    """
    out_of_range = _in_range(minimum, maximum)

    def convert(value):
        number = None if isinstance(value, bool) else parse(value)
        if number is None:
            return value, f"{value!r} is not {noun}"
        problem = out_of_range(number)
        return (value, problem) if problem else (number, None)

    def column(values):
        if (not _all(values, kinds) or not all(map(math.isfinite, values))
                or out_of_range(min(values)) or out_of_range(max(values))):
            return None
        return values

    convert.column = column
    return convert


def _whole(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        return int(_number_text(value))
    except ValueError:
        return None


def _real(value: Any) -> float | None:
    if isinstance(value, int | float):
        number = value
    else:
        try:
            number = float(Decimal(_number_text(value)))
        except (InvalidOperation, ValueError):  # ValueError: a signalling NaN
            return None
    return number if math.isfinite(number) else None  # not NaN, Infinity, 1E999


def _boolean(value):
    if isinstance(value, bool):
        return value, None
    text = _text(value).strip().casefold()
    if text in TRUE:
        return True, None
    if text in FALSE:
        return False, None
    return value, f"{value!r} is not yes or no (use true/false, yes/no or 1/0)"


_boolean.column = lambda values: values if _all(values, _BOOLEAN) else None


def _moment(kind: str, date_format: str) -> Converter:
    example = dt.date(2031, 5, 30).strftime(date_format or "%Y-%m-%d")

    def convert(value):
        if isinstance(value, dt.date):  # a date cell as read (staged: ISO text)
            if kind == "date":
                return (value.date() if isinstance(value, dt.datetime) else value), None
            return (value if isinstance(value, dt.datetime)
                    else dt.datetime.combine(value, dt.time())), None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value, (f"{value} is a number, not a {kind}: format the column as dates "
                           f"or write it like {example}")
        text = _text(value).strip()
        moment = None
        if date_format:
            with contextlib.suppress(ValueError):
                moment = dt.datetime.strptime(text, date_format)
        if moment is None:  # ISO text: how staging keeps the date cells it read
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                return value, f"{value!r} is not a {kind} like {example}"
        if kind == "date":
            return moment.date(), None
        if moment.tzinfo is not None:  # "…Z", "…+02:00": the same moment in UTC
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment, None

    def column(values):  # date cells as read, or ISO text as staged
        if _all(values, _TEXT) and not date_format:
            try:
                values = list(map(dt.datetime.fromisoformat, values))
            except ValueError:
                return None
            if any(value.tzinfo is not None for value in values):
                return None
        if not _all(values, _MOMENTS):
            return None
        if kind == "date":
            return [value.date() if type(value) is dt.datetime else value for value in values]
        return [value if type(value) is dt.datetime else dt.datetime.combine(value, dt.time())
                for value in values]

    convert.column = column
    return convert


def _choice(choices: dict[str, str]) -> Converter:
    lookup = {key.casefold(): key for key in choices}
    lookup.update({label.casefold(): key for key, label in choices.items()})

    def convert(value):
        key = lookup.get(_text(value).strip().casefold())
        if key is None:
            return value, f"{value!r} is not one of: {', '.join(choices.values())}"
        return key, None

    def column(values):
        if not _all(values, _TEXT):
            return None
        keys = list(map(lookup.get, map(str.casefold, map(str.strip, values))))
        return None if None in keys else keys

    convert.column = column
    return convert


def base_converter(item: ImportField, options: dict[str, Any] | None = None) -> Converter:
    """The converter of ``item``'s type; ``options`` may give a date ``format``."""
    options = options or {}
    kind = item.type
    if kind in ("string", "text"):
        return _string(options.get("max_length") or item.max_length)
    if kind == "email":
        return _email(item.max_length)
    if kind == "integer":
        return _number(_whole, "a whole number", item.minimum, item.maximum, _WHOLE)
    if kind == "decimal":
        return _number(_real, "a number", item.minimum, item.maximum, _REAL)
    if kind == "boolean":
        return _boolean
    if kind in ("date", "datetime"):
        return _moment(kind, options.get("format", ""))
    if kind == "choice":
        return _choice(dict(item.choices))
    return _string(None)  # references: the name is looked up per chunk


@dataclass
class FieldPlan:
    """How one field is checked."""

    field: ImportField
    convert: Converter
    required: bool
    #: extra checks from plugins' field validators: value -> problem or None
    extra: list[Callable[[Any], str | None]] = field(default_factory=list)
    #: a reference rule's table and field the value must name (the value stays as it is)
    exists_in: ImportReference | None = None

    @property
    def lookup(self) -> ImportReference | None:
        """Where the values are looked up, if anywhere."""
        return self.field.reference or self.exists_in

    @property
    def pure(self) -> bool:
        """Whether the field is checked without the database (no lookup, no plugin check)."""
        return self.lookup is None and not self.extra


@dataclass
class Plan:
    """The compiled checks of one import run."""

    target: ImportTarget
    fields: list[FieldPlan]
    #: record validators: (label, func(values, data_import) -> problem or None)
    records: list[tuple[str, Callable[..., str | None]]]


_FIELD_RULE_TYPES = {"date": "date", "datetime": "datetime", "boolean": "boolean",
                     "number": "decimal", "max_length": "string"}


def plan_for(data_import: DataImport) -> Plan:
    """Compile the checks of ``data_import``'s target: its fields and the active rules."""
    target = target_of(data_import.target)
    rules = db.session.scalars(select(ValidationRule).where(
        ValidationRule.target == target.key, ValidationRule.active.is_(True),
        ValidationRule.domain_id.in_(_domain_chain(data_import.domain_id)))).all()
    validators = current_app.extensions["onward"].registries.validators
    plans = {item.name: FieldPlan(item, base_converter(item), item.required)
             for item in target.fields}
    records: list[tuple[str, Callable[..., str | None]]] = []
    for rule in rules:
        if rule.level == "record":
            if rule.kind in validators:
                records.append((validators[rule.kind].label, validators[rule.kind].func))
            continue
        plan = plans.get(rule.field or "")
        if plan is None:
            continue
        plan.required = plan.required or rule.mandatory
        if rule.kind in _FIELD_RULE_TYPES:
            plan.convert = base_converter(_ruled(plan.field, rule.kind), rule.options)
        elif rule.kind == "choice":
            listed = rule.options.get("choices")
            plan.convert = _choice({c: c for c in listed} if listed
                                   else dict(plan.field.choices))
        elif rule.kind == "reference":
            plan.exists_in = ImportReference(_model_of(rule.options["table"]),
                                             rule.options["field"])
        elif rule.kind in validators and validators[rule.kind].kind == "field":
            func, options = validators[rule.kind].func, dict(rule.options)
            plan.extra.append(lambda value, f=func, o=options: f(value, o))
    return Plan(target, list(plans.values()), records)


def _ruled(item: ImportField, kind: str) -> ImportField:
    """``item`` as a field rule of ``kind`` types it (a number rule keeps whole numbers whole)."""
    typed = ("integer" if kind == "number" and item.type == "integer"
             else _FIELD_RULE_TYPES[kind])
    return ImportField(item.name, typed, max_length=item.max_length, minimum=item.minimum,
                       maximum=item.maximum)


def _model_of(table: str) -> type:
    """The model class of ``table`` (a reference rule names a table)."""
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    raise KeyError(table)


def _domain_chain(domain_id: int) -> list[int]:
    """``domain_id`` and the domains above it."""
    chain: list[int] = []
    while domain_id is not None and domain_id not in chain:
        chain.append(domain_id)
        domain_id = db.session.scalar(select(Domain.parent_id).where(Domain.id == domain_id))
    return chain


def lookup_references(reference: ImportReference, names: Iterable[str],
                      data_import: DataImport) -> dict[str, int]:
    """``{casefolded name: id}`` of the referenced records named in one chunk."""
    wanted = {str(name).strip().casefold() for name in names if name not in (None, "")}
    if not wanted:
        return {}
    model = reference.model
    column = getattr(model, reference.field)
    stmt = select(column, model.id).where(among(func.lower(column), wanted))
    if hasattr(model, "__account_column__") and model.__account_column__ != "id":
        stmt = stmt.where(getattr(model, model.__account_column__) == data_import.account_id)
    elif hasattr(model, "domain_id"):
        stmt = stmt.where(model.domain_id.in_(_domain_chain(data_import.domain_id)))
    return {str(name).strip().casefold(): record_id for name, record_id in db.session.execute(stmt)}


def check_columns(plan: Plan, data_import: DataImport | None,
                  columns: Mapping[str, Sequence[Any]], size: int,
                  fields: Iterable[FieldPlan] | None = None,
                  ) -> tuple[dict[str, list[Any]], list[list[dict[str, str]]]]:
    """Convert and check a chunk of ``size`` rows, one field's column at a time.

    ``columns`` maps field names to their values (a field without a column is blank).
    Values may be as read (dates as dates, error cells as :class:`CellError`) or as staged
    (JSON-safe). Returns the converted columns and each row's problems; record
    validators are left to :func:`check_records`. Only ``fields`` of the plan are checked
    when given (the :attr:`~FieldPlan.pure` ones need no ``data_import``).
    """
    problems: list[list[dict[str, str]]] = [[] for _ in range(size)]
    blank = [None] * size
    converted = {field_plan.field.name: _check_column(
        field_plan, data_import, columns.get(field_plan.field.name, blank), problems)
        for field_plan in (plan.fields if fields is None else fields)}
    return converted, problems


def check_records(plan: Plan, data_import: DataImport, rows: Sequence[dict[str, Any]],
                  problems: list[list[dict[str, str]]]) -> None:
    """Run the plan's record validators on each row's (staged) values; problems are added."""
    for values, found in zip(rows, problems, strict=True):
        for label, check in plan.records:
            outcome = check(values, data_import)
            if outcome is False or isinstance(outcome, str):
                found.append({"field": "", "column": "",
                              "message": outcome if isinstance(outcome, str)
                              else f"{label}: the row does not pass."})


def check_values(plan: Plan, data_import: DataImport, rows: list[dict[str, Any]]
                 ) -> tuple[dict[str, list[Any]], list[list[dict[str, str]]]]:
    """Convert and check a chunk of staged rows' values (field -> value).

    Returns the converted values a field at a time (``{field: [value of each row]}``)
    and the problems of each row.
    """
    names = [field_plan.field.name for field_plan in plan.fields]
    columns, problems = check_columns(
        plan, data_import, {name: [row.get(name) for row in rows] for name in names}, len(rows))
    check_records(plan, data_import, rows, problems)
    return columns, problems


def _error_code(value: Any) -> str | None:
    """The error an error cell shows (as read or as staged), else ``None``."""
    if type(value) is dict:
        return value.get("error")
    return value.code if isinstance(value, CellError) else None


#: the types an error cell has: as read, and as staged (``{"error": "#N/A"}``)
_CELLS_WITH_ERRORS = (dict, CellError)


def _check_column(field_plan: FieldPlan, data_import: DataImport, column: Sequence[Any],
                  problems: list[list[dict[str, str]]]) -> list[Any]:
    """The converted values of one field over a chunk; problems go to their rows."""
    item, convert, extra = field_plan.field, field_plan.convert, field_plan.extra
    reference, required = field_plan.lookup, field_plan.required
    ids = (lookup_references(reference, (v for v in column if _error_code(v) is None),
                             data_import) if reference else None)

    def problem(index: int, message: str) -> None:
        problems[index].append({"field": item.name, "column": item.title,
                                "message": f"{item.title}: {message}."})

    whole_column = getattr(convert, "column", None)
    if whole_column and not (ids is not None or extra) and "" not in column:
        present = [value for value in column if value is not None]
        converted = whole_column(present) if present else []
        if converted is not None:  # every value plain and valid: no call per cell
            if len(present) < len(column):
                for index in range(len(column)) if required else ():
                    if column[index] is None:
                        problem(index, "a value is required")
                taken = iter(converted)
                converted = [None if value is None else next(taken) for value in column]
            return converted

    results: list[Any] = []
    append = results.append
    for index, value in enumerate(column):
        if value is None or value == "":
            if required:
                problem(index, "a value is required")
            append(None)
            continue
        if type(value) in _CELLS_WITH_ERRORS and (code := _error_code(value)):
            problem(index, CellError(code).message)
            append(None)
            continue
        result, message = convert(value)
        if message is None and ids is not None:
            found = ids.get(str(value).strip().casefold())
            if found is None:
                message = (f"no {reference.model.__name__.removeprefix('Onboarding')} "
                           f"named {value!r} (by {reference.field}) in this account")
            elif item.reference:  # a reference field stores the id it names
                result = found
        if extra and message is None:
            staged = json_safe(value)
            message = next(filter(None, (check(staged) for check in extra)), None)
        if message:
            problem(index, message)
        append(result)
    return results


#: a row that first had a natural key: its number and its file's id (``None``: the file
#: being read)
First = tuple[int, int | None]


def _duplicate(plan: Plan, first: First, file_id: int | None,
               names: Mapping[int, str]) -> dict[str, str]:
    """The problem of a row (of file ``file_id``) whose natural key the row ``first`` has.

    The first row is named by its number, and by its file when that is another one.
    """
    titles = " and ".join(plan.target.field(name).title for name in plan.target.natural_key)
    number, first_file = first
    where = (f"row {number}" if first_file in (None, file_id)
             else f"row {number} of {names.get(first_file, 'another file')}")
    return {"field": plan.target.natural_key[0], "column": titles,
            "message": f"{titles}: the same as {where}; each record once."}


def _firsts(data_import: DataImport, *where, repeated: bool = False) -> Select:
    """Each natural key's first row staged (lowest id): its key, id, number and file.

    Among the import's rows that match ``where``; only keys more than one row has, if
    ``repeated``.
    """
    ids = (select(func.min(StagingRow.id))
           .where(StagingRow.import_id == data_import.id, *where)
           .group_by(StagingRow.natural_key))
    if repeated:
        ids = ids.having(func.count() > 1)
    return select(StagingRow.natural_key, StagingRow.id, StagingRow.row_number,
                  StagingRow.file_id).where(StagingRow.id.in_(ids.scalar_subquery()))


def _duplicates(data_import: DataImport) -> dict[str, tuple[int, First]]:
    """Natural keys more than one row of the import has -> the first row's id and place."""
    rows = db.session.execute(_firsts(data_import, StagingRow.natural_key != "",
                                      repeated=True))
    return {key: (row_id, (number, file_id)) for key, row_id, number, file_id in rows}


def staged_keys_query(data_import: DataImport, keys: set[str]) -> Select:
    """Which of ``keys`` rows of the import have: the first such row's id, number, file.

    An index on ``(import_id, natural_key)`` keeps this one lookup per key.
    """
    return _firsts(data_import, among(StagingRow.natural_key, keys))


def _staged_keys(data_import: DataImport, keys: set[str]) -> dict[str, First]:
    """Which of ``keys`` rows of the import have already -> where the first such row is."""
    if not keys:
        return {}
    return {key: (number, file_id) for key, _id, number, file_id
            in db.session.execute(staged_keys_query(data_import, keys))}


def earlier_rows(keys: list[str], numbers: list[int], seen: dict[str, First | int]
                 ) -> list[First | None]:
    """For each row, where the first row before it with its natural key is, else ``None``.

    ``seen`` maps the keys of the rows before to where the first such row is: staged
    rows' places, and the bare numbers of the file's own rows (half the memory of a
    place, for a file's keys kept beside its sheet). These rows' keys join it.
    """
    firsts: list[First | None] = []
    for key, number in zip(keys, numbers, strict=True):
        first = seen.get(key)
        if first is None:
            if key:
                seen[key] = number
        elif first.__class__ is int:
            first = (first, None)
        firsts.append(first)
    return firsts


def sort_new_rows(plan: Plan, data_import: DataImport, record: ImportFile, keys: list[str],
                  numbers: list[int], problems: list[list[dict[str, str]]],
                  firsts: list[First | None] | None = None) -> list[str]:
    """The statuses of rows of ``record`` on their way into staging, duplicates marked.

    ``keys`` and ``numbers`` are the rows' natural keys and row numbers, ``problems`` what
    :func:`check_columns` found in each; a natural key that a row staged before has, or
    an earlier row of these, is a duplicate, and the problem joins the row's. ``firsts``,
    when given, are the duplicates' first rows (:func:`earlier_rows`) and nothing is looked
    up in staging.
    """
    if firsts is None:
        firsts = earlier_rows(keys, numbers, _staged_keys(data_import, set(keys) - {""}))
    names: dict[int, str] | None = None
    for found, first in zip(problems, firsts, strict=True):
        if first is not None:
            if names is None and first[1] not in (None, record.id):
                names = data_import.file_names()
            found.append(_duplicate(plan, first, record.id, names or {}))
    return ["needs_attention" if found else "ready" for found in problems]


def _set_statuses(chunk, problems: list[list[dict[str, str]]]) -> None:
    rows = list(zip(chunk, problems, strict=True))
    rowstatus.mark_ready([row.id for row, found in rows if not found])
    rowstatus.mark_needs_attention([(row.id, found) for row, found in rows if found])


@fewer_collections()
def validate(data_import: DataImport,
             progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Validate every *Yet to validate* row; returns the counts per status afterwards.

    ``progress(done, total)`` is called after each chunk: the rows validated so far and
    the rows there were to validate (counted once, at the start).
    """
    require("write", data_import)
    pending = (StagingRow.import_id == data_import.id, StagingRow.status == "yet_to_validate")
    total = db.session.scalar(select(func.count()).select_from(StagingRow).where(*pending))
    if total:
        _validate_pending(data_import, pending, total, progress)
    return rowstatus.status_counts(data_import)


def _validate_pending(data_import, pending, total, progress) -> None:
    plan, names = plan_for(data_import), data_import.file_names()
    duplicates = _duplicates(data_import)
    data_import.state = "validating"
    last_id, done, size = 0, 0, setting("IMPORT_CHUNK_ROWS")
    while True:
        chunk = db.session.execute(
            select(StagingRow.id, StagingRow.values, StagingRow.natural_key,
                   StagingRow.file_id)
            .where(*pending, StagingRow.id > last_id)
            .order_by(StagingRow.id).limit(size).with_for_update()).all()
        if not chunk:
            break
        last_id = chunk[-1].id
        _, problems = check_values(plan, data_import, [row.values for row in chunk])
        for row, found in zip(chunk, problems, strict=True):
            first = duplicates.get(row.natural_key)
            if first is not None and first[0] != row.id:
                found.append(_duplicate(plan, first[1], row.file_id, names))
        _set_statuses(chunk, problems)
        done += len(chunk)
        if progress is not None:
            progress(done, max(total, done))  # a row fixed meanwhile may join the run
    data_import.state = "validated"
    db.session.flush()
