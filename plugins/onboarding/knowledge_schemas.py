"""How knowledge articles and recommended actions look in the JSON API."""

import marshmallow as ma
from marshmallow import fields, validate

from onward.plugins.onboarding.models import TASK_TYPES


class OnboardingArticleSchema(ma.Schema):
    """A knowledge article (customers read its number, title and body)."""

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    domain_id = fields.Integer(dump_only=True)
    title = fields.String(validate=validate.Length(min=1, max=200))
    body = fields.String(metadata={"description": "plain text; blank lines part paragraphs"})
    customer_readable = fields.Boolean(
        metadata={"description": "customers may read it once shared through a task"})
    task_type = fields.String(allow_none=True, validate=validate.OneOf(list(TASK_TYPES)),
                              metadata={"description": "new tasks of this type get it"})
    subject_pattern = fields.String(
        validate=validate.Length(max=160),
        metadata={"description": "new tasks whose subject matches get it (`*` wildcards)"})
    cannot_read = fields.List(fields.String(), attribute="cannot_read_names",
                              metadata={"description": "names of the roles that may not read it"})
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class OnboardingArticleCreateSchema(OnboardingArticleSchema):
    """A new article: the title is required; ``domain_id`` defaults to the actor's."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    domain_id = fields.Integer()
    cannot_read = fields.List(fields.String())


class OnboardingArticleUpdateSchema(OnboardingArticleSchema):
    """The fields of an article to change."""

    cannot_read = fields.List(fields.String())


class AttachArticleSchema(ma.Schema):
    """The article to attach to a task."""

    article_id = fields.Integer(required=True)


class ArticleRefSchema(ma.Schema):
    """An article an action points to."""

    id = fields.Integer()
    number = fields.String()
    title = fields.String()


class UserRefSchema(ma.Schema):
    """A user an action recommends."""

    id = fields.Integer()
    name = fields.Function(lambda user: user.name or user.email)


class OptionSchema(ma.Schema):
    """One answer to a decision tree's question."""

    key = fields.String()
    label = fields.String()


class StepSchema(ma.Schema):
    """Where a decision tree stands after the answers given."""

    key = fields.Function(lambda step: step.action.key)
    title = fields.Function(lambda step: step.action.title)
    answers = fields.List(fields.String())
    trail = fields.Function(lambda step: [{"question": q, "answer": a} for q, a in step.trail],
                            metadata={"description": "each question answered and its answer"})
    question = fields.String(allow_none=True)
    options = fields.Function(lambda step: [{"key": k, "label": label}
                                            for k, label in step.options])
    advice = fields.String(allow_none=True)
    article = fields.Nested(ArticleRefSchema, allow_none=True)
    done = fields.Boolean(metadata={"description": "advice reached: end troubleshooting"})


class WalkArgsSchema(ma.Schema):
    """The answers so far, one ``answer`` query argument each, in order."""

    answer = fields.List(fields.String(), load_default=list)


class CardSchema(ma.Schema):
    """A recommended action of a task, as its side panel shows it."""

    key = fields.Function(lambda card: card.action.key)
    kind = fields.Function(lambda card: card.action.kind,
                           metadata={"description": "guidance, decision_tree or field"})
    title = fields.Function(lambda card: card.action.title)
    text = fields.Function(lambda card: card.action.data.get("text"))
    article = fields.Nested(ArticleRefSchema, allow_none=True)
    field = fields.Function(lambda card: card.action.data.get("field"),
                            metadata={"description": "field: the task field it fills"})
    user = fields.Nested(UserRefSchema, allow_none=True,
                         metadata={"description": "field: the user recommended"})
    applied = fields.Boolean()
    step = fields.Nested(StepSchema, allow_none=True,
                         metadata={"description": "decision tree: its first question"})
