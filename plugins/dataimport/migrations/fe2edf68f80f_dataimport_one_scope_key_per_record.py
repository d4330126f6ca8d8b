"""dataimport: one scope key per record, (domain_id, account_id) to the account

Needs core's ``569e147f4ce9``, which runs first (core's lineage runs before the
plugins'). On SQLite each table is built anew (foreign keys off meanwhile, see the
migration environment), which drops the trigger of ``9c4e1f2a7d30`` with the old
``dataimport_import``: it is created again after.

Revision ID: fe2edf68f80f
Revises: 4b8d2e6f1a95
Create Date: 2026-11-27 04:15:38.262088

"""
from alembic import op

from onward import one_scope_key, two_scope_keys

# revision identifiers, used by Alembic.
revision = 'fe2edf68f80f'
down_revision = '4b8d2e6f1a95'
branch_labels = None
depends_on = None

#: the import's account-scoped tables (staging rows keep their scope as plain numbers)
TABLES = ["dataimport_file", "dataimport_import"]
#: ``9c4e1f2a7d30``'s trigger on SQLite: an import's staging rows go with it
SQLITE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS dataimport_import_delete_rows
    AFTER DELETE ON dataimport_import
    BEGIN
        DELETE FROM dataimport_row WHERE import_id = OLD.id;
    END"""


def restore_trigger():
    """Create the trigger again where a rebuild dropped it (PostgreSQL keeps it)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)


def upgrade():
    for table in TABLES:
        one_scope_key(table)
    restore_trigger()


def downgrade():
    for table in reversed(TABLES):
        two_scope_keys(table)
    restore_trigger()
