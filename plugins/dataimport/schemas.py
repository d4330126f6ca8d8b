"""How imports, their files, staging rows, batches and validation rules look in the JSON API."""

from functools import cache

import marshmallow as ma
from marshmallow import fields, validate

from onward.plugins.dataimport.models import IMPORT_STATES, ROW_STATUSES

#: a cell's value as a client may write it
_CELL_TYPES = (str, int, float, bool, type(None))
#: the most characters an Excel cell holds
CELL_CHARACTERS = 32_767


class DataImportSchema(ma.Schema):
    """The import of one onboarding case task into one import target."""

    id = fields.Integer(dump_only=True)
    task_id = fields.Integer(dump_only=True)
    target = fields.String(dump_only=True, metadata={"description": "the import target's key"})
    source_id = fields.Integer(dump_only=True, allow_none=True)
    account_id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": ", ".join(IMPORT_STATES)})
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class DataImportCreateSchema(ma.Schema):
    """The task to import into and its target (an existing import of the task is reused)."""

    task_id = fields.Integer(required=True)
    target = fields.String(required=True, metadata={"description": "an import target's key"})
    source_id = fields.Integer(allow_none=True, load_default=None,
                               metadata={"description": "a data source of the target"})


class ImportFileSchema(ma.Schema):
    """An uploaded XLSX file of an import."""

    id = fields.Integer(dump_only=True)
    import_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True, metadata={"description": "bytes"})
    state = fields.String(dump_only=True, metadata={"description": "uploaded, imported, refused"})
    rows = fields.Integer(dump_only=True, metadata={"description": "rows staged from it"})
    message = fields.String(dump_only=True, metadata={"description": "why it was refused"})
    created_at = fields.AwareDateTime(dump_only=True)


class PublishBatchSchema(ma.Schema):
    """One publish run and what it did; undone batches have ``undone_at``."""

    id = fields.Integer(dump_only=True)
    import_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    inserted = fields.Integer(dump_only=True)
    updated = fields.Integer(dump_only=True)
    unchanged = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True)
    undone_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class DataImportDetailSchema(DataImportSchema):
    """An import with its rows counted per status, its files, latest batch and running job."""

    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True,
                         metadata={"description": f"rows per status: {', '.join(ROW_STATUSES)}"})
    files = fields.List(fields.Nested(ImportFileSchema), dump_only=True)
    latest_batch = fields.Nested(PublishBatchSchema, dump_only=True, allow_none=True,
                                 metadata={"description": "for those who may read batches"})
    job_run_id = fields.Integer(dump_only=True, allow_none=True,
                                metadata={"description": "the job run working on the import "
                                                         "(follow it at /api/v1/jobs/{id})"})


class DataImportRestartedSchema(DataImportDetailSchema):
    """An import after a restart, and how many staging rows were cleared."""

    cleared = fields.Integer(dump_only=True)


class ImportRestartSchema(ma.Schema):
    """Restarting clears every staging row of the import: confirm it."""

    confirm = fields.Boolean(load_default=False, metadata={"description": "must be true"})


class ImportFilesSchema(ma.Schema):
    """Which uploaded files to stage, and whether to publish ready rows as they are staged.

    By default every file not yet imported, not published.
    """

    file_ids = fields.List(fields.Integer(), load_default=None, allow_none=True)
    publish = fields.Boolean(load_default=False, metadata={
        "description": "Publish each chunk's ready rows as it is staged, then the rows "
                       "left ready, in one batch (agents only)."})


class ImportPublishSchema(ma.Schema):
    """Which ready rows to publish (default: every one)."""

    row_ids = fields.List(fields.Integer(), load_default=None, allow_none=True)


class ProblemSchema(ma.Schema):
    """One problem of a staging row: the field, its column and what is wrong."""

    field = fields.String()
    column = fields.String()
    message = fields.String()


