"""The items plugins contribute through ``register_*`` hooks, and the frozen registries.

``create_app`` calls every ``register_*`` hook once, checks the items (types, duplicate
keys), and freezes them into :class:`Registries`, kept at ``app.extensions["onward"]``.
The rest of the code reads from there; no hook is called per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from onward.core.errors import StartupError

RIGHTS = ("read", "create", "write", "delete")
ALL_TABLES = "*"


@dataclass(frozen=True)
class RoleDefinition:
    """A role a plugin declares: the roles it contains and the table rights it grants.

    ``rights`` maps a table name (or ``"*"`` for every table) to the rights it grants
    there, written as letters: ``r`` read, ``c`` create, ``w`` write, ``d`` delete.
    """

    name: str
    label: str = ""
    description: str = ""
    contains: tuple[str, ...] = ()
    rights: Mapping[str, str] = field(default_factory=dict)
    #: an external role is for customer users (contacts of an account)
    external: bool = False
    #: declared roles (of any plugin) that contain this one: how a plugin extends a role
    #: it does not own, e.g. ``part_of=("onboarding_agent",)``
    part_of: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The registry key: the role name."""
        return self.name


@dataclass(frozen=True)
class RecordRule:
    """Narrows the rows that holders of ``role`` read in ``model``'s table.

    ``where(user)`` returns a SQLAlchemy condition. A user sees the union over its roles:
    a role with read on the table and no record rule sees every row in its scope.
    """

    model: type
    role: str
    where: Callable[[Any], Any]


@dataclass(frozen=True)
class FieldRule:
    """Lists the fields of ``model`` that customer users may read (``id`` always)."""

    model: type
    fields: tuple[str, ...]


AccessRule = RecordRule | FieldRule


@dataclass(frozen=True)
class NavItem:
    """A navigation entry: a label and the endpoint it opens."""

    label: str
    endpoint: str
    section: str = "Workspace"
    order: int = 100
    #: ``(right, table)`` the user must hold to see the entry; ``None`` shows it to all
    requires: tuple[str, str] | None = None
    #: show the entry to internal users, customers, or both
    audience: str = "internal"

    @property
    def key(self) -> str:
        """The registry key: the endpoint."""
        return self.endpoint


@dataclass(frozen=True)
class StateMap:
    """How a case's state drives another field (its stage, or a task's progress).

    Changing the state sets the field to the state's default; the field may otherwise
    hold only the state's default or one of the ``alternatives`` (e.g. *At risk*), and
    an alternative is not allowed in the states listed in ``alternatives_not_in``.
    """

    #: the field the state drives, e.g. ``stage`` or ``progress``
    field: str
    #: state -> the field's default value in that state
    defaults: Mapping[str, str]
    #: values allowed besides the default, e.g. ``("At risk",)``
    alternatives: tuple[str, ...] = ()
    #: states in which no alternative is allowed, e.g. ``("Closed", "Canceled")``
    alternatives_not_in: tuple[str, ...] = ()

    def allowed(self, state: str) -> tuple[str, ...]:
        """The values the field may hold in ``state`` (the default first)."""
        default = self.defaults.get(state)
        values = (default,) if default is not None else ()
        if state in self.alternatives_not_in:
            return values
        return values + tuple(v for v in self.alternatives if v != default)


@dataclass(frozen=True)
class CaseType:
    """A case type: its model, number prefix, states, and the fields its state drives."""

    key: str
    label: str
    prefix: str
    #: the model class of the cases (it carries ``__number_prefix__ == prefix``)
    model: type | None = None
    states: tuple[str, ...] = ()
    #: the state a new case starts in (default: the first state)
    initial_state: str | None = None
    #: the model's field that holds the state
    state_field: str = "state"
    #: the fields the state drives
    maps: tuple[StateMap, ...] = ()


