"""core user emails lower-case

Sign-in and user lookups compare emails as stored, through the unique index: every email
is kept lower-case (``User`` lower-cases them; this brings older rows in line).

Revision ID: 5a1f0c3e7b21
Revises: c0efd66e1235
Create Date: 2026-11-26 20:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5a1f0c3e7b21'
down_revision = 'c0efd66e1235'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE core_user SET email = lower(email) WHERE email <> lower(email)")


def downgrade():
    pass  # lower-case emails are what the earlier code expected too