class StagingRowSchema(ma.Schema):
    """A spreadsheet row in staging, with its problems."""

    id = fields.Integer(dump_only=True)
    import_id = fields.Integer(dump_only=True)
    file_id = fields.Integer(dump_only=True, allow_none=True)
    row_number = fields.Integer(dump_only=True, metadata={"description": "as Excel shows it"})
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         dump_only=True, metadata={"description": "target field -> value"})
    status = fields.String(dump_only=True, metadata={"description": ", ".join(ROW_STATUSES)})
    problems = fields.List(fields.Nested(ProblemSchema), dump_only=True)
    batch_id = fields.Integer(dump_only=True, allow_none=True)
    record_id = fields.Integer(dump_only=True, allow_none=True,
                               metadata={"description": "the record it was published to"})


def _cell_problem(value: object) -> str | None:
    """What keeps ``value`` out of a cell, if anything."""
    if not isinstance(value, _CELL_TYPES):
        return "A cell holds a text, a number, true/false or null."
    if isinstance(value, str) and len(value) > CELL_CHARACTERS:
        return f"A cell holds at most {CELL_CHARACTERS} characters."
    return None


class StagingRowUpdateSchema(ma.Schema):
    """New values for cells of a row: ``{"values": {field: value}}``."""

    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         required=True)

    @ma.validates_schema
    def _cells(self, data: dict, **_kwargs) -> None:
        problems = {name: [problem] for name, value in data.get("values", {}).items()
                    if (problem := _cell_problem(value))}
        if problems:
            raise ma.ValidationError({"values": problems})


class ValidationRuleSchema(ma.Schema):
    """A data validation assist rule of an import target."""

    id = fields.Integer(dump_only=True)
    domain_id = fields.Integer(dump_only=True)
    target = fields.String(metadata={"description": "an import target's key"})
    level = fields.String(validate=validate.OneOf(["field", "record"]))
    kind = fields.String(metadata={"description": "a field kind or a validator's key; see "
                                                  "/dataimport/validators"})
    field = fields.String(allow_none=True,
                          metadata={"description": "the target field (field level)"})
    options = fields.Dict(metadata={"description": "per kind: format, max_length, table and "
                                                   "field, choices"})
    mandatory = fields.Boolean(metadata={"description": "an empty value is a problem"})
    active = fields.Boolean()
    description = fields.String()
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class ValidationRuleCreateSchema(ValidationRuleSchema):
    """A new rule: a target and a kind at least."""

    target = fields.String(required=True)
    level = fields.String(load_default="field", validate=validate.OneOf(["field", "record"]))
    kind = fields.String(required=True)
    options = fields.Dict(load_default=dict)


class ImportValidatorSchema(ma.Schema):
    """A validator kind a rule can use."""

    key = fields.String()
    label = fields.String()
    description = fields.String()
    kind = fields.String(metadata={"description": "field or record"})


class ImportReferenceSchema(ma.Schema):
    """Where a reference field's value is looked up."""

    table = fields.Function(lambda reference: reference.model.__tablename__)
    field = fields.String()


class ImportTargetFieldSchema(ma.Schema):
    """An importable field of a target."""

    name = fields.String()
    label = fields.String(attribute="title")
    type = fields.String()
    required = fields.Boolean()
    choices = fields.Dict(keys=fields.String(), values=fields.String())
    max_length = fields.Integer(allow_none=True)
    minimum = fields.Raw(allow_none=True, metadata={
        "type": "number", "description": "the smallest number the column holds"})
    maximum = fields.Raw(allow_none=True, metadata={
        "type": "number", "description": "the largest number the column holds"})
    reference = fields.Nested(ImportReferenceSchema, allow_none=True)
    description = fields.String()


class ImportTargetSchema(ma.Schema):
    """A table imports publish into."""

    key = fields.String()
    label = fields.String()
    description = fields.String()
    fields_ = fields.List(fields.Nested(ImportTargetFieldSchema), data_key="fields",
                          attribute="fields")
    natural_key = fields.List(fields.String(),
                              metadata={"description": "the fields publishing upserts by"})


@cache
def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of ``item_schema`` objects (``items`` and ``meta``)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return ma.Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "meta": fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "page, page_size, total, pages"}),
    }, name=name)
