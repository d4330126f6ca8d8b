"""The data import's records: sources, rules, imports, files, staging rows, batches.

An *import* belongs to one onboarding case task (the import task) and one import target;
its files are read into *staging rows*, which validation sorts into Ready to publish, Needs
attention and Yet to validate, and publishing writes to the target in *batches* that can be
undone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onward import (
    Account,
    AccountScopedMixin,
    AuditedMixin,
    DomainScopedMixin,
    TimestampMixin,
    UTCDateTime,
    db,
    utcnow,
)
from onward.plugins.onboarding.models import CaseTask

#: what an import is doing (the seed's *data import state*)
IMPORT_STATES = {
    "not_loaded": "Data not loaded yet",
    "loading": "Loading",
    "loaded": "Loaded",
    "validating": "Validating",
    "validated": "Validated",
    "publishing": "Publishing",
    "published": "Published",
}
#: where a staging row stands
ROW_STATUSES = {
    "yet_to_validate": "Yet to validate",
    "needs_attention": "Needs attention",
    "ready": "Ready to publish",
    "published": "Published",
}
#: field-level validation kinds core ships (plugins add more through register_validators)
FIELD_KINDS = ("reference", "choice", "date", "datetime", "boolean", "max_length", "number")


class DataSource(DomainScopedMixin, TimestampMixin, AuditedMixin, db.Model):
    """What the import builder makes: a named source for a target, with its field map.

    ``columns`` maps each spreadsheet column to a target field (or to nothing, listed with
    suggestions): ``[{"column": "City", "field": "city", "transforms": ["trim"]}, …]``.
    """

    __tablename__ = "dataimport_source"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)
    __domain_column__ = "domain_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: the import target's key, e.g. ``locations``
    target: Mapped[str] = mapped_column(String(60), index=True)
    #: the staging list's name as agents see it, e.g. ``ALE_DS_locations``
    staging_name: Mapped[str] = mapped_column(String(120), default="")
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: the file name of the template the builder was given
    template_name: Mapped[str] = mapped_column(String(255), default="")


class ValidationRule(DomainScopedMixin, TimestampMixin, AuditedMixin, db.Model):
    """A *data validation assist* rule of a target: field-level or record-level.

    Field level: ``kind`` is one of :data:`FIELD_KINDS` or a field validator a plugin
    registered, on ``field``, with ``options`` (a date format, a maximum length …).
    Record level: ``kind`` is the key of a record validator a plugin registered.
    """

    __tablename__ = "dataimport_rule"
    __domain_column__ = "domain_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(60), index=True)
    #: ``field`` or ``record``
    level: Mapped[str] = mapped_column(String(10), default="field")
    kind: Mapped[str] = mapped_column(String(60))
    field: Mapped[str | None] = mapped_column(String(80))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: an empty value is a problem
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")


class DataImport(AccountScopedMixin, TimestampMixin, AuditedMixin, db.Model):
    """The import of one case task into one target (the task's import fields)."""

    __tablename__ = "dataimport_import"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the onboarding case task this import belongs to (one import per task)
    task_id: Mapped[int] = mapped_column(ForeignKey("onboarding_task.id", ondelete="CASCADE"),
                                         unique=True)
    #: the import target's key
    target: Mapped[str] = mapped_column(String(60))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("dataimport_source.id"))
    #: one of :data:`IMPORT_STATES`
    state: Mapped[str] = mapped_column(String(20), default="not_loaded")
    #: the job run working on the import, and since when (runs take turns; see jobs.py)
    lock_run_id: Mapped[int | None] = mapped_column(Integer)
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship()
    task: Mapped[CaseTask] = relationship()
    source: Mapped[DataSource | None] = relationship()
    files: Mapped[list[ImportFile]] = relationship(back_populates="data_import",
                                                  order_by="ImportFile.id")

    def file_names(self) -> dict[int, str]:
        """Its files' names by id, as stored now (rows name the file they came from)."""
        return dict(db.session.execute(select(ImportFile.id, ImportFile.name).where(
            ImportFile.import_id == self.id)).all())


class ImportFile(AccountScopedMixin, TimestampMixin, db.Model):
    """An uploaded XLSX of an import, kept in the instance folder."""

    __tablename__ = "dataimport_file"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("dataimport_import.id",
                                                      ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    #: where the bytes are, relative to the uploads folder
    path: Mapped[str] = mapped_column(String(255), default="")
    #: ``uploaded``, ``imported`` or ``refused``
    state: Mapped[str] = mapped_column(String(10), default="uploaded")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")

    data_import: Mapped[DataImport] = relationship(back_populates="files")


class StagingRow(AccountScopedMixin, db.Model):
    """One spreadsheet row on its way to the target; written and updated in bulk."""

    __tablename__ = "dataimport_row"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"
    __scope_key__ = False  # see import_id
    #: validation and publishing walk an import's rows of one status in id order, a chunk at
    #: a time: this index serves that walk (and the counts per status) without a sort
    __table_args__ = (Index("ix_dataimport_row_import_status_id", "import_id", "status", "id"),
                      # duplicates are looked for within an import, a chunk's keys at a time
                      Index("ix_dataimport_row_import_key", "import_id", "natural_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the row's import. Like every key of a staging row, a plain number, not a foreign
    #: key: PostgreSQL checked each for every staged row (the import's alone cost a tenth
    #: of the one pass). Nothing dangles: a trigger on ``dataimport_import`` deletes an
    #: import's rows with it (migration ``9c4e1f2a7d30``), however the import goes.
    import_id: Mapped[int] = mapped_column(Integer)
    #: the file the row came from: the import holds the keys. A file is deleted only once
    #: its rows are (refused or restarted), a batch only with its import. Not indexed:
    #: rows of a file are always looked for within their import.
    file_id: Mapped[int | None] = mapped_column(Integer)
    #: the import's account and domain, copied for scoping; not indexed: rows are always
    #: reached through their import, whose indexes serve
    account_id: Mapped[int] = mapped_column(Integer)
    domain_id: Mapped[int] = mapped_column(Integer)
    #: the row's number in its sheet, as Excel shows it
    row_number: Mapped[int] = mapped_column(Integer)
    #: target field -> the value as read (after the field map's transforms)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the natural key's values joined, for duplicate checks in SQL
    natural_key: Mapped[str] = mapped_column(String(255), default="")
    #: one of :data:`ROW_STATUSES`
    status: Mapped[str] = mapped_column(String(20), default="yet_to_validate")
    #: ``[{"field": …, "column": …, "message": …}]``, one per problem
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: the publish batch that published the row (see ``file_id``)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    #: the target record the row was published to
    record_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


#: the problems of a row that has none, as SQL for bulk statements (a bound ``[]`` would be
#: JSON-encoded once per row)
NO_PROBLEMS = literal_column("'[]'")


class PublishBatch(db.Model):
    """One publish run: its counts and what undoing it needs."""

    __tablename__ = "dataimport_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("dataimport_import.id",
                                                      ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id",
                                                                 ondelete="SET NULL"))
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    #: ``{"inserted": [[first id, last id], …]}``: the new records, as runs of ids (the old
    #: values of updated records are :class:`BatchUpdate` rows)
    undo: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BatchUpdate(db.Model):
    """A record a publish batch updated, and the values it had before (for undo)."""

    __tablename__ = "dataimport_batch_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("dataimport_batch.id", ondelete="CASCADE"),
                                          index=True)
    record_id: Mapped[int] = mapped_column(Integer)
    #: field -> its value before the batch (dates as ISO text)
    old: Mapped[dict[str, Any]] = mapped_column(JSON)