@dataclass(frozen=True)
class ActivityDefinition:
    """A playbook activity implemented in code: its input schema and handlers.

    ``handlers`` maps ``start``, ``save`` and ``complete`` to callables that take an
    :class:`~onward.core.playbooks.engine.ActivityContext`; each may raise Onward's
    errors (``ValidationFailed``, ``RuleViolation``) to refuse the step.
    """

    key: str
    label: str
    input_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    handlers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Rule:
    """A business rule: ``check(record, change)`` raises ``RuleViolation`` to refuse.

    Runs before every flush that creates, updates or deletes a ``model`` record (or a
    record of a subclass), whoever writes: the UI, the API, the CLI, imports and jobs.
    """

    key: str
    model: type
    check: Callable[[Any, Any], None]
    #: which changes the rule sees: ``create``, ``update``, ``delete``
    on: tuple[str, ...] = ("create", "update")
    description: str = ""


@dataclass(frozen=True)
class PlaybookDefinition:
    """A playbook definition: data, validated against core's JSON Schema."""

    key: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Validator:
    """A field-level validator kind (``kind="field"``) or a record-level rule."""

    key: str
    label: str
    func: Callable[..., Any]
    kind: str = "record"
    description: str = ""


#: the kinds of value an importable field holds
IMPORT_FIELD_TYPES = ("string", "text", "integer", "decimal", "boolean", "date", "datetime",
                      "email", "choice", "reference")


@dataclass(frozen=True)
class ImportReference:
    """Where an importable field's value is looked up: ``model``'s ``field``.

    A spreadsheet names a related record (a location by its name, say); the import finds
    its id. The lookup keeps to the import's account when ``model`` is account-scoped.
    """

    model: type
    field: str


@dataclass(frozen=True)
class ImportField:
    """One importable field of an :class:`ImportTarget` (see :func:`describe_fields`)."""

    #: the model attribute the value is written to
    name: str
    #: one of :data:`IMPORT_FIELD_TYPES`
    type: str = "string"
    #: the column label in templates; by default made from the name
    label: str = ""
    required: bool = False
    #: stored value -> label, for ``choice`` fields (a template cell offers the labels)
    choices: Mapping[str, str] = field(default_factory=dict)
    max_length: int | None = None
    #: the smallest and largest number the column holds (``integer`` and ``decimal`` fields)
    minimum: int | float | None = None
    maximum: int | float | None = None
    #: for ``reference`` fields
    reference: ImportReference | None = None
    description: str = ""

    @property
    def title(self) -> str:
        """The label, else ``location_id`` → ``Location``."""
        return self.label or self.name.removesuffix("_id").replace("_", " ").capitalize()


@dataclass(frozen=True)
class ImportTarget:
    """A table imports publish into: its importable fields, natural key and account."""

    key: str
    label: str
    model: type
    fields: tuple[ImportField, ...]
    #: the fields that name one record (with the account): publishing upserts by them
    natural_key: tuple[str, ...]
    #: the model's column for the account the imported rows belong to (``None``: no account)
    account_field: str | None = None
    description: str = ""

    def field(self, name: str) -> ImportField:
        """The importable field ``name`` (``KeyError`` when there is none)."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


@dataclass(frozen=True)
class SuccessPlay:
    """A success-play subflow: a category, an input schema and the callable that runs."""

    key: str
    label: str
    category: str
    run: Callable[..., Any]
    input_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class Scorecard:
    """A landing-page card: how many records match, their monthly trend, and the list.

    Give ``model`` (counted through ``scoped``, narrowed by ``where(user)``) or ``query()``
    (a ``Select`` the plugin scopes itself). :mod:`onward.core.scorecards` does the counting.
    """

    key: str
    label: str
    #: ``query()`` -> a ``Select`` of the records counted (when there is no ``model``)
    query: Callable[..., Any] | None = None
    #: the model counted; its rows come from ``scoped(model)``
    model: type | None = None
    #: ``where(user)`` -> the conditions a row must meet, e.g. assigned to ``user``
    where: Callable[[Any], Iterable[Any]] | None = None
    #: the date or time column the trend groups by month; ``None``: no trend
    date_field: str | None = None
    #: ``(endpoint, query arguments)`` of the list behind the count
    drill: tuple[str, Mapping[str, Any]] | None = None
    #: cards are shown by ``order``, then label
    order: int = 100
    description: str = ""


@dataclass(frozen=True)
class Job:
    """A job type: the callable that does the work and, for scheduled jobs, when.

    ``func(ctx, **arguments)`` gets a :class:`~onward.core.jobs.JobContext` to report
    progress; what it returns (JSON-serialisable) is kept as the job's result.
    """

    key: str
    label: str
    func: Callable[..., Any]
    #: a cron expression (``*/5 * * * *``); ``None`` for jobs that run only on demand
    schedule: str | None = None
    #: whether a scheduled job runs until an admin turns it off (or waits to be turned on)
    active: bool = True
    description: str = ""


@dataclass(frozen=True)
class Migrations:
    """Where a plugin's Alembic revisions live; ``plugin`` names the lineage."""

    plugin: str
    location: Path

    @property
    def key(self) -> str:
        """The registry key: the plugin name."""
        return self.plugin

    @property
    def version_table(self) -> str:
        """The Alembic version table of this lineage."""
        return "alembic_version" if self.plugin == "core" else f"alembic_version_{self.plugin}"


