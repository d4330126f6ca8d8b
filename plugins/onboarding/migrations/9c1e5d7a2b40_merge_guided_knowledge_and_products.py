"""merge guided cases, knowledge and case products

Revision ID: 9c1e5d7a2b40
Revises: a3c94e1d7b52, d81f5b0c6e29, f2b7a90c3d14
Create Date: 2026-11-26 01:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c1e5d7a2b40'
down_revision = ('a3c94e1d7b52', 'd81f5b0c6e29', 'f2b7a90c3d14')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
