"""The admin pages of the data import: the import builder and the data validation assist.

The builder is a wizard, as in the seed: (1) name, target table and Excel template;
(2) the data source: its import set table name and the field of every column, with
suggestions for the columns that match nothing; (3) the transform map; (4) the target's
validation list; (5) the activity definition to put into a playbook. Each step shows
what the one before it made. The pages are for admins (the create right on data sources).
"""

from __future__ import annotations

import json

import yaml
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from onward import (
    ListSpec,
    ValidationFailed,
    db,
    form_status,
    get_or_404,
    list_page,
    post_action,
    require,
    scoped,
    submit_form,
)
from onward.plugins.dataimport import assist, builder, exports
from onward.plugins.dataimport.admin_forms import (
    UNDECIDED,
    MapForm,
    NewSourceForm,
    RuleForm,
    TransformsForm,
    target_choices,
)
from onward.plugins.dataimport.config import found_target, target_of
from onward.plugins.dataimport.mapping import ColumnMap
from onward.plugins.dataimport.models import DataSource, ValidationRule

blueprint = Blueprint("dataimport_admin", __name__, url_prefix="/admin/imports",
                      template_folder="templates")

SOURCES = ListSpec(
    sortable={"name": DataSource.name, "target": DataSource.target,
              "staging_name": DataSource.staging_name, "created_at": DataSource.created_at},
    searchable=(DataSource.name, DataSource.staging_name, DataSource.template_name),
    filterable={"target": DataSource.target},
    default_sort="name",
)
RULES = ListSpec(
    sortable={"id": ValidationRule.id, "kind": ValidationRule.kind,
              "field": ValidationRule.field, "level": ValidationRule.level},
    searchable=(ValidationRule.kind, ValidationRule.field, ValidationRule.description),
    filterable={"target": ValidationRule.target, "level": ValidationRule.level},
    default_sort="id",
)
#: the wizard's steps: (number, label)
STEPS = ((1, "Create template"), (2, "Data source"), (3, "Transform map"),
         (4, "Validations"), (5, "Playbook activity"))


@blueprint.before_request
@login_required
def _admins_only() -> None:
    """Only who may create data sources (admins) opens these pages."""
    require("create", DataSource)


def _targets() -> dict[str, str]:
    return dict(target_choices())


# --- sources ----------------------------------------------------------------------------


@blueprint.route("/", endpoint="sources")
def sources():
    """The data sources: search, sort by name, target or date, filter by target."""
    filters = [("target", "Target", [("", "Any target"), *target_choices()])]
    return list_page(DataSource, SOURCES, "dataimport/admin_sources.html", filters=filters,
                     targets=_targets())


@blueprint.route("/new", methods=["GET", "POST"], endpoint="new")
def new_source():
    """Step 1: name, target table and template; a readable template leads to step 2."""
    form = NewSourceForm()

    def read():
        builder.check_name_free(form.name.data)
        return builder.read_headers(form.file.data.stream)

    return submit_form(
        form, read,
        lambda headers: _map_page(_map_form(form.name.data, form.target.data, headers,
                                            form.file.data.filename or "")),
        lambda: (render_template("dataimport/admin_new.html", form=form, steps=STEPS, step=1,
                                 targets=_targets()),
                 form_status(form)))


@blueprint.route("/targets/<key>/template", endpoint="target_template")
def target_template(key: str):
    """A target table's XLSX template: a start for step 1's template."""
    return exports.template_download(found_target(key))


def _map_form(name: str, target_key: str, headers, template_name: str) -> MapForm:
    """Step 2's form for a template just read: every column with its matched field."""
    matching = builder.resolve(target_key, headers)
    return MapForm(formdata=None, name=name, target=target_key, template_name=template_name,
                   headers=json.dumps(list(headers)),
                   staging_name=builder.staging_name_for(name),
                   map=[{"column": column.column,
                         "field": column.field if column.field else UNDECIDED}
                        for column in matching.columns])


