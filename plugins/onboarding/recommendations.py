"""Recommended actions of onboarding tasks: guidance, decision trees, field recommendations.

Seed: "Recommended actions for account onboarding". The actions are data
(``data/recommended_actions.yaml``), checked against ``recommended_actions.schema.json``
and for dangling questions when the application starts (:func:`install`), and shown as
cards beside a task whose type and subject they apply to. A decision tree is walked with
the answers so far (``answer`` query arguments), so it needs no script and no state; a
field recommendation is applied through :func:`~.cases.update_task`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, current_app
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from onward import (
    AccessDenied,
    Conflict,
    NotFound,
    StartupError,
    User,
    ValidationFailed,
    current_actor,
    db,
    require,
    scoped,
)
from onward.plugins.onboarding import teams
from onward.plugins.onboarding.cases import update_task
from onward.plugins.onboarding.knowledge import OnboardingArticle
from onward.plugins.onboarding.knowledge_services import domain_chain
from onward.plugins.onboarding.models import CaseTask

DATA = Path(__file__).parent / "data"
ACTIONS_FILE = DATA / "recommended_actions.yaml"
SCHEMA_FILE = DATA / "recommended_actions.schema.json"
#: where :func:`install` keeps the loaded actions in ``app.extensions``
EXTENSION = "onboarding_recommendations"
KINDS = {"guidance": "Guidance", "decision_tree": "Decision tree",
         "field": "Field recommendation"}


@dataclass(frozen=True)
class Action:
    """One recommended action, as the data file defines it."""

    key: str
    kind: str
    title: str
    task_types: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    #: the rest of the entry: ``text``/``article``, ``start``/``nodes``, ``field``/``source``
    data: Mapping[str, Any] = field(default_factory=dict)

    def applies_to(self, task: CaseTask) -> bool:
        """Whether ``task``'s type and subject fit the action."""
        subject = task.subject.lower()
        return ((not self.task_types or task.task_type in self.task_types)
                and (not self.subjects
                     or any(fnmatchcase(subject, p.lower()) for p in self.subjects)))


# --- loading ----------------------------------------------------------------------------


def _tree_problem(entry: Mapping[str, Any]) -> str | None:
    """A decision tree's dangling start or ``next``, or a repeated option key."""
    nodes = entry["nodes"]
    if entry["start"] not in nodes:
        return f"start {entry['start']!r} is no question of the tree"
    for name, node in nodes.items():
        keys = [option["key"] for option in node["options"]]
        if len(set(keys)) != len(keys):
            return f"question {name!r} repeats an option key"
        for option in node["options"]:
            if option.get("next") is not None and option["next"] not in nodes:
                return f"option {option['key']!r} of {name!r} leads to unknown {option['next']!r}"
    return None


def load(path: Path = ACTIONS_FILE) -> dict[str, Action]:
    """Read and check the actions file; key -> action.

    Raises:
        StartupError: an entry breaks the schema, a tree dangles or a key repeats (the
            message names the entry), or the file itself is not shaped as the schema says.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    entry_validator = Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/action"})
    found: dict[str, Action] = {}
    entries = data.get("actions") if isinstance(data, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        name = entry.get("key", "?") if isinstance(entry, dict) else "?"
        error = best_match(entry_validator.iter_errors(entry))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path)
            problem = f"{error.message}{f' (at {where})' if where else ''}"
        elif entry["kind"] == "decision_tree":
            problem = _tree_problem(entry)
        else:
            problem = None
        if problem is None and name in found:
            problem = "the key is used twice"
        if problem:
            raise StartupError(f"{path.name}: action {index + 1} ({name!r}): {problem}.")
        rest = {k: v for k, v in entry.items() if k not in ("key", "kind", "title", "applies_to")}
        found[name] = Action(name, entry["kind"], entry["title"],
                             tuple(entry["applies_to"].get("task_types", ())),
                             tuple(entry["applies_to"].get("subjects", ())), rest)
    error = best_match(Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        raise StartupError(f"{path.name}: {error.message}.")
    return found


def install(app: Flask, path: Path = ACTIONS_FILE) -> None:
    """Load the actions once, at start-up, into ``app.extensions``."""
    app.extensions[EXTENSION] = load(path)


def catalogue() -> dict[str, Action]:
    """The loaded actions of the current application."""
    return current_app.extensions[EXTENSION]


# --- what a task gets -------------------------------------------------------------------


def _staff_only(task: CaseTask) -> None:
    """Recommended actions are for agents: the actor reads ``task`` and is no customer."""
    require("read", task)
    if getattr(current_actor(), "is_customer", False):
        raise AccessDenied("Recommended actions are for agents.")


def actions_for(task: CaseTask) -> list[Action]:
    """The actions that apply to ``task``, in the file's order."""
    _staff_only(task)
    return [action for action in catalogue().values() if action.applies_to(task)]


