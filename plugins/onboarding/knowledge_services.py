"""Knowledge services: write articles, attach them to tasks, read a task's related knowledge.

The UI, the API and the demo call these; each checks rights (``require``), reads go
through ``scoped``, and the caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from onward import (
    SYSTEM,
    Conflict,
    Domain,
    Role,
    ValidationFailed,
    acting_as,
    current_actor,
    db,
    onward_state,
    require,
    scoped,
)
from onward.plugins.onboarding.knowledge import OnboardingArticle, OnboardingTaskArticle
from onward.plugins.onboarding.models import TASK_TYPES, CaseTask, OnboardingCase


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def restrictable_roles() -> dict[str, str]:
    """The declared roles a *cannot read* entry shuts out: name -> label.

    A role that reads articles through its own table right (``"*"`` included) without a
    record rule on articles, such as ``admin``, reads every article and is left out.
    """
    registries = onward_state().registries
    ruled = {rule.role for rule in registries.record_rules
             if getattr(rule, "model", None) is OnboardingArticle}
    table = OnboardingArticle.__tablename__
    return {role.name: role.label or role.name for role in registries.roles.values()
            if role.name in ruled
            or "r" not in role.rights.get(table, "") + role.rights.get("*", "")}


def _roles(names: list[str]) -> list[Role]:
    """The roles named, refusing a name that is no role or that cannot be shut out."""
    names = list(dict.fromkeys(names))
    allowed = restrictable_roles()
    found = {role.name: role for role in db.session.scalars(
        select(Role).where(Role.name.in_(names)))}
    for name in names:
        if name not in found:
            raise _invalid("cannot_read", f"No role {name!r}.")
        if name not in allowed:
            raise _invalid("cannot_read", f"Role {name!r} reads every article; it cannot be "
                                          "shut out of one.")
    return [found[name] for name in names]


def _set_fields(article: OnboardingArticle, data: dict[str, Any]) -> None:
    data = dict(data)
    if "cannot_read" in data:
        article.cannot_read = _roles(data.pop("cannot_read") or [])
    if data.get("task_type") not in (None, *TASK_TYPES):
        raise _invalid("task_type", f"Invalid task type {data['task_type']!r}. Choose one "
                                    f"of: {', '.join(TASK_TYPES)}.")
    if "title" in data and not (data["title"] or "").strip():
        raise _invalid("title", "An article needs a title.")
    for name, value in data.items():
        setattr(article, name, value)


def create_article(data: dict[str, Any]) -> OnboardingArticle:
    """Add an article to the knowledge base of the actor's domain (or of ``domain_id``).

    ``cannot_read`` names the roles that may not read it; ``task_type`` and
    ``subject_pattern`` say which new tasks get it attached by themselves.
    """
    data = dict(data)
    domain_id = data.pop("domain_id", None) or getattr(current_actor(), "domain_id", None)
    if domain_id is None:
        raise _invalid("domain_id", "Name the domain whose knowledge base the article is in.")
    article = OnboardingArticle(domain_id=domain_id)
    _set_fields(article, data)
    require("create", article)
    db.session.add(article)
    db.session.flush()
    return article


def update_article(article: OnboardingArticle, data: dict[str, Any]) -> OnboardingArticle:
    """Change the fields sent (``cannot_read`` replaces the roles shut out)."""
    require("write", article)
    _set_fields(article, data)
    db.session.flush()
    return article


def delete_article(article: OnboardingArticle) -> None:
    """Remove an article; its links to tasks go with it."""
    require("delete", article)
    for link in db.session.scalars(select(OnboardingTaskArticle).where(
            OnboardingTaskArticle.article_id == article.id)):
        db.session.delete(link)
    db.session.delete(article)
    db.session.flush()


def _link(task: CaseTask, article: OnboardingArticle) -> OnboardingTaskArticle | None:
    return db.session.scalar(select(OnboardingTaskArticle).where(
        OnboardingTaskArticle.task_id == task.id,
        OnboardingTaskArticle.article_id == article.id))


def attach(task: CaseTask, article: OnboardingArticle) -> OnboardingTaskArticle:
    """Attach ``article`` (which the actor reads) to ``task`` (which it may write)."""
    require("write", task)
    require("read", article)
    if article.domain_id not in domain_chain(task.domain_id):
        raise _invalid("article_id", f"{article.number} is not in the knowledge base of "
                                     f"{task.number}'s domain.")
    if _link(task, article) is not None:
        raise Conflict(f"{article.number} is already attached to {task.number}.")
    link = OnboardingTaskArticle(task_id=task.id, article_id=article.id,
                                 account_id=task.account_id)
    require("create", link)
    db.session.add(link)
    db.session.flush()
    return link


def detach(task: CaseTask, article: OnboardingArticle) -> None:
    """Take ``article`` off ``task``'s related knowledge."""
    require("write", task)
    link = _link(task, article)
    if link is None:
        raise _invalid("article_id", f"{article.number} is not attached to {task.number}.")
    require("delete", link)
    db.session.delete(link)
    db.session.flush()


def related(task: CaseTask) -> list[OnboardingArticle]:
    """The articles attached to ``task`` that the actor may read, in number order."""
    require("read", task)
    attached = select(OnboardingTaskArticle.article_id).where(
        OnboardingTaskArticle.task_id == task.id)
    return list(db.session.scalars(scoped(OnboardingArticle).where(
        OnboardingArticle.id.in_(attached)).order_by(OnboardingArticle.number)))


def shared_on_case(case: OnboardingCase) -> list[OnboardingArticle]:
    """The articles attached to the case's tasks, both of which the actor reads (portal).

    A customer reads only the tasks visible to it, and only the customer-readable
    articles that none of its roles is shut out of.
    """
    tasks = scoped(CaseTask).where(CaseTask.case_id == case.id).with_only_columns(CaseTask.id)
    attached = select(OnboardingTaskArticle.article_id).where(
        OnboardingTaskArticle.task_id.in_(tasks))
    return list(db.session.scalars(scoped(OnboardingArticle).where(
        OnboardingArticle.id.in_(attached)).order_by(OnboardingArticle.number)))


def domain_chain(domain_id: int) -> list[int]:
    """``domain_id`` and the domains above it: whose knowledge bases serve it."""
    chain: list[int] = []
    while domain_id is not None and domain_id not in chain:
        chain.append(domain_id)
        domain_id = db.session.scalar(select(Domain.parent_id).where(Domain.id == domain_id))
    return chain


def attach_matching(task_id: int) -> int:
    """Attach to a new task every article of its knowledge bases that applies to it.

    Runs as the system (on the task's ``created`` event); returns how many it attached.
    """
    with acting_as(SYSTEM):
        task = db.session.get(CaseTask, task_id)
        if task is None:
            return 0
        candidates = db.session.scalars(select(OnboardingArticle).where(
            OnboardingArticle.domain_id.in_(domain_chain(task.domain_id))))
        attached = 0
        for article in candidates:
            if article.applies_to(task) and _link(task, article) is None:
                attach(task, article)
                attached += 1
        return attached