def _map_page(form: MapForm, status: int = 200):
    """Step 2: the columns, their fields, and suggestions for those that match nothing."""
    target_key = form.target.data
    headers = json.loads(form.headers.data)
    matching = builder.resolve(target_key, headers)
    fields = builder.field_choices(target_key)
    for entry in form.map:
        hints = matching.unmatched.get(entry.column.data, [])
        suggested = [(name, f"{title} (suggested)") for name, title in fields if title in hints]
        others = [(name, title) for name, title in fields if title not in hints]
        entry.field.choices = [(UNDECIDED, "— pick a field or leave out —"), *suggested,
                               *others, (builder.LEAVE_OUT, "— leave out —")]
    return render_template("dataimport/admin_map.html", form=form, steps=STEPS, step=2,
                           matching=matching, target=target_of(target_key)), status


@blueprint.route("/new/map", methods=["POST"], endpoint="new_map")
def new_map():
    """Step 2 sent: make the data source once every column is settled."""
    form = MapForm()
    try:
        headers = json.loads(form.headers.data or "")
        target_of(form.target.data or "")
    except (ValueError, ValidationFailed):
        flash("The template's columns were lost; upload the template again.", "error")
        return redirect(url_for("dataimport_admin.new"))
    if [entry.column.data for entry in form.map] != headers:
        flash("The columns do not match the template; upload the template again.", "error")
        return redirect(url_for("dataimport_admin.new"))

    def create():
        source, _matching = builder.create_source(
            form.name.data, form.target.data, headers, mapping=form.mapping(),
            staging_name=form.staging_name.data, template_name=form.template_name.data)
        return source

    def created(source: DataSource):
        flash(f"Data source {source.name} created (import set table "
              f"{source.staging_name}).", "success")
        return redirect(url_for("dataimport_admin.transforms", source_id=source.id, step=3))

    return submit_form(form, create, created, lambda: _map_page(form, form_status(form)))


def _source(source_id: int) -> DataSource:
    return get_or_404(DataSource, source_id)


def _step() -> int | None:
    """The wizard step a page is shown as (``?step=N``), or ``None`` outside the wizard."""
    step = request.args.get("step", type=int)
    return step if step in dict(STEPS) else None


@blueprint.route("/<int:source_id>", endpoint="source")
def source_page(source_id: int):
    """A data source and what the builder made: transform map, validations, activity."""
    source = _source(source_id)
    return render_template("dataimport/admin_source.html", **_results(source))


def _results(source: DataSource) -> dict:
    """What a source's pages show: its target, map, rules and activity definition."""
    snippet = builder.activity_snippet(source)
    rules = db.session.scalars(scoped(ValidationRule).where(
        ValidationRule.target == source.target).order_by(ValidationRule.id)).all()
    return {"source": source, "target": target_of(source.target),
            "columns": [ColumnMap.from_dict(item) for item in source.columns],
            "titles": dict(builder.field_choices(source.target)),
            "rules": rules, "describe": describe_rule, "kinds": _kind_labels(),
            "snippet_yaml": yaml.safe_dump([snippet], sort_keys=False, allow_unicode=True),
            "snippet_json": json.dumps(snippet, indent=2, ensure_ascii=False),
            "steps": STEPS, "step": _step()}


def describe_rule(rule: ValidationRule) -> str:
    """A rule's options in words."""
    options = rule.options or {}
    if rule.kind in ("date", "datetime"):
        return f"format {options.get('format', '')}"
    if rule.kind == "max_length":
        return f"at most {options.get('max_length')} characters"
    if rule.kind == "reference":
        return f"in {options.get('table')} · {options.get('field')}"
    if rule.kind == "choice" and options.get("choices"):
        return "one of " + ", ".join(options["choices"])
    return ", ".join(f"{key}: {value}" for key, value in options.items())


def _kind_labels() -> dict[str, str]:
    return {item["key"]: item["label"] for item in assist.validator_kinds()}


@blueprint.route("/<int:source_id>/transforms", methods=["GET", "POST"],
                 endpoint="transforms")
