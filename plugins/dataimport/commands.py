"""``onward import …``: templates, imports from the command line, status, errors, undo, backup.

The commands run as the system actor, like core's, through the same services as the web
UI and the API. ``import run`` exits 0 only when every row was published (with
``--publish``) or is ready to publish; rows that need attention are listed by file, row
and column, and the command exits 1, as it does for a refused file.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import rich_click as click
from flask.cli import with_appcontext
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import or_, select

from onward import NotFound, console, db, print_json_object, print_rows, say, scoped
from onward.plugins.dataimport import (
    backup,
    config,
    exports,
    reupload,
    rowstatus,
    staging,
    templates,
    validation,
)
from onward.plugins.dataimport import publish as publishing
from onward.plugins.dataimport.jobs import lease
from onward.plugins.dataimport.models import (
    ROW_STATUSES,
    DataImport,
    ImportFile,
    PublishBatch,
    StagingRow,
)
from onward.plugins.onboarding.cases import create_task
from onward.plugins.onboarding.models import CLOSED_STATES, CaseTask, OnboardingCase

#: how many problems ``import run`` lists
SHOWN_PROBLEMS = 10

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON instead of tables.")


def _case(number: str) -> OnboardingCase:
    case = db.session.scalar(scoped(OnboardingCase).where(OnboardingCase.number == number))
    if case is None:
        raise NotFound(f"No onboarding case {number}.")
    return case


def _task(number: str) -> CaseTask:
    task = db.session.scalar(scoped(CaseTask).where(CaseTask.number == number))
    if task is None:
        raise NotFound(f"No onboarding task {number}.")
    return task


def import_task(case: OnboardingCase, target: str) -> CaseTask:
    """The case's open import task for ``target``, made when there is none."""
    label = config.target_of(target).label
    task = db.session.scalar(
        scoped(CaseTask).join(DataImport, DataImport.task_id == CaseTask.id)
        .where(CaseTask.case_id == case.id, DataImport.target == target,
               or_(CaseTask.state.is_(None), CaseTask.state.not_in(CLOSED_STATES)))
        .order_by(CaseTask.id))
    return task or create_task(case, f"Import {label}", task_type="data_capture")


@click.group("import")
def import_group():
    """Import XLSX files into staging, validate and publish them; templates and backups."""


@import_group.command("template")
@click.argument("target")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The XLSX file to write.")
@with_appcontext
def template(target, output):
    """Write the XLSX template of import target TARGET (e.g. locations)."""
    described = config.target_of(target)
    output.write_bytes(templates.template_workbook(described))
    say(f"[green]Wrote[/] the {escape(described.label)} template to {escape(str(output))}.")


def _progress(as_json: bool):
    if as_json:
        return nullcontext(None)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console())


def _stage(data_import: DataImport, records: list[ImportFile], progress,
           publisher: publishing.Publisher | None) -> None:
    """Stage and validate each file (an errors workbook goes back to its rows), with a bar.

    With a ``publisher``, ready rows are published as they are staged.
    """
    bar = progress.add_task("Importing and publishing" if publisher else "Importing",
                            total=None) if progress else None
    done = 0
    for record in records:
        def moved(rows, before=done):
            if progress:
                progress.update(bar, completed=before + rows)

        done += reupload.take_file(data_import, record, progress=moved, publisher=publisher)
        db.session.commit()
    if progress:
        progress.update(bar, total=done, completed=done)


def _phase(progress, name: str, total: int, work):
    """Run ``work(advance)`` under a bar; ``advance(done, total)`` moves the bar."""
    bar = progress.add_task(name, total=total) if progress else None

    def advance(done: int, of: int) -> None:
        nonlocal total
        total = of
        if progress:
            progress.update(bar, completed=done, total=of)

    result = work(advance)
    db.session.commit()
    if progress:
        progress.update(bar, completed=total, total=total)
    return result


