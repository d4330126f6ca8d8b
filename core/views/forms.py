"""Forms of core's pages (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput


class SignInForm(FlaskForm):
    """Email and password."""

    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")


class CodeForm(FlaskForm):
    """A TOTP code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=20)])


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class TokenForm(FlaskForm):
    """Name a new API token."""

    name = StringField("Token name", validators=[DataRequired(), Length(max=120)])


class ConfirmForm(FlaskForm):
    """A bare form for buttons that change state (sign out everywhere, revoke …)."""


# --- admin pages ------------------------------------------------------------------------


def optional_int(value: object) -> int | None:
    """Coerce a picker's value: an id, or ``None`` for the empty choice."""
    return int(value) if value not in (None, "", "None") else None


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    """A user's email, name and roles (the edit page)."""

    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Full name", validators=[Length(max=200)])
    roles = CheckboxesField("Roles", coerce=str)


class NewUserForm(UserForm):
    """A new user: internal staff in a domain, or a customer contact of an account."""

    kind = RadioField(
        "Kind",
        choices=[SelectChoice("internal", "Staff"), SelectChoice("customer", "Customer contact")],
        default="internal",
        validators=[InputRequired()],
    )
    account = SelectField("Account", coerce=optional_int)
    domain = SelectField("Domain", coerce=optional_int)
    password = PasswordField("Initial password", validators=[Optional()])

    def validate_account(self, field: SelectField) -> None:
        """A customer contact belongs to an account."""
        if self.kind.data == "customer" and field.data is None:
            raise ValidationError("Choose the customer's account.")

    def validate_domain(self, field: SelectField) -> None:
        """Staff work in a domain."""
        if self.kind.data == "internal" and field.data is None:
            raise ValidationError("Choose the domain the user works in.")


class SetPasswordForm(FlaskForm):
    """An administrator sets someone's password."""

    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class RoleForm(FlaskForm):
    """An admin-made role; its rights grid is read from the request by the view."""

    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    label = StringField("Label", validators=[Length(max=120)])
    description = TextAreaField("Description")
    external = BooleanField("For customer contacts (external role)")
    contains = CheckboxesField("Contains the roles", coerce=str)


class DomainForm(FlaskForm):
    """A domain's name."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])


class NewDomainForm(DomainForm):
    """A new domain, below a parent the admin can see."""

    parent = SelectField("Parent domain", coerce=optional_int, validators=[InputRequired()])


class AccountForm(FlaskForm):
    """An account's name and whether it is active."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    active = BooleanField("Active")


class NewAccountForm(FlaskForm):
    """A new account in a domain."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    domain = SelectField("Domain", coerce=optional_int, validators=[InputRequired()])


# --- playbooks --------------------------------------------------------------------------


class PlaybookLoadForm(FlaskForm):
    """A playbook definition to validate or load: an uploaded file, or pasted text."""

    file = FileField("Definition file", validators=[
        FileAllowed(["json", "yaml", "yml"], "Choose a .json, .yaml or .yml file."),
    ])
    text = TextAreaField("Or paste the definition (JSON or YAML)",
                         render_kw={"rows": 18, "spellcheck": "false", "class": "code"})
    check = SubmitField("Validate")
    store = SubmitField("Load")

    def validate_text(self, field: TextAreaField) -> None:
        """One of the two is needed."""
        if not (field.data or "").strip() and not self.file.data:
            raise ValidationError("Choose a file or paste a definition.")


class ActivityInputForm(FlaskForm):
    """The input of a playbook activity; :func:`input_form` adds the schema's fields."""

    #: the names of the fields made from the schema's properties
    input_names: tuple[str, ...] = ()
    #: for each choice field, its values as the schema has them, by their text
    choice_values: dict[str, dict[str, object]] = {}


def _choice_text(value: object) -> str:
    return "" if value is None else str(value)


#: the types a value typed as text becomes
_SCALARS = {"string": str, "integer": int, "number": float}
#: what separates the values of a line, and the items of a list within a value
COLUMN_SEPARATOR, ITEM_SEPARATOR = ",", ";"


def _label(name: str, prop: dict) -> str:
    return prop.get("title") or name.replace("_", " ").capitalize()


def _scalar(prop: dict) -> bool:
    return "enum" in prop or prop.get("type") in _SCALARS


def _typed(text: str, prop: dict) -> object:
    """``text`` as the value ``prop`` wants, or as it is (the schema check then says why)."""
    for value in prop.get("enum", ()):
        if str(value) == text:
            return value
    try:
        return _SCALARS.get(prop.get("type"), str)(text)
    except ValueError:
        return text


def _text(value: object) -> str:
    if isinstance(value, list):
        return f"{ITEM_SEPARATOR} ".join(map(str, value))
    return "" if value is None else str(value)


def list_lines(items: list, item: dict) -> list[str]:
    """An array input as the lines a :class:`ListField` shows (``item`` is its schema)."""
    columns = item.get("properties") if item.get("type") == "object" else None
    lines = []
    for value in items:
        if columns is None or not isinstance(value, dict):
            lines.append(_text(value))
        else:
            texts = [_text(value.get(name)) for name in columns]
            lines.append(f"{COLUMN_SEPARATOR} ".join(texts).rstrip(", "))
    return lines