def transforms(source_id: int):
    """Step 3: the transform map — field, transforms and date format of every column."""
    source = _source(source_id)
    form = TransformsForm(data=None if request.method == "POST" else {"map": [
        {**item, "field": item.get("field") or builder.LEAVE_OUT} for item in source.columns]})
    form.set_choices(source.target)
    step = _step()

    def done(_source):
        if step:
            return redirect(url_for("dataimport_admin.validations", source_id=source.id,
                                    step=4))
        flash("Transform map saved.", "success")
        return redirect(url_for("dataimport_admin.source", source_id=source.id))

    return submit_form(
        form, lambda: builder.update_columns(source, form.columns()), done,
        lambda: (render_template("dataimport/admin_transforms.html", form=form,
                                 **_results(source)), form_status(form)))


@blueprint.route("/<int:source_id>/validations", endpoint="validations")
def validations(source_id: int):
    """Step 4: the target's validation list, with the way to add a rule."""
    return render_template("dataimport/admin_validations.html",
                           **_results(_source(source_id)))


@blueprint.route("/<int:source_id>/activity", endpoint="activity")
def activity(source_id: int):
    """Step 5: the activity definition to put into a playbook's data capture stage."""
    return render_template("dataimport/admin_activity.html", **_results(_source(source_id)))


@blueprint.route("/<int:source_id>/delete", methods=["POST"], endpoint="delete")
def delete(source_id: int):
    """Delete a data source no import uses."""
    source = _source(source_id)
    return post_action(lambda: builder.delete_source(source),
                       message=f"Data source {source.name} deleted.",
                       back=url_for("dataimport_admin.source", source_id=source.id),
                       to=url_for("dataimport_admin.sources"))


# --- data validation assist -------------------------------------------------------------


@blueprint.route("/rules", endpoint="rules")
def rules():
    """The data validation assist list: every rule, by target and level."""
    filters = [("target", "Target", [("", "Any target"), *target_choices()]),
               ("level", "Level", [("", "Any level"), ("field", "Field level"),
                                   ("record", "Record level")])]
    return list_page(ValidationRule, RULES, "dataimport/admin_rules.html", filters=filters,
                     targets=_targets(), kinds=_kind_labels(), describe=describe_rule)


def _back(default: str) -> str:
    """Where to go after a rule form: ``?next=`` when it is one of these pages."""
    wanted = request.args.get("next", "")
    return wanted if wanted.startswith("/admin/imports/") else default


@blueprint.route("/rules/new", methods=["GET", "POST"], endpoint="rule_new")
def rule_new():
    """A new rule for the target ``?target=`` (a picker first when none is given)."""
    target_key = request.args.get("target", "")
    if target_key not in _targets():
        return render_template("dataimport/admin_rule_target.html", targets=target_choices())
    form = RuleForm(target_key)

    def done(rule):
        flash("Validation rule added.", "success")
        return redirect(_back(url_for("dataimport_admin.rules", target=rule.target)))

    return submit_form(form, lambda: assist.create_rule(form.values()), done,
                       lambda: _rule_page(form, None))


def _rule_page(form: RuleForm, rule: ValidationRule | None):
    return render_template("dataimport/admin_rule_form.html", form=form, rule=rule,
                           target=target_of(form.target_key),
                           back=_back(url_for("dataimport_admin.rules"))), form_status(form)


@blueprint.route("/rules/<int:rule_id>", methods=["GET", "POST"], endpoint="rule_edit")
def rule_edit(rule_id: int):
    """Change a rule (its target stays)."""
    rule = get_or_404(ValidationRule, rule_id)
    form = RuleForm(rule.target)
    if request.method == "GET":
        form.fill(rule)

    def done(_rule):
        flash("Validation rule saved.", "success")
        return redirect(_back(url_for("dataimport_admin.rules", target=rule.target)))

    return submit_form(form, lambda: assist.update_rule(rule, form.values()), done,
                       lambda: _rule_page(form, rule))


@blueprint.route("/rules/<int:rule_id>/delete", methods=["POST"], endpoint="rule_delete")
def rule_delete(rule_id: int):
    """Delete a rule."""
    rule = get_or_404(ValidationRule, rule_id)
    return post_action(lambda: assist.delete_rule(rule), message="Validation rule deleted.",
                       back=url_for("dataimport_admin.rule_edit", rule_id=rule.id),
                       to=_back(url_for("dataimport_admin.rules", target=rule.target)))
