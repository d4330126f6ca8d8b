"""dataimport rows deleted with their import by a trigger, not a foreign key

A later migration that rebuilds ``dataimport_import`` on SQLite (a batch "move and copy")
drops the trigger with the old table and must create it again; the test
``test_an_imports_rows_go_with_it_however_it_is_deleted`` would fail without it.

Revision ID: 9c4e1f2a7d30
Revises: 57673ab93119
Create Date: 2026-11-27 01:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9c4e1f2a7d30'
down_revision = '57673ab93119'
branch_labels = None
depends_on = None

#: PostgreSQL checked the foreign key once for every staged row; an import's rows go with
#: it, whether the application or a cascade from its task deletes it
POSTGRESQL = [
    """CREATE FUNCTION dataimport_import_delete_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM dataimport_row WHERE import_id = OLD.id;
        RETURN OLD;
    END $$""",
    """CREATE TRIGGER dataimport_import_delete_rows BEFORE DELETE ON dataimport_import
    FOR EACH ROW EXECUTE FUNCTION dataimport_import_delete_rows()""",
]
SQLITE = [
    """CREATE TRIGGER dataimport_import_delete_rows AFTER DELETE ON dataimport_import
    BEGIN
        DELETE FROM dataimport_row WHERE import_id = OLD.id;
    END""",
]


def upgrade():
    with op.batch_alter_table('dataimport_row', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dataimport_row_import_id_dataimport_import'), type_='foreignkey')
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade():
    op.execute("DROP TRIGGER dataimport_import_delete_rows"
               + (" ON dataimport_import" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION dataimport_import_delete_rows()")
    with op.batch_alter_table('dataimport_row', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_dataimport_row_import_id_dataimport_import'), 'dataimport_import', ['import_id'], ['id'], ondelete='CASCADE')
