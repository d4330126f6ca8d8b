"""Knowledge articles (``KB…``) of a tenant's knowledge base, and their links to tasks.

Seed: "Account onboarding Knowledge Base". Whoever reads the knowledge base reads a new
article; its *cannot read* roles shut holders of those roles out, and only an article
flagged readable by customers ever reaches a customer, and then only once it is attached
to a task of the customer's account that is visible to customers. An article that names a
task type and/or a subject pattern is attached by itself to every new task that matches
(seed: "How to attach KB to the related Knowledge tab of any ALE Task").
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    exists,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onward import (
    AccountScopedMixin,
    AuditedMixin,
    DomainScopedMixin,
    ListSpec,
    NumberedMixin,
    Role,
    TimestampMixin,
    db,
    effective_roles,
)
from onward.plugins.onboarding.models import CaseTask

#: roles shut out of an article (seed: the *Cannot read* field)
ARTICLE_CANNOT_READ = Table(
    "onboarding_article_cannot_read", db.metadata,
    Column("article_id", ForeignKey("onboarding_article.id", ondelete="CASCADE"),
           primary_key=True),
    Column("role_id", ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class OnboardingArticle(NumberedMixin, DomainScopedMixin, TimestampMixin, AuditedMixin,
                        db.Model):
    """A knowledge article (``KB…``): a title and a plain-text body."""

    __tablename__ = "onboarding_article"
    __number_prefix__ = "KB"
    __domain_column__ = "domain_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: plain text; blank lines part paragraphs, ``- `` and ``1. `` lines make lists
    body: Mapped[str] = mapped_column(Text, default="")
    #: whether customers may read it at all (when shared with them through a task)
    customer_readable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: new tasks of this type get the article (one of ``TASK_TYPES``; ``None``: any type)
    task_type: Mapped[str | None] = mapped_column(String(20))
    #: new tasks whose subject matches get the article (``*`` wildcards, any case)
    subject_pattern: Mapped[str] = mapped_column(String(160), default="")

    cannot_read: Mapped[list[Role]] = relationship(secondary=ARTICLE_CANNOT_READ,
                                                   order_by="Role.name")

    @property
    def cannot_read_names(self) -> list[str]:
        """The names of the roles that may not read the article."""
        return [role.name for role in self.cannot_read]

    @property
    def blocks(self) -> list[tuple[str, list[str]]]:
        """The body as ``(kind, lines)`` blocks: ``p``, ``ul`` or ``ol``."""
        return text_blocks(self.body)

    def applies_to(self, task: CaseTask) -> bool:
        """Whether a new ``task`` gets the article: it names a type or pattern that fits."""
        if not self.task_type and not self.subject_pattern:
            return False
        if self.task_type and self.task_type != task.task_type:
            return False
        pattern = self.subject_pattern.lower()
        return not pattern or fnmatchcase(task.subject.lower(), pattern)

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class OnboardingTaskArticle(AccountScopedMixin, TimestampMixin, db.Model):
    """An article attached to a task (its *Related knowledge*)."""

    __tablename__ = "onboarding_task_article"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"
    __table_args__ = (UniqueConstraint("task_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("onboarding_task.id", ondelete="CASCADE"),
                                         index=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("onboarding_article.id", ondelete="CASCADE"), index=True)

    task: Mapped[CaseTask] = relationship()
    article: Mapped[OnboardingArticle] = relationship()


def shared_with(account_id: int | None):
    """Articles attached to a customer-visible task of the account (a customer's share)."""
    return exists(
        select(OnboardingTaskArticle.id)
        .join(CaseTask, CaseTask.id == OnboardingTaskArticle.task_id)
        .where(OnboardingTaskArticle.article_id == OnboardingArticle.id,
               CaseTask.account_id == account_id, CaseTask.visible_to_customer.is_(True)))


def not_shut_out(user):
    """Articles none of whose *cannot read* roles ``user`` holds (directly or contained)."""
    return ~exists(
        select(ARTICLE_CANNOT_READ.c.article_id)
        .join(Role, Role.id == ARTICLE_CANNOT_READ.c.role_id)
        .where(ARTICLE_CANNOT_READ.c.article_id == OnboardingArticle.id,
               Role.name.in_(effective_roles(user))))


def customer_reads(user):
    """What a customer reads: customer-readable, shared with its account, not shut out."""
    return (OnboardingArticle.customer_readable.is_(True) & shared_with(user.account_id)
            & not_shut_out(user))


#: how articles are listed (search, sort, filter) in the UI and the API
ARTICLES = ListSpec(
    sortable={"id": OnboardingArticle.id, "number": OnboardingArticle.number,
              "title": OnboardingArticle.title, "updated_at": OnboardingArticle.updated_at},
    searchable=(OnboardingArticle.number, OnboardingArticle.title, OnboardingArticle.body),
    filterable={"task_type": OnboardingArticle.task_type,
                "customer_readable": OnboardingArticle.customer_readable},
    default_sort="number",
)

_LIST_ITEM = {"ul": re.compile(r"^\s*[-*]\s+(.*)$"), "ol": re.compile(r"^\s*\d+[.)]\s+(.*)$")}


def text_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Plain ``text`` as blocks to render escaped: paragraphs and simple lists.

    A blank line ends a block. A block whose first line starts with ``- `` (or ``1. ``) is
    a bulleted (numbered) list: each such line starts an item, other lines continue it.
    Any other block is one paragraph.
    """
    blocks: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        kind = next((kind for kind, item in _LIST_ITEM.items() if item.match(lines[0])), None)
        if kind is None:
            blocks.append(("p", [" ".join(lines)]))
            continue
        items: list[str] = []
        for line in lines:
            match = _LIST_ITEM[kind].match(line)
            if match:
                items.append(match.group(1))
            else:
                items[-1] = f"{items[-1]} {line}"
        blocks.append((kind, items))
    return blocks
