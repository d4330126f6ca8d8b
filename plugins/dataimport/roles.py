"""Who may import: agents import and publish, customers upload and fix their own rows.

Both roles are ``part_of`` the onboarding plugin's roles, so every onboarding agent and
every customer has them. Import builder and validation rules are for admins.
"""

from sqlalchemy import select

from onward import FieldRule, RecordRule, RoleDefinition
from onward.plugins.dataimport.models import DataImport, ImportFile, StagingRow
from onward.plugins.onboarding.models import CaseTask

ROLES = [
    RoleDefinition(
        "dataimport_agent", label="Data import agent", part_of=("onboarding_agent",),
        description="Imports customer data into staging, validates and publishes it.",
        rights={"dataimport_import": "rcw", "dataimport_file": "rcwd", "dataimport_row": "rcwd",
                "dataimport_batch": "rcw", "dataimport_source": "r", "dataimport_rule": "r"},
    ),
    RoleDefinition(
        "dataimport_customer", label="Data import customer", external=True,
        part_of=("customer",),
        description="Uploads, imports, fixes and validates the rows of the import tasks it "
                    "is contact of (publishing is the agents').",
        rights={"dataimport_import": "rw", "dataimport_file": "rc", "dataimport_row": "rw"},
    ),
]


def _my_imports(user):
    """The imports of the visible tasks ``user`` is contact of."""
    return select(DataImport.id).join(CaseTask, CaseTask.id == DataImport.task_id).where(
        CaseTask.visible_to_customer.is_(True), CaseTask.contact_id == user.id)


def access_rules():
    """Customers reach only the imports (and their files and rows) of their own tasks."""
    return [
        RecordRule(DataImport, "dataimport_customer",
                   lambda user: DataImport.id.in_(_my_imports(user))),
        RecordRule(ImportFile, "dataimport_customer",
                   lambda user: ImportFile.import_id.in_(_my_imports(user))),
        RecordRule(StagingRow, "dataimport_customer",
                   lambda user: StagingRow.import_id.in_(_my_imports(user))),
        FieldRule(DataImport, ("task_id", "target", "state", "account_id")),
        FieldRule(ImportFile, ("import_id", "name", "size", "state", "rows", "message",
                               "created_at")),
        FieldRule(StagingRow, ("import_id", "file_id", "row_number", "values", "status",
                               "problems")),
    ]