def _problems(data_import: DataImport) -> list[dict[str, Any]]:
    stmt = (select(StagingRow, ImportFile.name)
            .outerjoin(ImportFile, ImportFile.id == StagingRow.file_id)
            .where(StagingRow.import_id == data_import.id,
                   StagingRow.status == "needs_attention")
            .order_by(StagingRow.file_id, StagingRow.row_number).limit(SHOWN_PROBLEMS))
    shown = []
    for row, file_name in db.session.execute(stmt):
        for problem in row.problems:
            column = problem.get("column") or ""
            message = problem["message"].removeprefix(f"{column}: ") if column else (
                problem["message"])
            shown.append({"file": file_name or "", "row": row.row_number,
                          "column": column, "problem": message})
    return shown[:SHOWN_PROBLEMS]


@import_group.command("run")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--case", "case_number", required=True, help="The onboarding case's number.")
@click.option("--target", required=True, help="The import target, e.g. locations.")
@click.option("--publish", "and_publish", is_flag=True,
              help="Publish the ready rows to the target.")
@json_option
@with_appcontext
def run(files, case_number, target, and_publish, as_json):
    """Import FILES into the case's import task for TARGET, validate, and publish.

    Exits 0 when every row is ready or published (with --publish: published); 1 when a file is
    refused or rows need attention (the first problems are listed by row and column).
    An errors workbook (from ``import errors``) updates the rows it came from.
    """
    task = import_task(_case(case_number), target)
    data_import = staging.import_of_task(task, target)
    db.session.commit()
    with lease(data_import.id, -os.getpid()):
        records = []
        for path in files:
            with path.open("rb") as stream:
                records.append(staging.add_file(data_import, path.name, stream))
        db.session.commit()
        with _progress(as_json) as progress:
            publisher = publishing.Publisher(data_import) if and_publish else None
            _stage(data_import, records, progress, publisher)
            counts = rowstatus.status_counts(data_import)
            if counts.get("yet_to_validate"):  # rows fixed in an errors workbook
                counts = _phase(progress, "Validating", counts["yet_to_validate"],
                                lambda advance: validation.validate(data_import, advance))
            batch = None
            if publisher and counts.get("ready"):  # rows fixed, or ready before this run
                batch = _phase(progress, "Publishing", counts["ready"],
                               lambda advance: publishing.publish(
                                   data_import, progress=advance, publisher=publisher))
                counts = rowstatus.status_counts(data_import)
            elif publisher:
                batch = publisher.finish()
                db.session.commit()
    refused = {r.name: r.message for r in records if r.state == "refused"}
    summary = {"task": task.number, "target": target, "files": [_file_row(r) for r in records],
               "counts": _counts(counts), "problems": _problems(data_import)}
    if batch is not None:
        summary["published"] = _batch_row(batch)
    _report(summary, refused, as_json)
    done = {"published"} if and_publish else {"ready", "published"}
    if refused or any(count for status, count in counts.items() if status not in done):
        raise click.exceptions.Exit(1)


def _report(summary: dict[str, Any], refused: dict[str, str], as_json: bool) -> None:
    if as_json:
        print_json_object(summary)
        return
    say(f"Task [bold]{summary['task']}[/] ({escape(summary['target'])})")
    for name, message in refused.items():
        named = message if message.startswith(name) else f"{name}: {message}"
        say(f"[red]Refused[/] {escape(named)}")
    print_rows(summary["files"], title="Files", as_json=False)
    print_rows([summary["counts"]], title="Rows", as_json=False)
    if "published" in summary:
        print_rows([summary["published"]], title="Published", as_json=False)
    if summary["problems"]:
        print_rows(summary["problems"], title="Needs attention (first problems)",
                   as_json=False)


def _counts(counts: dict[str, int]) -> dict[str, int]:
    return {status: counts.get(status, 0) for status in ROW_STATUSES}


def _file_row(record: ImportFile) -> dict[str, Any]:
    return {"name": record.name, "state": record.state, "rows": record.rows,
            "message": record.message}


def _batch_row(batch: PublishBatch) -> dict[str, Any]:
    return {"batch": batch.id, "inserted": batch.inserted, "updated": batch.updated,
            "unchanged": batch.unchanged, "failed": batch.failed}


def _import_of(number: str) -> DataImport:
    return staging.import_of_task(_task(number))


