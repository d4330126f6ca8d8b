"""Operations that revisions of several lineages share (call them inside a revision)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy.exc import SAWarning


def one_scope_key(table: str) -> None:
    """Give account-scoped ``table`` the one scope key of :class:`~onward.AccountScopedMixin`.

    Its keys to the account and to the domain become one: ``(domain_id, account_id)`` to
    the account's ``(domain_id, id)``, which core's revision ``569e147f4ce9`` makes unique
    (core's lineage runs before every plugin's). A plugin whose account-scoped tables were
    made before Onward had that key adds a revision calling this for each of them. On
    SQLite the table is built anew: indexes on expressions and triggers do not survive
    it, so the revision creates them again.
    """
    with _rebuilt(table) as batch:
        batch.drop_constraint(op.f(f"fk_{table}_account_id_core_account"), type_="foreignkey")
        batch.drop_constraint(op.f(f"fk_{table}_domain_id_core_domain"), type_="foreignkey")
        batch.create_foreign_key(op.f(f"fk_{table}_domain_id_core_account"), "core_account",
                                 ["domain_id", "account_id"], ["domain_id", "id"])


def two_scope_keys(table: str) -> None:
    """Take :func:`one_scope_key` back: a key to the account and one to the domain."""
    with _rebuilt(table) as batch:
        batch.drop_constraint(op.f(f"fk_{table}_domain_id_core_account"), type_="foreignkey")
        batch.create_foreign_key(op.f(f"fk_{table}_domain_id_core_domain"), "core_domain",
                                 ["domain_id"], ["id"])
        batch.create_foreign_key(op.f(f"fk_{table}_account_id_core_account"), "core_account",
                                 ["account_id"], ["id"])


@contextmanager
def _rebuilt(table: str) -> Iterator[BatchOperations]:
    """Alembic's batch operations on ``table``, quiet about what SQLite cannot reflect.

    Indexes on expressions: the revision creates them again.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        with op.batch_alter_table(table) as batch:
            yield batch