T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """A read-only, ordered mapping of key to item, with the plugin that gave each."""

    def __init__(self, kind: str, items: Iterable[tuple[str, T]], key=lambda item: item.key):
        data: dict[str, T] = {}
        owners: dict[str, str] = {}
        for plugin, item in items:
            item_key = key(item)
            if item_key in data:
                raise StartupError(
                    f"{kind} {item_key!r} is registered twice: by plugin {owners[item_key]!r} "
                    f"and by plugin {plugin!r}"
                )
            data[item_key] = item
            owners[item_key] = plugin
        self._data = MappingProxyType(data)
        self.owners = MappingProxyType(owners)

    def __getitem__(self, key: str) -> T:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


#: hook name -> (item type, what the item is called in error messages)
ITEM_HOOKS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "register_roles": (RoleDefinition, "role"),
    "register_navigation": (NavItem, "navigation entry"),
    "register_case_types": (CaseType, "case type"),
    "register_activity_definitions": (ActivityDefinition, "activity definition"),
    "register_playbooks": (PlaybookDefinition, "playbook"),
    "register_validators": (Validator, "validator"),
    "register_import_targets": (ImportTarget, "import target"),
    "register_success_plays": (SuccessPlay, "success play"),
    "register_scorecards": (Scorecard, "scorecard"),
    "register_jobs": (Job, "job"),
}


@dataclass(frozen=True)
class Registries:
    """Everything the plugins contributed to one application, checked and frozen."""

    roles: Registry[RoleDefinition]
    navigation: Registry[NavItem]
    case_types: Registry[CaseType]
    activity_definitions: Registry[ActivityDefinition]
    playbooks: Registry[PlaybookDefinition]
    validators: Registry[Validator]
    import_targets: Registry[ImportTarget]
    success_plays: Registry[SuccessPlay]
    scorecards: Registry[Scorecard]
    jobs: Registry[Job]
    rules: Registry[Rule]
    migrations: Registry[Migrations]
    record_rules: tuple[RecordRule, ...]
    field_rules: Mapping[type, frozenset[str]]


def _collect(pm, hook_name: str) -> list[tuple[str, Any]]:
    """Call ``hook_name`` once and pair every item with the name of the plugin it came from."""
    from onward.core.plugins import call_each

    pairs: list[tuple[str, Any]] = []
    for plugin, result in call_each(pm, hook_name):
        items = result if isinstance(result, list | tuple) else [result]
        pairs.extend((plugin, item) for item in items)
    return pairs


def _checked(pairs, expected, what) -> list[tuple[str, Any]]:
    for plugin, item in pairs:
        if not isinstance(item, expected):
            raise StartupError(
                f"plugin {plugin!r} returned {item!r} from its hook; expected a {what}"
            )
    return pairs