class ListField(TextAreaField):
    """An array input typed as text, one item per line.

    Items are simple values, or objects of simple values and lists of simple values: an
    object's values are written in the schema's order separated by commas, a list's
    values within it by semicolons (``Ada, Lovelace, ada@example.com``).
    """

    def __init__(self, item: dict, **kwargs):
        super().__init__(**kwargs)
        self.columns = item.get("properties") if item.get("type") == "object" else None
        self.item = item

    @staticmethod
    def supports(item: dict) -> bool:
        """Whether items of schema ``item`` can be typed as lines."""
        if item.get("type") != "object":
            return _scalar(item)
        return all(_scalar(p) or (p.get("type") == "array" and _scalar(p.get("items", {})))
                   for p in (item.get("properties") or {}).values())

    @staticmethod
    def hint(item: dict) -> str:
        """How to type the items of schema ``item``."""
        if item.get("type") != "object":
            return "One per line."
        labels = [_label(name, prop).lower() + (f" (several separated by "
                                                 f"{ITEM_SEPARATOR!r})"
                                                 if prop.get("type") == "array" else "")
                  for name, prop in item["properties"].items()]
        return f"One per line: {', '.join(labels)}."

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(list_lines(self.data or [], self.item))

    def _parse(self, number: int, line: str) -> object:
        if self.columns is None:
            return _typed(line, self.item)
        texts = [text.strip() for text in line.split(COLUMN_SEPARATOR)]
        if len(texts) > len(self.columns):
            raise ValueError(f"Line {number} has {len(texts)} values; "
                             f"{self.hint(self.item)}")
        item = {}
        for (name, prop), text in zip(self.columns.items(), texts, strict=False):
            if prop.get("type") == "array":
                item[name] = [_typed(part.strip(), prop.get("items", {}))
                              for part in text.split(ITEM_SEPARATOR) if part.strip()]
            elif text:
                item[name] = _typed(text, prop)
        return item

    def process_formdata(self, valuelist: list[str]) -> None:
        """The list typed, its lines in the item schema's types; blank lines are skipped."""
        lines = (valuelist[0] if valuelist else "").splitlines()
        self.data = []
        errors = []
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    self.data.append(self._parse(number, line.strip()))
                except ValueError as error:
                    errors.append(str(error))
        if errors:
            raise ValueError(" ".join(errors))


def _schema_field(name: str, prop: dict, required: bool):
    """The form field for one property of an input schema; ``None`` if it has no form."""
    options = {
        "label": _label(name, prop),
        "description": prop.get("description", ""),
        "render_kw": {"required": True} if required else None,
    }
    kind = prop.get("type")
    if kind == "array" and ListField.supports(prop.get("items") or {}):
        item = prop.get("items") or {}
        hint = " ".join(filter(None, [options["description"], ListField.hint(item)]))
        return ListField(item, **{**options, "description": hint})
    if "enum" in prop:
        choices = [SelectChoice("", "—"), *(SelectChoice(str(v), str(v)) for v in prop["enum"])]
        return SelectField(choices=choices, coerce=_choice_text, default="", **options)
    if kind == "string":
        long = prop.get("maxLength", 0) > 200 or prop.get("format") == "textarea"
        return (TextAreaField if long else StringField)(**options)
    if kind == "integer":
        return IntegerField(validators=[Optional()], **options)
    if kind == "number":
        return FloatField(validators=[Optional()], widget=NumberInput(step="any"), **options)
    if kind == "boolean":
        return BooleanField(**options)
    return None


def input_form(schema: dict, *, prefix: str, data: dict | None = None,
               formdata=None) -> ActivityInputForm:
    """A form for an object input schema: strings, integers, numbers, booleans, enums.

    A string longer than 200 characters (``maxLength``) or of ``format: textarea`` gets a
    text area; ``title`` and ``description`` become the label and the hint. An array of
    simple values, or of objects of simple values, is a text area with one item per line
    (:class:`ListField`). Properties of other types, and names a form keeps for itself
    (``data``, ``errors`` …), get no field.

    Args:
        schema: the activity definition's ``input_schema``.
        prefix: keeps the fields of several forms on one page apart (the activity key).
        data: the input so far, to fill the fields.
        formdata: the submitted form, or ``None`` to show ``data``.
    """
    required = set(schema.get("required", ()))
    names, choice_values = [], {}
    fields = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not name.isidentifier() or hasattr(ActivityInputForm, name):
            continue
        field = _schema_field(name, prop, name in required)
        if field is not None:
            fields[name] = field
            names.append(name)
            if "enum" in prop:
                choice_values[name] = {str(value): value for value in prop["enum"]}
    form_class = type("InputForm", (ActivityInputForm,),
                      {**fields, "input_names": tuple(names), "choice_values": choice_values})
    return form_class(formdata=formdata, data=data or {}, prefix=prefix)


def input_data(form: ActivityInputForm) -> dict:
    """The submitted input in the schema's types; empty optional fields are left out."""
    data = {}
    for name in form.input_names:
        field = form[name]
        if field.type == "BooleanField":
            data[name] = bool(field.data)
        elif isinstance(field, ListField):
            if field.data:
                data[name] = field.data
        elif field.data not in (None, ""):
            data[name] = form.choice_values.get(name, {}).get(field.data, field.data)
    return data
