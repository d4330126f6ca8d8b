"""``onward playbooks``: load and check definitions, start playbooks, work their activities.

The commands run as the system actor and call the same definitions and engine functions
as the API; each commits on success. A refusal prints the engine's message on one line
and exits 1; an invalid definition lists each problem as ``PATH: message``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import rich_click as click
from flask.cli import with_appcontext
from rich.markup import escape
from rich.text import Text
from rich.tree import Tree

from onward.core.access import get_or_404, scoped
from onward.core.cli_support import (
    all_rows,
    console,
    json_option,
    print_json_object,
    print_rows,
    say,
)
from onward.core.db import db
from onward.core.errors import ValidationFailed
from onward.core.lists import PLAYBOOKS
from onward.core.playbooks import definitions, engine
from onward.core.playbooks.models import PlaybookActivity, PlaybookInstance, PlaybookVersion

file_argument = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
show_json_option = click.option("--json", "as_json", is_flag=True,
                                help="Print a JSON object instead of text.")


@click.group("playbooks")
def playbooks_group():
    """Load and show playbook definitions; start playbooks and work their activities."""


# --- definitions ------------------------------------------------------------------------


@contextmanager
def _listing_problems() -> Iterator[None]:
    """Turn a ``ValidationFailed`` of a definition into one ``PATH: message`` line each."""
    try:
        yield
    except ValidationFailed as exc:
        for path, messages in exc.fields.items():
            for message in messages:
                click.echo(f"{path}: {message}", err=True)
        raise click.exceptions.Exit(1) from None


def _read(file: Path) -> dict[str, Any]:
    return definitions.parse(file.read_text(encoding="utf-8"), file.name)


@playbooks_group.command("load")
@file_argument
@with_appcontext
def playbooks_load(file: Path):
    """Store a definition (JSON or YAML) as the next version of its playbook.

    Loading the same definition again stores nothing. Running playbooks keep their
    version.
    """
    with _listing_problems():
        version, created = definitions.store(_read(file), source="admin")
    db.session.commit()
    verb = "[green]Stored[/]" if created else "Unchanged:"
    say(f"{verb} {escape(version.key)} version {version.version}")


@playbooks_group.command("validate")
@file_argument
@with_appcontext
def playbooks_validate(file: Path):
    """Check a definition (JSON or YAML) without storing it."""
    with _listing_problems():
        definitions.validate(_read(file))
    say("[green]valid[/]")


@playbooks_group.command("list")
@json_option
@with_appcontext
def playbooks_list(as_json):
    """List the playbooks by their newest version."""
    stmt = scoped(PlaybookVersion).where(definitions.is_newest())
    rows = [
        {"key": version.key, "label": version.label, "version": version.version,
         "versions": definitions.version_count(version.key), "source": version.source,
         "created_at": version.created_at}
        for version in all_rows(stmt, PLAYBOOKS)
    ]
    print_rows(rows, title="Playbooks", as_json=as_json)


def condition_text(condition: Mapping[str, Any]) -> str:
    """A condition of a definition, for people: ``integration ne "not_required"``."""
    for combinator, joint in (("all", " and "), ("any", " or ")):
        if combinator in condition:
            return "(" + joint.join(condition_text(part) for part in condition[combinator]) + ")"
    if "not" in condition:
        return f"not {condition_text(condition['not'])}"
    value = "" if "value" not in condition else f" {json.dumps(condition['value'])}"
    return f"{condition['field']} {condition['op']}{value}"


def _activity_text(spec: Mapping[str, Any]) -> Text:
    details = [spec["definition"], f"starts {spec.get('start', 'after_previous')}"]
    if spec.get("optional"):
        details.append("optional")
    if spec.get("condition"):
        details.append(f"if {condition_text(spec['condition'])}")
    if spec.get("depends_on"):
        details.append(f"depends on {', '.join(spec['depends_on'])}")
    if spec.get("responsibility"):
        details.append(f"responsibility {spec['responsibility']}")
    return Text(f"{spec['label']} ({spec['key']}): {'; '.join(details)}")


@playbooks_group.command("show")
@click.argument("key")
@click.option("--version", "number", type=int, help="This version (default: the newest).")
@show_json_option
@with_appcontext
def playbooks_show(key, number, as_json):
    """Show a playbook: its stages and activities as a tree."""
    version = definitions.get_version(key, number)
    if as_json:
        print_json_object({"key": version.key, "label": version.label,
                           "version": version.version, "source": version.source,
                           "created_at": version.created_at, "data": version.data})
        return
    tree = Tree(Text(f"{version.label} ({version.key}), version {version.version}"))
    for stage in version.stages():
        branch = tree.add(Text(f"{stage['label']} ({stage['key']})"))
        for spec in stage["activities"]:
            branch.add(_activity_text(spec))
    console().print(tree)


# --- running playbooks ------------------------------------------------------------------


def _in_progress(instance: PlaybookInstance) -> str:
    if instance.status != "active":
        return f"The playbook is {instance.status}."
    labels = [a.label for a in instance.activities if a.state == "in_progress"]
    return f"In progress: {', '.join(labels) or 'nothing'}."


def _activity_row(activity: PlaybookActivity) -> dict[str, Any]:
    return {"stage": activity.stage_key, "key": activity.key, "label": activity.label,
            "state": activity.state, "optional": activity.optional,
            "responsibility": activity.responsibility, "skip_reason": activity.skip_reason,
            "input": activity.input, "started_at": activity.started_at,
            "completed_at": activity.completed_at}


@playbooks_group.command("start")
@click.argument("record_type")
@click.argument("record_id", type=int)
@click.argument("key")
@with_appcontext
def playbooks_start(record_type, record_id, key):
    """Start playbook KEY (its newest version) for a record: a table name and an id."""
    record = get_or_404(engine.model_for(record_type), record_id)
    instance = engine.start(record, key)
    db.session.commit()
    say(f"[green]Started[/] {escape(instance.version.key)} version {instance.version.version} "
        f"for {escape(record_type)} {record_id}: instance {instance.id}.")
    click.echo(_in_progress(instance))


@playbooks_group.command("instance")
@click.argument("instance_id", metavar="ID", type=int)
@show_json_option
@with_appcontext
def playbooks_instance(instance_id, as_json):
    """Show a running (or finished) playbook and the state of each activity."""
    instance = engine.get_instance(instance_id)
    rows = [_activity_row(activity) for activity in instance.activities]
    if as_json:
        print_json_object({
            "id": instance.id, "playbook": instance.version.key,
            "version": instance.version.version, "record_type": instance.record_type,
            "record_id": instance.record_id, "status": instance.status,
            "current_stage": instance.current_stage, "started_at": instance.started_at,
            "completed_at": instance.completed_at, "activities": rows,
        })
        return
    say(escape(f"Instance {instance.id}: {instance.version.key} version "
               f"{instance.version.version} for {instance.record_type} {instance.record_id}, "
               f"{instance.status}, stage {instance.current_stage or '-'}."))
    print_rows([{name: row[name] for name in ("stage", "key", "label", "state", "optional",
                                               "responsibility", "skip_reason")}
                for row in rows], title="Activities", as_json=False)


def _input(text: str | None, file: Path | None, *, required: bool) -> dict[str, Any]:
    """The activity input from ``--input`` or ``--input-file``, parsed as JSON."""
    if text is not None and file is not None:
        raise click.UsageError("Give --input or --input-file, not both.")
    raw = file.read_text(encoding="utf-8") if file is not None else text
    if raw is None:
        if required:
            raise click.UsageError("Give the input with --input or --input-file.")
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.UsageError(f"The input is not valid JSON: {exc}") from None


def _step(instance_id: int, key: str, step, done: str, *args: Any) -> None:
    """Run engine ``step`` on an activity, commit, and say what happened."""
    instance = engine.get_instance(instance_id, right="write")
    activity = engine.get_activity(instance, key)
    step(instance, activity, *args)
    db.session.commit()
    say(f"[green]{done}[/] {escape(repr(activity.label))} of instance {instance.id}.")
    click.echo(_in_progress(instance))


def input_options(command):
    """Add ``--input`` and ``--input-file`` to ``command``."""
    command = click.option(
        "--input-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A file holding the input as a JSON object.")(command)
    return click.option("--input", "input_text", metavar="JSON",
                        help="The input, as a JSON object.")(command)


@playbooks_group.command("save")
@click.argument("instance_id", type=int)
@click.argument("activity_key")
@input_options
@with_appcontext
def playbooks_save(instance_id, activity_key, input_text, input_file):
    """Keep input for an activity in progress; nothing is required yet."""
    data = _input(input_text, input_file, required=True)
    _step(instance_id, activity_key, engine.save, "Saved", data)


@playbooks_group.command("complete")
@click.argument("instance_id", type=int)
@click.argument("activity_key")
@input_options
@with_appcontext
def playbooks_complete(instance_id, activity_key, input_text, input_file):
    """Complete an activity in progress with its input (merged with what was saved)."""
    data = _input(input_text, input_file, required=False)
    _step(instance_id, activity_key, engine.complete, "Completed", data)


@playbooks_group.command("skip")
@click.argument("instance_id", type=int)
@click.argument("activity_key")
@with_appcontext
def playbooks_skip(instance_id, activity_key):
    """Skip an optional activity in progress."""
    _step(instance_id, activity_key, engine.skip, "Skipped")
