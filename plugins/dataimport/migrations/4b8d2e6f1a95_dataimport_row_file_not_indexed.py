"""dataimport rows' file not indexed

Revision ID: 4b8d2e6f1a95
Revises: 9c4e1f2a7d30
Create Date: 2026-11-27 02:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4b8d2e6f1a95'
down_revision = '9c4e1f2a7d30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dataimport_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataimport_row_file_id'))


def downgrade():
    with op.batch_alter_table('dataimport_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataimport_row_file_id'), ['file_id'], unique=False)