@import_group.command("status")
@click.argument("task_number", metavar="TASK")
@json_option
@with_appcontext
def status(task_number, as_json):
    """Show an import task's rows per status, its files and its publish batches."""
    data_import = _import_of(task_number)
    batches = db.session.scalars(select(PublishBatch).where(
        PublishBatch.import_id == data_import.id).order_by(PublishBatch.id))
    data = {"task": task_number, "target": data_import.target, "state": data_import.state,
            "counts": _counts(rowstatus.status_counts(data_import)),
            "files": [_file_row(record) for record in data_import.files],
            "batches": [{**_batch_row(b), "created_at": b.created_at,
                         "undone_at": b.undone_at} for b in batches]}
    if as_json:
        print_json_object(data)
        return
    say(f"Task [bold]{task_number}[/] ({escape(data['target'])}): {data['state']}")
    print_rows([data["counts"]], title="Rows", as_json=False)
    print_rows(data["files"], title="Files", as_json=False)
    print_rows(data["batches"], title="Publish batches", as_json=False)


@import_group.command("errors")
@click.argument("task_number", metavar="TASK")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The XLSX file to write.")
@with_appcontext
def errors(task_number, output):
    """Write the rows that need attention to an XLSX: fix it, then `import run` it again."""
    data_import = _import_of(task_number)
    output.write_bytes(exports.errors_workbook(data_import))
    count = rowstatus.status_counts(data_import).get("needs_attention", 0)
    say(f"[green]Wrote[/] {count} rows that need attention to {escape(str(output))}.")


@import_group.command("restart")
@click.argument("task_number", metavar="TASK")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restart(task_number, yes):
    """Clear every staging row of an import task (published records stay)."""
    data_import = _import_of(task_number)
    if not yes:
        click.confirm(f"Clear every staging row of {task_number}?", abort=True)
    cleared = staging.restart(data_import)
    db.session.commit()
    say(f"Cleared {cleared} staging rows of {task_number}.")


def _batch(data_import: DataImport, batch_id: int | None) -> PublishBatch:
    """The import's batch ``batch_id``, or its newest batch not undone."""
    stmt = select(PublishBatch).where(PublishBatch.import_id == data_import.id)
    if batch_id is not None:
        batch = db.session.scalar(stmt.where(PublishBatch.id == batch_id))
    else:
        batch = db.session.scalar(stmt.where(PublishBatch.undone_at.is_(None))
                                  .order_by(PublishBatch.id.desc()))
    if batch is None:
        raise NotFound(f"No publish batch {batch_id} in this import." if batch_id is not None
                       else "This import has no publish batch to undo.")
    return batch


@import_group.command("undo")
@click.argument("task_number", metavar="TASK")
@click.option("--batch", "batch_id", type=int,
              help="The publish batch to undo (default: the newest not undone).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@with_appcontext
def undo(task_number, batch_id, yes, as_json):
    """Undo a publish batch: delete the records it inserted, restore those it updated.

    Batches are undone newest first. Its rows go back to Ready to publish. An undo that
    stops part-way is finished by running it again.
    """
    data_import = _import_of(task_number)
    batch = _batch(data_import, batch_id)
    publishing.check_undo(batch)
    if not yes:
        click.confirm(f"Undo batch {batch.id} of {task_number}: delete the {batch.inserted} "
                      f"records it inserted and restore the {batch.updated} it updated?",
                      abort=True)
    with lease(data_import.id, -os.getpid()), _progress(as_json) as progress:
        def undo_batch(advance):
            def moved(done: int, total: int) -> None:
                db.session.commit()  # as the job does: a stopped undo keeps what it did
                advance(done, total)

            return publishing.undo(batch, progress=moved)

        _phase(progress, "Undoing", batch.inserted + batch.updated, undo_batch)
    result = {"task": task_number, "batch": batch.id, "deleted": batch.inserted,
              "restored": batch.updated}
    if as_json:
        print_json_object(result)
        return
    say(f"Undid batch {batch.id} of {task_number}: deleted {batch.inserted} records, "
        f"restored {batch.updated}.")


@import_group.command("backup")
@json_option
@with_appcontext
def backup_command(as_json):
    """Back up the old staging rows of active import tasks to CSVs on the tasks now."""
    written = backup.back_up_staging()
    db.session.commit()
    rows = [{"task": record.data_import.task.number, "file": record.name,
             "rows": record.rows} for record in written]
    print_rows(rows, title="Backups written", as_json=as_json)


def register(cli: click.Group) -> None:
    """Add the ``import`` group."""
    cli.add_command(import_group)
