"""exemplar: one scope key per record, (domain_id, account_id) to the account

Core's ``569e147f4ce9`` (the account's unique ``(domain_id, id)``) runs first: core's
lineage runs before every plugin's.

Revision ID: d38a637e500e
Revises: 881360fd5b0c
Create Date: 2026-11-27 04:30:00.000000

"""
from onward import one_scope_key, two_scope_keys

# revision identifiers, used by Alembic.
revision = 'd38a637e500e'
down_revision = '881360fd5b0c'
branch_labels = None
depends_on = None

TABLES = ['exemplar_thing', 'exemplar_case']


def upgrade():
    for table in TABLES:
        one_scope_key(table)


def downgrade():
    for table in reversed(TABLES):
        two_scope_keys(table)
