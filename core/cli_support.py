"""What core's commands share: whole lists, tables or JSON, and passwords.

List commands print a rich table for people and, with ``--json``, a plain JSON array
on stdout for scripts. Cell values are printed as text, never as rich markup, so a
name such as ``[red]`` shows as typed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import rich_click as click
from flask import current_app
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import Select

from onward.core.listing import ListSpec, paginate, parse_list_args
from onward.core.users import generate_password

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON array instead of a table."
)
password_stdin_option = click.option(
    "--password-stdin", is_flag=True,
    help="Read the password from the first line of standard input instead of generating one.",
)


#: how wide tables are drawn when stdout is not a terminal (a pipe, a file, a test)
PIPE_WIDTH = 200


def console() -> Console:
    """A console on the current stdout (click's test runner swaps it per call).

    Piped output is drawn wide, so that no cell is cut short for want of a terminal.
    """
    terminal = Console()
    return terminal if terminal.is_terminal else Console(width=PIPE_WIDTH)


def say(message: str) -> None:
    """Print one line of rich markup for people (never for ``--json`` output)."""
    console().print(message)


def all_rows(stmt: Select, spec: ListSpec, **args: Any) -> list[Any]:
    """Every row of ``stmt`` searched, filtered and sorted like the UI's lists, page by page.

    ``args`` are the list arguments (``q``, ``sort`` and ``spec``'s filters); ``None``
    values are left out.
    """
    args = {name: str(value) for name, value in args.items() if value not in (None, "")}
    page_size = str(current_app.config["MAX_PAGE_SIZE"])
    rows, page = [], 1
    while True:
        query = parse_list_args({**args, "page": str(page), "page_size": page_size}, spec)
        result = paginate(stmt, query, spec)
        rows.extend(result.items)
        if page >= result.pages:
            return rows
        page += 1


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _cell(value: Any) -> Text:
    if value is None:
        return Text("")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, datetime):
        return Text(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, list | tuple):
        return Text(", ".join(str(item) for item in value))
    if isinstance(value, Mapping):
        return Text(" ".join(f"{key}:{item}" for key, item in value.items()))
    return Text(str(value))


def print_json(rows: Sequence[Mapping[str, Any]]) -> None:
    """Print ``rows`` as one JSON array, and nothing else."""
    click.echo(json.dumps(list(rows), default=_json_default, indent=2))


def print_json_object(data: Mapping[str, Any]) -> None:
    """Print one record as a JSON object, and nothing else (``show`` commands)."""
    click.echo(json.dumps(data, default=_json_default, indent=2))


def print_rows(rows: Sequence[Mapping[str, Any]], *, title: str, as_json: bool) -> None:
    """Print ``rows`` (dicts with the same keys) as a table titled ``title``, or as JSON."""
    if as_json:
        print_json(rows)
        return
    if not rows:
        say(f"No {title.lower()}.")
        return
    table = Table(title=title, title_justify="left")
    for column in rows[0]:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value) for value in row.values()))
    console().print(table)


def read_password(from_stdin: bool) -> str:
    """The first line of standard input (``--password-stdin``), else a generated password.

    Raises:
        click.UsageError: standard input holds no password.
    """
    if not from_stdin:
        return generate_password()
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.UsageError("No password on standard input.")
    return password


def show_generated_password(password: str) -> None:
    """Print a generated password once, on the last line, for people and scripts."""
    say("Generated password (shown once; store it now):")
    click.echo(password)
