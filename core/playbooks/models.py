"""The playbook engine's tables: definition versions, instances, activities and the log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onward.core.db import UTCDateTime, db, utcnow

INSTANCE_STATES = ("active", "complete", "canceled")
ACTIVITY_STATES = ("pending", "in_progress", "complete", "skipped")


class PlaybookVersion(db.Model):
    """One version of a playbook definition; instances keep the version they started on."""

    __tablename__ = "core_playbook_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the playbook's key, e.g. ``account_onboarding``
    key: Mapped[str] = mapped_column(String(80), index=True)
    #: 1, 2, 3 … per key
    version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    #: the definition itself (validated against ``playbook.schema.json``)
    data: Mapped[dict] = mapped_column(JSON)
    #: sha256 of the canonical JSON, so loading the same file twice adds no version
    checksum: Mapped[str] = mapped_column(String(64))
    #: ``plugin:<name>`` or ``admin``
    source: Mapped[str] = mapped_column(String(120), default="admin")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )

    __table_args__ = (UniqueConstraint("key", "version"),)

    def stages(self) -> list[dict[str, Any]]:
        """The definition's stages, each with its activities."""
        return self.data["stages"]


class PlaybookInstance(db.Model):
    """A playbook running for one record (a case, an initiative …)."""

    __tablename__ = "core_playbook_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("core_playbook_version.id"), index=True)
    #: the table of the record the playbook runs for
    record_type: Mapped[str] = mapped_column(String(120))
    record_id: Mapped[int] = mapped_column(Integer)
    #: ``active``, ``complete`` or ``canceled``
    status: Mapped[str] = mapped_column(String(20), default="active")
    #: the key of the stage being worked on; ``None`` once complete
    current_stage: Mapped[str | None] = mapped_column(String(80))
    #: the record's domain, for scoping
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("core_domain.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    version: Mapped[PlaybookVersion] = relationship()
    activities: Mapped[list[PlaybookActivity]] = relationship(
        back_populates="instance", order_by="PlaybookActivity.position",
        cascade="all, delete-orphan",
    )

    __table_args__ = (db.Index("ix_core_playbook_instance_record", "record_type", "record_id"),)
    __domain_column__ = "domain_id"


class PlaybookActivity(db.Model):
    """One activity of a running playbook: its state and the input entered so far."""

    __tablename__ = "core_playbook_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("core_playbook_instance.id", ondelete="CASCADE"), index=True
    )
    stage_key: Mapped[str] = mapped_column(String(80))
    #: the activity's key in the definition
    key: Mapped[str] = mapped_column(String(80))
    #: the activity definition (code) that runs it
    definition_key: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(String(200))
    #: order across the whole playbook
    position: Mapped[int] = mapped_column(Integer)
    #: ``pending``, ``in_progress``, ``complete`` or ``skipped``
    state: Mapped[str] = mapped_column(String(20), default="pending")
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: who gets the work, e.g. ``onboarding_manager``
    responsibility: Mapped[str | None] = mapped_column(String(120))
    #: what was entered (validated against the definition's input schema)
    input: Mapped[dict] = mapped_column(JSON, default=dict)
    #: why it was skipped, e.g. ``condition`` or ``by hand``
    skip_reason: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )

    instance: Mapped[PlaybookInstance] = relationship(back_populates="activities")

    __table_args__ = (UniqueConstraint("instance_id", "key"),)

    @property
    def finished(self) -> bool:
        """Complete or skipped: nothing left to do."""
        return self.state in ("complete", "skipped")


class PlaybookLogEntry(db.Model):
    """One step of a playbook instance: started, saved, completed, skipped, and so on."""

    __tablename__ = "core_playbook_log"
    __events__ = False  # the engine emits its own, named events

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("core_playbook_instance.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_playbook_activity.id", ondelete="CASCADE")
    )
    #: e.g. ``activity.completed``
    action: Mapped[str] = mapped_column(String(60))
    #: the input or details of the step
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    activity: Mapped[PlaybookActivity | None] = relationship()
