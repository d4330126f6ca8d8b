"""Admin pages for playbook definitions: the list, one definition readably, and loading.

Reading needs the read right on ``core_playbook_version``; loading needs create, which
:func:`~onward.core.playbooks.definitions.store` checks. Validating needs only read.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from onward.core import lists
from onward.core.access import require, scoped
from onward.core.db import db
from onward.core.errors import NotFound, ValidationFailed
from onward.core.playbooks import definitions
from onward.core.playbooks.definitions import Problem
from onward.core.playbooks.models import PlaybookVersion
from onward.core.views import blueprint
from onward.core.views.forms import PlaybookLoadForm
from onward.core.views.pages import form_status, list_page


def _newest_versions():
    """The condition that keeps only the newest version of each key."""
    other = aliased(PlaybookVersion)
    newest = (select(func.max(other.version)).where(other.key == PlaybookVersion.key)
              .scalar_subquery())
    return PlaybookVersion.version == newest


@blueprint.route("/admin/playbooks", endpoint="playbooks")
@login_required
def playbooks_list():
    """Each playbook with its newest version: label, version, where it came from, when."""
    return list_page(PlaybookVersion, lists.PLAYBOOKS, "core/playbooks.html",
                     where=[_newest_versions()])


@blueprint.route("/admin/playbooks/<key>", endpoint="playbook_view")
@login_required
def playbook_view(key: str):
    """One playbook definition, stage by stage (``?version=N`` for an older one)."""
    versions = db.session.scalars(
        scoped(PlaybookVersion).where(PlaybookVersion.key == key)
        .order_by(PlaybookVersion.version.desc())
    ).all()
    wanted = request.args.get("version")
    shown = next((v for v in versions if wanted is None or str(v.version) == wanted), None)
    if shown is None:
        raise NotFound(f"No playbook {key!r}" + (f" version {wanted}." if wanted else "."))
    return render_template("core/playbook.html", version=shown, versions=versions,
                           activity_definitions=current_app.extensions["onward"]
                           .registries.activity_definitions)


def _submitted_text(form: PlaybookLoadForm) -> tuple[str, str]:
    """The definition's text and file name; an upload replaces what was pasted."""
    upload = form.file.data
    if not upload:
        return form.text.data, ""
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{upload.filename} is not UTF-8 text.",
                               fields={"$": ["The file is not UTF-8 text."]}) from None
    form.text.data = text  # shown in the text area, to fix it there
    return text, upload.filename


def _problems_of(error: ValidationFailed) -> list[Problem]:
    return [Problem(path, message) for path, messages in error.fields.items()
            for message in messages] or [Problem("$", error.message)]


def _stored(version: PlaybookVersion, created: bool):
    db.session.commit()
    if created:
        flash(f"Stored as version {version.version}.", "success")
    else:
        flash(f"Unchanged: version {version.version} is the same.", "info")
    return redirect(url_for("core.playbook_view", key=version.key))


@blueprint.route("/admin/playbooks/load", methods=["GET", "POST"], endpoint="playbook_load")
@login_required
def playbook_load():
    """Validate a definition (a file or pasted text), or load it as a new version."""
    require("read", PlaybookVersion)
    form = PlaybookLoadForm()
    problems: list[Problem] = []
    valid = False
    if form.validate_on_submit():
        try:
            data = definitions.parse(*_submitted_text(form))
            problems = definitions.problems(data)
            if not problems and form.store.data:
                return _stored(*definitions.store(data, source="admin"))
        except ValidationFailed as error:
            db.session.rollback()
            problems = _problems_of(error)
        valid = not problems
    status = 422 if problems else form_status(form)
    return render_template("core/playbook_load.html", form=form, problems=problems,
                           valid=valid), status
