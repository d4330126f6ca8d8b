"""How core's records are listed: what each list can be sorted, searched and filtered by.

The admin pages and the API share these, so both answer the same ``?q=&sort=`` the same way.
"""

from __future__ import annotations

from onward.core.listing import ListSpec
from onward.core.models import Account, ApiToken, AuditEntry, Domain, Role, User

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
