"""onboarding knowledge: articles, their cannot-read roles, their links to tasks

Revision ID: d81f5b0c6e29
Revises: 566699abc635
Create Date: 2026-11-26 01:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd81f5b0c6e29'
down_revision = '566699abc635'
branch_labels = None
depends_on = None


def _stamps():
    return [
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
    ]


def upgrade():
    op.create_table('onboarding_article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('customer_readable', sa.Boolean(), nullable=False),
    sa.Column('task_type', sa.String(length=20), nullable=True),
    sa.Column('subject_pattern', sa.String(length=160), nullable=False),
    *_stamps(),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_onboarding_article_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['domain_id'], ['core_domain.id'], name=op.f('fk_onboarding_article_domain_id_core_domain')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['core_user.id'], name=op.f('fk_onboarding_article_updated_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_article'))
    )
    with op.batch_alter_table('onboarding_article', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_article_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboarding_article_number'), ['number'], unique=True)

    op.create_table('onboarding_article_cannot_read',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['onboarding_article.id'], name=op.f('fk_onboarding_article_cannot_read_article_id_onboarding_article'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['core_role.id'], name=op.f('fk_onboarding_article_cannot_read_role_id_core_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'role_id', name=op.f('pk_onboarding_article_cannot_read'))
    )
    with op.batch_alter_table('onboarding_article_cannot_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_article_cannot_read_role_id'), ['role_id'], unique=False)

    op.create_table('onboarding_task_article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    *_stamps(),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['core_account.id'], name=op.f('fk_onboarding_task_article_account_id_core_account')),
    sa.ForeignKeyConstraint(['article_id'], ['onboarding_article.id'], name=op.f('fk_onboarding_task_article_article_id_onboarding_article'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_onboarding_task_article_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['domain_id'], ['core_domain.id'], name=op.f('fk_onboarding_task_article_domain_id_core_domain')),
    sa.ForeignKeyConstraint(['task_id'], ['onboarding_task.id'], name=op.f('fk_onboarding_task_article_task_id_onboarding_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['core_user.id'], name=op.f('fk_onboarding_task_article_updated_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_task_article')),
    sa.UniqueConstraint('task_id', 'article_id', name=op.f('uq_onboarding_task_article_task_id'))
    )
    with op.batch_alter_table('onboarding_task_article', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_task_article_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboarding_task_article_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboarding_task_article_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboarding_task_article_task_id'), ['task_id'], unique=False)


def downgrade():
    op.drop_table('onboarding_task_article')
    op.drop_table('onboarding_article_cannot_read')
    op.drop_table('onboarding_article')