def _check_case_type(plugin: str, case_type: CaseType) -> None:
    prefix = getattr(case_type.model, "__number_prefix__", case_type.prefix)
    if prefix != case_type.prefix:
        raise StartupError(f"plugin {plugin!r}: case type {case_type.key!r} has prefix "
                           f"{case_type.prefix!r} but its model numbers with {prefix!r}")
    known = set(case_type.states)
    for state_map in case_type.maps:
        unknown = sorted(set(state_map.defaults) - known)
        missing = sorted(known - set(state_map.defaults))
        if unknown or missing:
            raise StartupError(
                f"plugin {plugin!r}: case type {case_type.key!r} maps "
                f"{state_map.field!r} for states {unknown or missing} "
                f"{'it does not have' if unknown else 'without a default'}")


def _check_import_target(plugin: str, target: ImportTarget) -> None:
    def refuse(problem: str) -> None:
        raise StartupError(f"plugin {plugin!r}: import target {target.key!r} {problem}")

    names = [f.name for f in target.fields]
    if not names:
        refuse("has no fields")
    for name in (*names, *([target.account_field] if target.account_field else [])):
        if not hasattr(target.model, name):
            refuse(f"names {name!r}, which {target.model.__name__} does not have")
    if len(set(names)) != len(names):
        refuse("lists a field twice")
    for item in target.fields:
        if item.type not in IMPORT_FIELD_TYPES:
            refuse(f"gives field {item.name!r} the unknown type {item.type!r}; use one of "
                   f"{', '.join(IMPORT_FIELD_TYPES)}")
        if (item.type == "choice") != bool(item.choices):
            refuse(f"field {item.name!r}: a choice field, and only a choice field, has choices")
        if (item.type == "reference") != (item.reference is not None):
            refuse(f"field {item.name!r}: a reference field, and only a reference field, "
                   "has a reference")
        if item.reference and not hasattr(item.reference.model, item.reference.field):
            refuse(f"field {item.name!r} looks up {item.reference.field!r}, which "
                   f"{item.reference.model.__name__} does not have")
    if not target.natural_key or set(target.natural_key) - set(names):
        refuse("needs a natural key made of its own fields")


def build_registries(pm) -> Registries:
    """Call every ``register_*`` hook that takes no argument and freeze the results."""
    built: dict[str, Registry] = {}
    for hook_name, (item_type, what) in ITEM_HOOKS.items():
        pairs = _checked(_collect(pm, hook_name), item_type, what)
        built[hook_name.removeprefix("register_")] = Registry(what, pairs)
    from onward.core.rules import case_type_rules  # rules.py builds on these item types

    case_types = built["case_types"]
    rule_pairs = list(_checked(_collect(pm, "register_rules"), Rule, "rule"))
    for key, case_type in case_types.items():
        _check_case_type(case_types.owners[key], case_type)
        rule_pairs.extend((case_types.owners[key], rule) for rule in case_type_rules(case_type))
    built["rules"] = Registry("rule", rule_pairs)
    targets = built["import_targets"]
    for key, target in targets.items():
        _check_import_target(targets.owners[key], target)
    migrations = _checked(_collect(pm, "register_migrations"), Migrations, "Migrations item")
    for plugin, item in migrations:
        if item.plugin != plugin:
            raise StartupError(
                f"plugin {plugin!r} registered migrations for {item.plugin!r}; a lineage "
                "is named after the plugin that owns it"
            )
    rules = _checked(_collect(pm, "register_access_rules"), (RecordRule, FieldRule), "rule")
    field_rules: dict[type, set[str]] = {}
    for _plugin, rule in rules:
        if isinstance(rule, FieldRule):
            field_rules.setdefault(rule.model, {"id"}).update(rule.fields)
    return Registries(
        **built,
        migrations=Registry("migrations", migrations),
        record_rules=tuple(rule for _p, rule in rules if isinstance(rule, RecordRule)),
        field_rules=MappingProxyType({m: frozenset(f) for m, f in field_rules.items()}),
    )
