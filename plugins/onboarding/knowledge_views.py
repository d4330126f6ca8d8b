"""Knowledge pages of the onboarding workspace, and a task's knowledge panel.

The knowledge base (list, article page, form), a task's *Related knowledge* (attach,
detach) and its recommended actions (cards; a decision tree walked with GET links, a field
recommendation applied with one POST). The task page includes ``_task_knowledge.html``,
which calls :func:`task_knowledge` for what it shows.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from onward import (
    can,
    choices,
    form_status,
    get_or_404,
    list_page,
    post_action,
    record_history,
    submit_form,
)
from onward.plugins.onboarding import knowledge_services as services
from onward.plugins.onboarding import recommendations
from onward.plugins.onboarding.forms import changes, optional_id, options
from onward.plugins.onboarding.knowledge import ARTICLES, OnboardingArticle
from onward.plugins.onboarding.models import TASK_TYPES, CaseTask
from onward.plugins.onboarding.views import blueprint


class ArticleForm(FlaskForm):
    """An article's title, body and who may read it."""

    title = StringField("Title", validators=[
        DataRequired(message="Give the article a title."), Length(max=200)])
    body = TextAreaField("Body")
    customer_readable = BooleanField("Customers may read it")
    cannot_read = SelectMultipleField("Cannot read")
    task_type = SelectField("Attach to new tasks of type", coerce=lambda v: v or None)
    subject_pattern = StringField("… whose subject matches", validators=[Length(max=160)])

    def __init__(self, article: OnboardingArticle | None = None, **kwargs: Any) -> None:
        super().__init__(obj=article, **kwargs)
        self.task_type.choices = [("", "No type"), *options(TASK_TYPES)]
        self.cannot_read.choices = list(services.restrictable_roles().items())
        if article is not None and not self.is_submitted():
            self.cannot_read.data = article.cannot_read_names

    def values(self, article: OnboardingArticle | None = None) -> dict[str, Any]:
        """The fields to write: all for a new article, the changed ones for ``article``."""
        data = {name: f.data for name, f in self._fields.items() if name != "csrf_token"}
        if article is None:
            return data
        found = changes(self, article)
        found.pop("cannot_read", None)
        if sorted(data["cannot_read"]) != sorted(article.cannot_read_names):
            found["cannot_read"] = data["cannot_read"]
        return found


class AttachForm(FlaskForm):
    """Pick an article to attach to a task."""

    article_id = SelectField("Article", coerce=optional_id, validators=[
        DataRequired(message="Choose an article.")])


# --- the knowledge base -----------------------------------------------------------------


@blueprint.route("/articles", endpoint="articles")
def article_list():
    """The knowledge base: the articles the user may read; search, sort, filter."""
    filters = [("task_type", "Task type", [("", "Any task type"), *TASK_TYPES.items()])]
    return list_page(OnboardingArticle, ARTICLES, "onboarding/articles.html", filters=filters,
                     task_types=TASK_TYPES)


def _article_page(form: ArticleForm, article: OnboardingArticle | None = None):
    return render_template("onboarding/article.html", article=article, form=form,
                           article_model=OnboardingArticle,
                           history=record_history(article) if article else None), \
        form_status(form)


def _saved(article: OnboardingArticle):
    flash(f"{article.number} is saved.", "success")
    return redirect(url_for("onboarding.article", article_id=article.id))


@blueprint.route("/articles/new", methods=["GET", "POST"], endpoint="article_new")
def article_new():
    """Write a new article for the knowledge base of the user's domain."""
    form = ArticleForm()
    return submit_form(form, lambda: services.create_article(form.values()), done=_saved,
                       show=lambda: _article_page(form))


@blueprint.route("/articles/<int:article_id>", methods=["GET", "POST"], endpoint="article")
def article_page(article_id: int):
    """An article: its body as paragraphs, and its form for those who may change it."""
    article = get_or_404(OnboardingArticle, article_id)
    form = ArticleForm(article)
    return submit_form(form, lambda: services.update_article(article, form.values(article)),
                       done=_saved, show=lambda: _article_page(form, article))


@blueprint.route("/articles/<int:article_id>/delete", methods=["POST"],
                 endpoint="article_delete")
def article_delete(article_id: int):
    """Delete an article (its links to tasks go with it)."""
    article = get_or_404(OnboardingArticle, article_id)
    return post_action(lambda: services.delete_article(article),
                       message=f"{article.number} is deleted.",
                       back=url_for("onboarding.article", article_id=article_id),
                       to=url_for("onboarding.articles"))


# --- a task's knowledge panel -----------------------------------------------------------


@blueprint.app_template_global()
def task_knowledge(task: CaseTask) -> dict[str, Any]:
    """What a task page's knowledge panel shows: related articles, action cards, a picker."""
    related = services.related(task)
    form = None
    if can("write", task):
        attached = {article.id for article in related}
        form = AttachForm()
        form.article_id.choices = choices(
            OnboardingArticle, order_by=OnboardingArticle.number, blank="Choose an article",
            where=[OnboardingArticle.domain_id.in_(services.domain_chain(task.domain_id)),
                   OnboardingArticle.id.not_in(attached or [0])])
    return {"articles": related, "cards": recommendations.cards(task), "attach": form,
            "kinds": recommendations.KINDS}


def _task_url(task_id: int) -> str:
    return url_for("onboarding.task", task_id=task_id) + "#related-knowledge"


@blueprint.route("/tasks/<int:task_id>/articles", methods=["POST"],
                 endpoint="task_article_attach")
def task_article_attach(task_id: int):
    """Attach the chosen article to the task."""
    task = get_or_404(CaseTask, task_id)
    article = get_or_404(OnboardingArticle, request.form.get("article_id"))
    return post_action(lambda: services.attach(task, article),
                       message=f"{article.number} is attached.", back=_task_url(task_id))


@blueprint.route("/tasks/<int:task_id>/articles/<int:article_id>/detach", methods=["POST"],
                 endpoint="task_article_detach")
def task_article_detach(task_id: int, article_id: int):
    """Take an article off the task's related knowledge."""
    task = get_or_404(CaseTask, task_id)
    article = get_or_404(OnboardingArticle, article_id)
    return post_action(lambda: services.detach(task, article),
                       message=f"{article.number} is detached.", back=_task_url(task_id))


@blueprint.route("/tasks/<int:task_id>/troubleshoot/<key>", endpoint="task_tree")
def task_tree(task_id: int, key: str):
    """Walk a decision tree of the task: the answers so far are ``answer`` arguments."""
    task = get_or_404(CaseTask, task_id)
    step = recommendations.walk(task, key, request.args.getlist("answer"))
    return render_template("onboarding/task_tree.html", task=task, step=step)


@blueprint.route("/tasks/<int:task_id>/recommendations/<key>/apply", methods=["POST"],
                 endpoint="task_recommendation_apply")
def task_recommendation_apply(task_id: int, key: str):
    """Apply a field recommendation to the task."""
    task = get_or_404(CaseTask, task_id)
    back = url_for("onboarding.task", task_id=task_id)
    return post_action(lambda: recommendations.apply(task, key),
                       message="The recommendation is applied.", back=back)
