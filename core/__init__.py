"""Onward's kernel and the public API that plugins import (through ``onward``).

Plugins import from here, never from the modules behind it::

    from onward import hookimpl, db, scoped, require, RoleDefinition
"""

from onward.core import jobs, scorecards
from onward.core.access import (
    can,
    effective_roles,
    get_or_404,
    has_right,
    readable_fields,
    require,
    scoped,
)
from onward.core.actor import SYSTEM, acting_as, current_actor
from onward.core.api.conventions import add_resource, dump, page_response, reference
from onward.core.api.schemas import JobRunSchema
from onward.core.app import create_app, onward_state
from onward.core.bulk import (
    among,
    delete_many,
    fewer_collections,
    insert_columns,
    insert_many,
    write_columns,
    write_rows,
)
from onward.core.cli_support import console, print_json_object, print_rows, say
from onward.core.db import (
    LARGEST_INTEGER,
    AccountScopedMixin,
    AuditedMixin,
    DomainScopedMixin,
    JournalMixin,
    NumberedMixin,
    TimestampMixin,
    UTCDateTime,
    batch_events,
    db,
    dump_json,
    json_text,
    unstorable_number,
    utcnow,
)
from onward.core.errors import (
    AccessDenied,
    Conflict,
    NotFound,
    OnwardError,
    RuleViolation,
    StartupError,
    Unauthenticated,
    ValidationFailed,
)
from onward.core.events import Event, emit
from onward.core.hookspecs import hookimpl
from onward.core.imports import describe_fields
from onward.core.listing import ListSpec, paginate, parse_list_args
from onward.core.models import Account, Domain, Role, User
from onward.core.playbooks import engine as playbooks
from onward.core.registries import (
    ActivityDefinition,
    CaseType,
    FieldRule,
    ImportField,
    ImportReference,
    ImportTarget,
    Job,
    Migrations,
    NavItem,
    PlaybookDefinition,
    RecordRule,
    RoleDefinition,
    Rule,
    Scorecard,
    StateMap,
    SuccessPlay,
    Validator,
)
from onward.core.revisions import one_scope_key, two_scope_keys
from onward.core.users import create_user, set_roles
from onward.core.views.pages import (
    choices,
    form_status,
    list_page,
    post_action,
    record_history,
    submit_form,
)
from onward.core.views.playbook_pages import playbook_context

__all__ = [
    "LARGEST_INTEGER",
    "SYSTEM",
    "AccessDenied",
    "Account",
    "AccountScopedMixin",
    "ActivityDefinition",
    "AuditedMixin",
    "CaseType",
    "Conflict",
    "Domain",
    "DomainScopedMixin",
    "Event",
    "FieldRule",
    "ImportField",
    "ImportReference",
    "ImportTarget",
    "Job",
    "JobRunSchema",
    "JournalMixin",
    "ListSpec",
    "Migrations",
    "NavItem",
    "NotFound",
    "NumberedMixin",
    "OnwardError",
    "PlaybookDefinition",
    "RecordRule",
    "Role",
    "RoleDefinition",
    "Rule",
    "RuleViolation",
    "Scorecard",
    "StartupError",
    "StateMap",
    "SuccessPlay",
    "TimestampMixin",
    "UTCDateTime",
    "Unauthenticated",
    "User",
    "ValidationFailed",
    "Validator",
    "acting_as",
    "add_resource",
    "among",
    "batch_events",
    "can",
    "choices",
    "console",
    "create_app",
    "create_user",
    "current_actor",
    "db",
    "delete_many",
    "describe_fields",
    "dump",
    "dump_json",
    "effective_roles",
    "emit",
    "fewer_collections",
    "form_status",
    "get_or_404",
    "has_right",
    "hookimpl",
    "insert_columns",
    "insert_many",
    "jobs",
    "json_text",
    "list_page",
    "one_scope_key",
    "onward_state",
    "page_response",
    "paginate",
    "parse_list_args",
    "playbook_context",
    "playbooks",
    "post_action",
    "print_json_object",
    "print_rows",
    "readable_fields",
    "record_history",
    "reference",
    "require",
    "say",
    "scoped",
    "scorecards",
    "set_roles",
    "submit_form",
    "two_scope_keys",
    "unstorable_number",
    "utcnow",
    "write_columns",
    "write_rows",
]