def action_for(task: CaseTask, key: str, kind: str | None = None) -> Action:
    """The action ``key`` of ``task`` (of ``kind``); else :class:`NotFound`."""
    _staff_only(task)
    action = catalogue().get(key)
    if action is None or not action.applies_to(task) or kind not in (None, action.kind):
        raise NotFound(f"No recommended action {key!r} for {task.number}.")
    return action


def article_titled(task: CaseTask, title: str | None) -> OnboardingArticle | None:
    """The article of the task's knowledge bases with ``title``, if the actor reads one."""
    if not title:
        return None
    return db.session.scalars(scoped(OnboardingArticle).where(
        OnboardingArticle.title == title,
        OnboardingArticle.domain_id.in_(domain_chain(task.domain_id)))
        .order_by(OnboardingArticle.id)).first()


def _first_holder(case, side: str, responsibility: str) -> int | None:
    return next((member.user_id for member in teams.members(case, side)
                 if responsibility in member.responsibilities), None)


def recommended_value(task: CaseTask, action: Action) -> int | None:
    """The user id a field recommendation suggests for ``task`` (``None``: nobody)."""
    case = task.case
    if action.data["source"] == "point_of_contact":
        return _first_holder(case, "customer", "point_of_contact") or case.contact_id
    responsibility = task.responsibility or teams.DEFAULT_RESPONSIBILITY
    return _first_holder(case, "account", responsibility) or case.assigned_to_id


@dataclass
class Step:
    """Where a walk through a decision tree stands after ``answers``."""

    action: Action
    answers: list[str]
    #: the question to answer next (``None`` once advice is reached)
    node: str | None = None
    question: str | None = None
    #: ``(key, label)`` of each option of the question
    options: list[tuple[str, str]] = field(default_factory=list)
    #: the labels of the answers given, in order
    trail: list[tuple[str, str]] = field(default_factory=list)
    advice: str | None = None
    article: OnboardingArticle | None = None

    @property
    def done(self) -> bool:
        """Advice reached: the walk ends with *End troubleshooting*."""
        return self.advice is not None


def walk(task: CaseTask, key: str, answers: Sequence[str]) -> Step:
    """Follow decision tree ``key`` of ``task`` through ``answers`` (option keys).

    Raises:
        NotFound: no such tree for the task.
        ValidationFailed: an answer is no option of its question, or comes after advice.
    """
    action = action_for(task, key, "decision_tree")
    nodes = action.data["nodes"]
    step = Step(action, list(answers))
    name: str | None = action.data["start"]
    for position, answer in enumerate(answers, start=1):
        if name is None:
            message = f"Answer {position} comes after the advice; the walk has ended."
            raise ValidationFailed(message, fields={"answer": [message]})
        node = nodes[name]
        option = next((o for o in node["options"] if o["key"] == answer), None)
        if option is None:
            keys = ", ".join(o["key"] for o in node["options"])
            message = (f"Answer {position} {answer!r} is not an option of "
                       f"{node['question']!r}; choose one of: {keys}.")
            raise ValidationFailed(message, fields={"answer": [message]})
        step.trail.append((node["question"], option["label"]))
        name = option.get("next")
        if name is None:
            step.advice = option["advice"]
            step.article = article_titled(task, option.get("article"))
    if name is not None:
        node = nodes[name]
        step.node, step.question = name, node["question"]
        step.options = [(o["key"], o["label"]) for o in node["options"]]
    return step


@dataclass
class Card:
    """One action as a task's side panel shows it."""

    action: Action
    #: guidance: the article it points to; field: the user recommended
    article: OnboardingArticle | None = None
    user: User | None = None
    #: field: whether the recommended user already holds the field
    applied: bool = False
    #: decision tree: its first question
    step: Step | None = None


def cards(task: CaseTask) -> list[Card]:
    """The recommended actions of ``task`` with what each shows now."""
    found = []
    for action in actions_for(task):
        card = Card(action)
        if action.kind == "guidance":
            card.article = article_titled(task, action.data.get("article"))
        elif action.kind == "decision_tree":
            card.step = walk(task, action.key, [])
        else:
            user_id = recommended_value(task, action)
            card.user = db.session.scalars(scoped(User).where(User.id == user_id)).first() \
                if user_id else None
            card.applied = user_id is not None and getattr(task, action.data["field"]) == user_id
        found.append(card)
    return found


def apply(task: CaseTask, key: str) -> CaseTask:
    """Apply field recommendation ``key`` to ``task`` through ``update_task``.

    Raises:
        NotFound: no such field recommendation for the task.
        Conflict: nobody to recommend, or the task already has the recommended value.
    """
    action = action_for(task, key, "field")
    name = action.data["field"]
    value = recommended_value(task, action)
    if value is None:
        raise Conflict(f"There is nobody to recommend for {action.title!r} of {task.number}.")
    if getattr(task, name) == value:
        raise Conflict(f"{task.number} already has the recommended {action.title!r}.")
    return update_task(task, {name: value})
