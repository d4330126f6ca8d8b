"""Helpers shared by the CLI tests."""

import json

from sqlalchemy import func, select

from onward.core.db import db


def ok(result):
    """The command's output, after checking that it succeeded."""
    assert result.exit_code == 0, result.output
    return result.output


def fails(result, message):
    """Check that the command failed with ``message`` on one line and no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert any(message in line for line in result.output.splitlines()), result.output


def parse_json(result):
    """The command's stdout as JSON (it must hold nothing else)."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def count(app, model):
    """How many rows ``model``'s table has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))
