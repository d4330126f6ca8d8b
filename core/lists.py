"""How core's records are listed: what each list can be sorted, searched and filtered by.

The admin pages and the API share these, so both answer the same ``?q=&sort=`` the same way.
"""

from __future__ import annotations

from onward.core.jobs import JobRun, JobSchedule
from onward.core.listing import ListSpec
from onward.core.models import Account, ApiToken, AuditEntry, Domain, Role, User
from onward.core.playbooks.models import PlaybookInstance, PlaybookVersion

USERS = ListSpec(
    sortable={"id": User.id, "email": User.email, "name": User.name,
              "created_at": User.created_at, "last_sign_in_at": User.last_sign_in_at},
    searchable=(User.email, User.name),
    filterable={"active": User.active, "account_id": User.account_id, "domain_id": User.domain_id},
    default_sort="email",
)
ROLES = ListSpec(
    sortable={"id": Role.id, "name": Role.name, "label": Role.label, "plugin": Role.plugin},
    searchable=(Role.name, Role.label, Role.description),
    filterable={"external": Role.external, "plugin": Role.plugin},
    default_sort="name",
)
DOMAINS = ListSpec(
    sortable={"id": Domain.id, "name": Domain.name, "created_at": Domain.created_at},
    searchable=(Domain.name,),
    filterable={"parent_id": Domain.parent_id},
    default_sort="name",
)
ACCOUNTS = ListSpec(
    sortable={"id": Account.id, "name": Account.name, "created_at": Account.created_at},
    searchable=(Account.name,),
    filterable={"active": Account.active, "domain_id": Account.domain_id},
    default_sort="name",
)
TOKENS = ListSpec(
    sortable={"id": ApiToken.id, "name": ApiToken.name, "created_at": ApiToken.created_at,
              "last_used_at": ApiToken.last_used_at},
    searchable=(ApiToken.name, ApiToken.prefix),
    filterable={"user_id": ApiToken.user_id},
    default_sort="-created_at",
)
AUDIT = ListSpec(
    sortable={"id": AuditEntry.id, "created_at": AuditEntry.created_at, "kind": AuditEntry.kind},
    searchable=(AuditEntry.detail, AuditEntry.table_name, AuditEntry.field),
    filterable={"kind": AuditEntry.kind, "table_name": AuditEntry.table_name,
                "record_id": AuditEntry.record_id, "user_id": AuditEntry.user_id},
    default_sort="-created_at",
)
PLAYBOOKS = ListSpec(
    sortable={"id": PlaybookVersion.id, "key": PlaybookVersion.key,
              "label": PlaybookVersion.label, "version": PlaybookVersion.version,
              "created_at": PlaybookVersion.created_at},
    searchable=(PlaybookVersion.key, PlaybookVersion.label),
    filterable={"source": PlaybookVersion.source},
    default_sort="key",
)
PLAYBOOK_INSTANCES = ListSpec(
    sortable={"id": PlaybookInstance.id, "status": PlaybookInstance.status,
              "started_at": PlaybookInstance.started_at},
    filterable={"status": PlaybookInstance.status},
    default_sort="-id",
)
JOB_RUNS = ListSpec(
    sortable={"id": JobRun.id, "key": JobRun.key, "status": JobRun.status,
              "created_at": JobRun.created_at, "finished_at": JobRun.finished_at},
    searchable=(JobRun.key, JobRun.label, JobRun.message),
    filterable={"status": JobRun.status, "key": JobRun.key, "scheduled": JobRun.scheduled},
    default_sort="-id",
)
JOB_SCHEDULES = ListSpec(
    sortable={"key": JobSchedule.key, "next_run_at": JobSchedule.next_run_at,
              "last_run_at": JobSchedule.last_run_at},
    searchable=(JobSchedule.key,),
    filterable={"active": JobSchedule.active},
    default_sort="key",
)
