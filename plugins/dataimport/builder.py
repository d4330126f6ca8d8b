"""The import builder: a data source made from an XLSX template, and its playbook activity.

An admin names the source, picks the target and uploads a template. Its header is matched
to the target's fields (:func:`~.mapping.match_columns`); a column that matches nothing is
listed with the closest field names and the admin maps it to a field or leaves it out —
nothing is dropped silently. The source is stored once every column is settled and every
required field has a column. Its :func:`activity_snippet` goes into a playbook's *Data
capture & validation* stage; the task the activity makes gets its import with this source
(:func:`import_for_activity`, run from ``on_event``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from onward import (
    Conflict,
    Event,
    NotFound,
    ValidationFailed,
    current_actor,
    db,
    playbooks,
    require,
)
from onward.plugins.dataimport.config import setting, target_of
from onward.plugins.dataimport.mapping import (
    ACCOUNT_FIELD,
    ColumnMap,
    Matching,
    match_columns,
)
from onward.plugins.dataimport.models import DataImport, DataSource
from onward.plugins.dataimport.reader import workbook
from onward.plugins.dataimport.staging import import_of_task
from onward.plugins.dataimport.validation import _domain_chain
from onward.plugins.onboarding.models import CaseTask

#: the choice that leaves a column out of the import
LEAVE_OUT = ""
#: the staging name's prefix, as in the seed (``ALE_DS_<name>``)
STAGING_PREFIX = "ALE_DS_"
#: the settings of the onboarding task activity that make an import task
TARGET_SETTING, SOURCE_SETTING = "import_target", "data_source"


def _refuse(message: str, field: str = "columns") -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def read_headers(template: str | Path | IO[bytes]) -> tuple[str, ...]:
    """The header labels of an XLSX template (a path or an uploaded stream).

    Raises:
        WorkbookRefused: not a readable workbook table; the message says why.
    """
    if isinstance(template, str | Path):
        with workbook.read(template, header_only=True) as table:
            return table.headers
    limit, size = setting("IMPORT_MAX_BYTES"), 0
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as copy:
        while block := template.read(1 << 16):
            size += len(block)
            if size > limit:
                raise _refuse(f"The template is larger than the limit of "
                              f"{limit // (1024 * 1024)} MB.", "file")
            copy.write(block)
        copy.flush()
        with workbook.read(copy.name, header_only=True) as table:
            return table.headers


def staging_name_for(name: str) -> str:
    """The default staging name of a source: ``ALE_DS_`` and its name as an identifier."""
    return STAGING_PREFIX + (re.sub(r"\W+", "_", name.strip()).strip("_") or "source")


def field_choices(target_key: str) -> list[tuple[str, str]]:
    """``(field name, title)`` a column may be mapped to, the account column included."""
    target = target_of(target_key)
    return [*((item.name, item.title) for item in target.fields), (ACCOUNT_FIELD, "Account")]


def resolve(target_key: str, headers: Sequence[str],
            mapping: Mapping[str, str | None] | None = None) -> Matching:
    """Match ``headers`` to the target, then apply the admin's ``mapping``.

    ``mapping`` gives, per column label, a field name or ``None``/``""`` to leave the column
    out. The result's ``unmatched`` holds what is still unsettled (with suggestions) and
    ``missing`` the required fields no column fills.

    Raises:
        ValidationFailed: a mapping names an unknown column or field, or a field twice.
    """
    target = target_of(target_key)
    matching = match_columns(target, headers)
    mapping = dict(mapping or {})
    unknown = [label for label in mapping if label not in headers]
    if unknown:
        raise _refuse(f"The template has no column {unknown[0]!r}.")
    names = {name for name, _title in field_choices(target_key)}
    columns = []
    for column in matching.columns:
        if column.column in mapping:
            field = mapping[column.column] or None
            if field is not None and field not in names:
                raise _refuse(f"{target.label} has no field {field!r} (column "
                              f"{column.column!r}).")
            column = ColumnMap(column.column, field, column.transforms, column.date_format)
            matching.unmatched.pop(column.column, None)
        columns.append(column)
    _check_unique(columns, target_key)
    filled = {column.field for column in columns if column.field}
    matching.columns = columns
    matching.missing = [item.title for item in target.fields
                        if item.required and item.name not in filled]
    return matching


def _check_unique(columns: Sequence[ColumnMap], target_key: str) -> None:
    seen: dict[str, str] = {}
    titles = dict(field_choices(target_key))
    for column in columns:
        if column.field and column.field in seen:
            raise _refuse(f"Columns {seen[column.field]!r} and {column.column!r} both fill "
                          f"{titles.get(column.field, column.field)!r}; map each field once.")
        if column.field:
            seen[column.field] = column.column


def problems_of(matching: Matching) -> list[str]:
    """What keeps a matching from becoming a source, one sentence each."""
    found = [f"Column {label!r} matches no field"
             + (f" (closest: {', '.join(hints)})" if hints else "")
             + ": map it to a field or leave it out."
             for label, hints in matching.unmatched.items()]
    found += [f"No column fills the required field {title!r}." for title in matching.missing]
    return found


def _domain_id() -> int:
    actor = current_actor()
    domain_id = getattr(actor, "domain_id", None)
    if domain_id is None:
        raise _refuse("A data source belongs to a domain: act as a user of one.", "name")
    return domain_id


def create_source(name: str, target_key: str, headers: Sequence[str], *,
                  mapping: Mapping[str, str | None] | None = None,
                  staging_name: str | None = None, template_name: str = ""
                  ) -> tuple[DataSource, Matching]:
    """Store a data source for ``headers`` once every column is settled.

    Raises:
        ValidationFailed: an unsettled column (with suggestions) or a missing required field.
        Conflict: the domain has a source of that name already.
    """
    name = (name or "").strip()
    if not name:
        raise _refuse("Name the data source.", "name")
    matching = resolve(target_key, headers, mapping)
    problems = problems_of(matching)
    if problems:
        raise ValidationFailed(" ".join(problems), fields={"columns": problems})
    source = DataSource(name=name[:120], target=target_key, domain_id=_domain_id(),
                        staging_name=(staging_name or "").strip() or staging_name_for(name),
                        columns=[column.as_dict() for column in matching.columns],
                        template_name=template_name[:255])
    require("create", source)
    check_name_free(source.name, source.domain_id)
    db.session.add(source)
    db.session.flush()
    return source, matching


def check_name_free(name: str, domain_id: int | None = None) -> None:
    """Refuse a source name the domain (the actor's by default) uses already (409)."""
    clash = db.session.scalar(select(DataSource.id).where(
        DataSource.domain_id == (domain_id or _domain_id()), DataSource.name == name.strip()))
    if clash is not None:
        raise Conflict(f"There is a data source named {name.strip()!r} already; choose "
                       "another name.", fields={"name": ["This name is taken."]})


def build_source(name: str, target_key: str, template: str | Path | IO[bytes],
                 staging_name: str | None = None, *,
                 mapping: Mapping[str, str | None] | None = None, template_name: str = ""
                 ) -> tuple[DataSource, Matching]:
    """Make a data source from an XLSX template: read its header, match and store it.

    Args:
        name: the source's name, unique in the domain.
        target_key: the import target's key.
        template: the template's path or an uploaded stream.
        staging_name: the staging list's name; by default ``ALE_DS_<name>``.
        mapping: per column label, a field name or ``None`` to leave the column out.
        template_name: the template's file name (by default the path's).

    Raises:
        WorkbookRefused, ValidationFailed, Conflict: see :func:`read_headers` and
            :func:`create_source`.
    """
    target_of(target_key)
    headers = read_headers(template)
    if not template_name and isinstance(template, str | Path):
        template_name = Path(template).name
    return create_source(name, target_key, headers, mapping=mapping,
                         staging_name=staging_name, template_name=template_name)


def update_columns(source: DataSource, columns: Sequence[Mapping[str, Any]]) -> DataSource:
    """Replace a source's field map (field, transforms, date format per column).

    Every column of the map stays (a column is left out with no field, never dropped);
    fields must be the target's, each at most once, and the required fields filled.

    Raises:
        ValidationFailed: an unknown column, field or transform; a field twice; a required
            field without a column.
    """
    require("write", source)
    stored = [item["column"] for item in source.columns]
    given = [ColumnMap.from_dict(dict(item)) for item in columns]
    if sorted(column.column for column in given) != sorted(stored):
        raise _refuse("The field map must list each column of the template once: "
                      f"{', '.join(stored)}.")
    matching = resolve(source.target, stored, {column.column: column.field for column in given})
    if matching.missing:
        problems = problems_of(Matching(matching.columns, {}, matching.missing))
        raise ValidationFailed(" ".join(problems), fields={"columns": problems})
    date_fields = {item.name for item in target_of(source.target).fields
                   if item.type in ("date", "datetime")}
    for column in given:
        if column.date_format and column.field not in date_fields:
            raise _refuse(f"Column {column.column!r}: a date format fits a date column only.")
        if column.date_format and "%" not in column.date_format:
            raise _refuse(f"Column {column.column!r}: write the date format with codes, "
                          "like %d/%m/%Y.")
    by_column = {column.column: column for column in given}
    source.columns = [by_column[label].as_dict() for label in stored]
    db.session.flush()
    return source


def delete_source(source: DataSource) -> None:
    """Delete a source that no import uses."""
    require("delete", source)
    used = db.session.scalar(select(DataImport.id).where(DataImport.source_id == source.id)
                             .limit(1))
    if used is not None:
        raise Conflict(f"{source.name} is used by an import task; it stays.")
    db.session.delete(source)
    db.session.flush()


def activity_snippet(source: DataSource) -> dict[str, Any]:
    """The playbook activity that makes an import task for ``source``.

    It goes into the *Data capture & validation* stage: the onboarding plugin's ``task``
    activity, whose settings name the import target and the data source.
    """
    target = target_of(source.target)
    key = re.sub(r"[^a-z0-9_]+", "_", f"import_{source.name}".lower()).strip("_")[:60]
    return {
        "key": key,
        "definition": "task",
        "label": source.name,
        "responsibility": "developer",
        "start": "with_previous",
        "inputs": {
            "subject": f"Import {target.label.lower()}",
            "task_type": "data_capture",
            "due": {"from": "start", "working_days": 10},
            TARGET_SETTING: source.target,
            SOURCE_SETTING: source.name,
        },
    }


def source_named(name: str, domain_id: int, target_key: str) -> DataSource | None:
    """The source ``name`` of ``target_key`` in ``domain_id`` or the nearest domain above."""
    chain = _domain_chain(domain_id)
    found = db.session.scalars(select(DataSource).where(
        DataSource.name == name, DataSource.target == target_key,
        DataSource.domain_id.in_(chain))).all()
    return min(found, key=lambda source: chain.index(source.domain_id), default=None)


def _settings_of(instance, activity) -> dict[str, Any]:
    for stage in instance.version.stages():
        for spec in stage["activities"]:
            if spec["key"] == activity.key:
                return dict(spec.get("inputs") or {})
    return {}


def import_for_activity(event: Event) -> DataImport | None:
    """Give the task a ``task`` activity just made its import, when its settings ask.

    Settings ``import_target`` (and optionally ``data_source``, a source's name) make the
    task an import task. Idempotent: an event handled twice finds the import made.
    """
    data = event.data
    if "activity_id" not in data or "instance_id" not in data:
        return None
    try:
        instance = playbooks.get_instance(data["instance_id"])
        activity = playbooks.get_activity(instance, data["activity_id"])
    except NotFound:  # deleted since: nothing to give an import to
        return None
    task_id = (activity.input or {}).get("task_id")
    settings = _settings_of(instance, activity)
    target_key = settings.get(TARGET_SETTING)
    task = db.session.get(CaseTask, task_id) if task_id else None
    if activity.definition_key != "task" or not target_key or task is None:
        return None
    data_import = import_of_task(task, target_key)
    wanted = settings.get(SOURCE_SETTING)
    if wanted and data_import.source_id is None:
        source = source_named(wanted, task.domain_id, target_key)
        if source is None:
            task.add_work_note(f"The data source {wanted!r} of {target_key} was not found; "
                               "the import matches columns by their labels.")
        else:
            data_import.source_id = source.id
    db.session.flush()
    return data_import
