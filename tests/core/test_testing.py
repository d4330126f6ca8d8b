"""The test fixtures' PostgreSQL databases: emptied between tests, by any role."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from onward.core import testing

SERVER = os.environ.get("ONWARD_TEST_POSTGRES")

pytestmark = pytest.mark.skipif(not SERVER, reason="set ONWARD_TEST_POSTGRES to a server")


def _as_admin(*statements):
    engine = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


@pytest.mark.parametrize("superuser", [True, False])
def test_a_database_is_emptied_and_its_sequences_restart(superuser):
    name = f"onward_empty_{uuid.uuid4().hex[:8]}"
    owner = make_url(SERVER).username if superuser else name
    if not superuser:  # a plain role may not switch foreign key checks off
        _as_admin(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER')
    _as_admin(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    url = make_url(SERVER).set(database=name, username=owner).render_as_string(False)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "CREATE TABLE parent (id serial PRIMARY KEY);"
                "CREATE TABLE child (id serial PRIMARY KEY, parent_id int REFERENCES parent);"
                "CREATE TABLE alembic_version (version_num text);"
                "INSERT INTO parent DEFAULT VALUES; INSERT INTO parent DEFAULT VALUES;"
                "INSERT INTO child (parent_id) VALUES (2);"
                "INSERT INTO alembic_version VALUES ('head')"))
        testing.TestDatabases._empty(url)
        with engine.begin() as connection:
            counts = [connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                      for table in ("parent", "child", "alembic_version")]
            next_id = connection.execute(
                text("INSERT INTO parent DEFAULT VALUES RETURNING id")).scalar()
        assert counts == [0, 0, 1]  # the migrations' own table keeps its row
        assert next_id == 1
    finally:
        engine.dispose()
        _as_admin(f'DROP DATABASE "{name}" WITH (FORCE)',
                  *([] if superuser else [f'DROP ROLE "{owner}"']))
