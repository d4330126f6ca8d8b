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
class CaseType:
    """A case type: its number prefix, its states and what each state implies."""

    key: str
    label: str
    prefix: str
    states: tuple[str, ...] = ()
    #: state -> default stage; the engine of the playbook issue grows this further
    stages: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityDefinition:
    """A playbook activity implemented in code: its input schema and handlers."""

    key: str
    label: str
    input_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    handlers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


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


@dataclass(frozen=True)
class ImportTarget:
    """A table that imports publish into: its fields and natural key."""

    key: str
    label: str
    model: type
    fields: tuple[str, ...]
    natural_key: tuple[str, ...]


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
    """A landing-page card: a query counting records, with its drill-down."""

    key: str
    label: str
    query: Callable[..., Any]


@dataclass(frozen=True)
class Job:
    """A scheduled job: a cron-style schedule and the callable that does the work."""

    key: str
    label: str
    schedule: str
    func: Callable[..., Any]


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


def build_registries(pm) -> Registries:
    """Call every ``register_*`` hook that takes no argument and freeze the results."""
    built: dict[str, Registry] = {}
    for hook_name, (item_type, what) in ITEM_HOOKS.items():
        pairs = _checked(_collect(pm, hook_name), item_type, what)
        built[hook_name.removeprefix("register_")] = Registry(what, pairs)
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
