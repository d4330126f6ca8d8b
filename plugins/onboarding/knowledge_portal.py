"""The portal's article page: an article shared with the customer, as plain paragraphs.

A customer reaches only the customer-readable articles attached to a task of its account
that is visible to customers, and none its roles are shut out of (see ``roles.py``);
any other article answers 404.
"""

from __future__ import annotations

from flask import render_template

from onward import get_or_404
from onward.plugins.onboarding.knowledge import OnboardingArticle, text_blocks
from onward.plugins.onboarding.portal import blueprint, visible


@blueprint.route("/articles/<int:article_id>", endpoint="article")
def portal_article(article_id: int):
    """An article the user may read: its number, title and body."""
    article = visible(get_or_404(OnboardingArticle, article_id))
    return render_template("onboarding/portal_article.html", article=article,
                           blocks=text_blocks(article.get("body", "")))
