"""onboarding case products

Revision ID: f2b7a90c3d14
Revises: 566699abc635
Create Date: 2026-11-26 01:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b7a90c3d14'
down_revision = '566699abc635'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('onboarding_case_product',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['onboarding_case.id'], name=op.f('fk_onboarding_case_product_case_id_onboarding_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['onboarding_product.id'], name=op.f('fk_onboarding_case_product_product_id_onboarding_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'product_id', name=op.f('pk_onboarding_case_product'))
    )
    with op.batch_alter_table('onboarding_case_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_case_product_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('onboarding_case_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_case_product_product_id'))

    op.drop_table('onboarding_case_product')
