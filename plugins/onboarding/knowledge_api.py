"""Knowledge and recommended actions in the API.

``/articles`` (CRUD), a task's related knowledge (``/tasks/<id>/articles``: list, attach,
detach) and its recommended actions (``/tasks/<id>/recommended-actions``: list, walk a
decision tree, apply a field recommendation). Everything the task page does goes through
here too.
"""

from __future__ import annotations

from onward import add_resource, db, dump, get_or_404, reference
from onward.plugins.onboarding import knowledge_services as services
from onward.plugins.onboarding import recommendations
from onward.plugins.onboarding import schemas as task_schemas
from onward.plugins.onboarding.api import blueprint
from onward.plugins.onboarding.knowledge import ARTICLES, OnboardingArticle
from onward.plugins.onboarding.knowledge_schemas import (
    AttachArticleSchema,
    CardSchema,
    OnboardingArticleCreateSchema,
    OnboardingArticleSchema,
    OnboardingArticleUpdateSchema,
    StepSchema,
    WalkArgsSchema,
)
from onward.plugins.onboarding.models import CaseTask

add_resource(blueprint, "/articles", OnboardingArticle, OnboardingArticleSchema, ARTICLES,
             create=(OnboardingArticleCreateSchema, services.create_article),
             update=(OnboardingArticleUpdateSchema, services.update_article),
             delete=services.delete_article)

_article = OnboardingArticleSchema()
_task = task_schemas.OnboardingTaskSchema()
TASK = "/tasks/<int:task_id>"


@blueprint.route(f"{TASK}/articles", methods=["GET"], endpoint="task_articles_list")
@blueprint.doc(summary="List a task's related knowledge",
               description="The attached articles the caller may read, by number; not paged.")
def task_articles(task_id: int):
    """The task's related knowledge."""
    task = get_or_404(CaseTask, task_id)
    return {"items": [dump(_article, article) for article in services.related(task)]}


@blueprint.route(f"{TASK}/articles", methods=["POST"], endpoint="task_articles_attach")
@blueprint.arguments(AttachArticleSchema)
@blueprint.doc(summary="Attach an article to a task",
               description="Answers 201 with the article; 409 if it is attached already.")
def attach_article(data: dict, task_id: int):
    """Attach an article the caller reads to a task it may write."""
    task = get_or_404(CaseTask, task_id)
    article = reference(OnboardingArticle, data["article_id"], "article_id")
    services.attach(task, article)
    db.session.commit()
    return dump(_article, article), 201


@blueprint.route(f"{TASK}/articles/<int:article_id>", methods=["DELETE"],
                 endpoint="task_articles_detach")
@blueprint.doc(summary="Detach an article from a task", description="Answers 204.")
def detach_article(task_id: int, article_id: int):
    """Take an article off a task's related knowledge."""
    task = get_or_404(CaseTask, task_id)
    services.detach(task, get_or_404(OnboardingArticle, article_id))
    db.session.commit()
    return "", 204


@blueprint.route(f"{TASK}/recommended-actions", methods=["GET"],
                 endpoint="task_actions_list")
@blueprint.doc(summary="List a task's recommended actions",
               description="Guidance, decision trees (with their first question) and field "
                           "recommendations (with the user recommended); staff only.")
def task_actions(task_id: int):
    """The recommended actions of a task."""
    task = get_or_404(CaseTask, task_id)
    return {"items": CardSchema(many=True).dump(recommendations.cards(task))}


@blueprint.route(f"{TASK}/recommended-actions/<key>/walk", methods=["GET"],
                 endpoint="task_actions_walk")
@blueprint.arguments(WalkArgsSchema, location="query", as_kwargs=True)
@blueprint.doc(summary="Walk a decision tree",
               description="Give the answers so far (option keys) as repeated `answer` "
                           "arguments; answers the next question, or the advice that ends "
                           "the walk. An answer that is no option is refused (422).")
def walk_tree(task_id: int, key: str, answer: list[str]):
    """The next question of a task's decision tree, or its advice."""
    task = get_or_404(CaseTask, task_id)
    return StepSchema().dump(recommendations.walk(task, key, answer))


@blueprint.route(f"{TASK}/recommended-actions/<key>/apply", methods=["POST"],
                 endpoint="task_actions_apply")
@blueprint.doc(summary="Apply a field recommendation",
               description="Sets the task's field to the recommended user and answers the "
                           "task; 409 when nobody is recommended or it is set already.")
def apply_recommendation(task_id: int, key: str):
    """Apply a field recommendation to a task."""
    task = get_or_404(CaseTask, task_id)
    recommendations.apply(task, key)
    db.session.commit()
    return dump(_task, task)
