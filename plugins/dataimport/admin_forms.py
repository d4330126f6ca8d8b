"""The forms of the import builder and the data validation assist pages."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from onward import onward_state
from onward.plugins.dataimport.assist import reference_tables, validator_kinds
from onward.plugins.dataimport.builder import LEAVE_OUT, field_choices
from onward.plugins.dataimport.mapping import TEXT_TRANSFORMS

#: a column nobody has decided about yet
UNDECIDED = "?"
LEVELS = [SelectChoice("field", "Field level"), SelectChoice("record", "Record level")]


def target_choices() -> list[tuple[str, str]]:
    """The registered import targets, as (key, label)."""
    return [(key, target.label)
            for key, target in onward_state().registries.import_targets.items()]


class NewSourceForm(FlaskForm):
    """Step 1: the name, the target table and the template."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    target = SelectField("Target table", validators=[DataRequired()])
    file = FileField("Excel template (.xlsx)", validators=[FileRequired()])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.target.choices = target_choices()


class ColumnChoiceForm(Form):
    """One template column and the field it fills (or ``LEAVE_OUT``)."""

    column = HiddenField()
    field = SelectField("Field", validate_choice=False)


class MapForm(FlaskForm):
    """Step 2: the data source (name, staging name) and the field of every column."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    staging_name = StringField("Import set table name", validators=[Length(max=120)])
    target = HiddenField(validators=[DataRequired()])
    template_name = HiddenField()
    #: the template's header labels, as JSON (the template itself is not kept)
    headers = HiddenField(validators=[DataRequired()])
    map = FieldList(FormField(ColumnChoiceForm))

    def mapping(self) -> dict[str, str | None]:
        """The admin's decisions: column -> field, or ``None`` to leave it out."""
        return {entry.column.data: (entry.field.data or None) for entry in self.map
                if entry.field.data != UNDECIDED}


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ColumnMapForm(Form):
    """One row of the transform map."""

    column = HiddenField()
    field = SelectField("Field", validate_choice=False)
    transforms = CheckboxesField("Transforms", validate_choice=False,
                                 choices=[SelectChoice(name, name) for name in TEXT_TRANSFORMS])
    date_format = StringField("Date format", validators=[Optional(), Length(max=40)])


class TransformsForm(FlaskForm):
    """Step 3: the transform map (field, transforms and date format per column)."""

    map = FieldList(FormField(ColumnMapForm))

    def set_choices(self, target_key: str) -> None:
        """Offer the target's fields (and leaving out) in each row."""
        options = [(LEAVE_OUT, "— leave out —"), *field_choices(target_key)]
        for entry in self.map:
            entry.field.choices = options

    def columns(self) -> list[dict[str, Any]]:
        """The map as :meth:`~.mapping.ColumnMap.as_dict` items."""
        return [{"column": entry.column.data, "field": entry.field.data or None,
                 "transforms": list(entry.transforms.data or ()),
                 "date_format": (entry.date_format.data or "").strip()}
                for entry in self.map]


class RuleForm(FlaskForm):
    """A data validation assist rule of one target: field level or record level."""

    level = SelectField("Validation type", choices=LEVELS)
    kind = SelectField("Validation sub type", validate_choice=False)
    field = SelectField("Staging table field", validate_choice=False)
    record_kind = SelectField("Record validator", validate_choice=False)
    format = StringField("Date format", validators=[Optional(), Length(max=40)])
    datetime_format = StringField("Date and time format",
                                  validators=[Optional(), Length(max=40)])
    max_length = IntegerField("Max length", validators=[Optional()])
    reference = SelectField("Reference table and field", validate_choice=False)
    choices = TextAreaField("Choices, one a line (empty: the field's own)",
                            validators=[Optional(), Length(max=4000)])
    mandatory = BooleanField("Mandatory")
    active = BooleanField("Active", default=True)
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])

    def __init__(self, target_key: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.target_key = target_key
        kinds = validator_kinds()
        self.kind.choices = [(item["key"], item["label"]) for item in kinds
                             if item["kind"] == "field"]
        self.record_kind.choices = [(item["key"], item["label"]) for item in kinds
                                    if item["kind"] == "record"]
        self.field.choices = [("", "—"), *field_choices(target_key)[:-1]]
        self.reference.choices = [("", "—"), *((f"{table}.{column}", f"{table} · {column}")
                                               for table, columns in reference_tables().items()
                                               for column in columns)]

    def values(self) -> dict[str, Any]:
        """The rule's values for :func:`~.assist.create_rule` and ``update_rule``."""
        common = {"target": self.target_key, "level": self.level.data,
                  "active": self.active.data, "description": self.description.data or ""}
        if self.level.data == "record":
            return {**common, "kind": self.record_kind.data, "field": None, "options": {},
                    "mandatory": False}
        kind = self.kind.data
        options: dict[str, Any] = {}
        if kind == "date":
            options["format"] = self.format.data or ""
        elif kind == "datetime":
            options["format"] = self.datetime_format.data or ""
        elif kind == "max_length":
            options["max_length"] = self.max_length.data
        elif kind == "reference":
            table, _dot, column = (self.reference.data or "").partition(".")
            options = {"table": table, "field": column}
        elif kind == "choice" and (self.choices.data or "").strip():
            options["choices"] = [line.strip() for line in self.choices.data.splitlines()
                                  if line.strip()]
        return {**common, "kind": kind, "field": self.field.data or None, "options": options,
                "mandatory": self.mandatory.data}

    def fill(self, rule) -> None:
        """Show ``rule`` in the form (editing)."""
        self.level.data = rule.level
        self.mandatory.data, self.active.data = rule.mandatory, rule.active
        self.description.data = rule.description
        options = rule.options or {}
        if rule.level == "record":
            self.record_kind.data = rule.kind
            return
        self.kind.data, self.field.data = rule.kind, rule.field
        if rule.kind == "datetime":
            self.datetime_format.data = options.get("format")
        else:
            self.format.data = options.get("format")
        self.max_length.data = options.get("max_length")
        self.choices.data = "\n".join(options.get("choices") or ())
        if options.get("table"):
            self.reference.data = f"{options['table']}.{options.get('field', '')}"
