"""welcome notes: one scope key, (domain_id, account_id) to the account

Core's ``569e147f4ce9`` (the account's unique ``(domain_id, id)``) runs first: core's
lineage runs before every plugin's.
A plugin made before Onward gave account-scoped records one scope key adds a revision
like this one.

Revision ID: 35fc148123ca
Revises: a6420cbcccc3
Create Date: 2026-11-27 04:30:00.000000

"""
from onward import one_scope_key, two_scope_keys

# revision identifiers, used by Alembic.
revision = '35fc148123ca'
down_revision = 'a6420cbcccc3'
branch_labels = None
depends_on = None

TABLES = ['welcome_note']


def upgrade():
    for table in TABLES:
        one_scope_key(table)


def downgrade():
    for table in reversed(TABLES):
        two_scope_keys(table)
