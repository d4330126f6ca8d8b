"""merge teams and customer data

Revision ID: 15d85b2a078a
Revises: 62adba5435be, b4da214613af
Create Date: 2026-11-23 19:41:28.532846

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '15d85b2a078a'
down_revision = ('62adba5435be', 'b4da214613af')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
