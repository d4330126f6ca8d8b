"""onboarding: one scope key per record, (domain_id, account_id) to the account

Needs core's ``569e147f4ce9`` (the account's unique ``(domain_id, id)``), which runs
first: core's lineage always runs before the plugins'. On SQLite each table is built anew
(foreign keys are off meanwhile, see the migration environment), and SQLite cannot
reflect the key indexes on ``lower(…)``: they are created again after.

Revision ID: cfda4392bc71
Revises: e6a4d48ab9c8
Create Date: 2026-11-27 04:15:10.166169

"""
from alembic import op

from onward import one_scope_key, two_scope_keys

# revision identifiers, used by Alembic.
revision = 'cfda4392bc71'
down_revision = 'e6a4d48ab9c8'
branch_labels = None
depends_on = None

#: the onboarding's account-scoped tables
TABLES = [
    'onboarding_account_address',
    'onboarding_case',
    'onboarding_contract',
    'onboarding_entitlement',
    'onboarding_guided_case',
    'onboarding_guided_document',
    'onboarding_guided_member',
    'onboarding_install_base_item',
    'onboarding_install_base_sold_product',
    'onboarding_location',
    'onboarding_sold_product',
    'onboarding_task',
    'onboarding_task_article',
    'onboarding_team_member',
]
#: the data import's lookup indexes, on an expression SQLite's rebuild cannot carry over
KEY_INDEXES = {"onboarding_contract": "short_description", "onboarding_entitlement": "name",
               "onboarding_install_base_item": "name", "onboarding_location": "name",
               "onboarding_sold_product": "name"}


def restore_key_indexes():
    """Create the key indexes a SQLite rebuild dropped (PostgreSQL keeps them)."""
    for table, column in KEY_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_key ON {table} "
                   f"(account_id, lower({column}))")


def upgrade():
    for table in TABLES:
        one_scope_key(table)
    restore_key_indexes()


def downgrade():
    for table in reversed(TABLES):
        two_scope_keys(table)
    restore_key_indexes()
