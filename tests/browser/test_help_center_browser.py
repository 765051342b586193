"""A visitor finds an answer in the help center without logging in, in a real browser."""

import pytest

from knowledge import services
from knowledge.models import Article
from tests.browser.conftest import SCREENSHOTS
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_searches_opens_the_article_and_says_it_helped(page):
    account = CategoryFactory(name="Your account", slug="account")
    article = services.article_create(
        title="How do I reset my password?",
        body_html="<p>Click <strong>Forgot your password?</strong> on the sign-in page.</p>",
        language="en",
        category=account,
        status=Article.Status.PUBLISHED,
    )
    services.article_create(
        title="How long does shipping take?",
        body_html="<p>Orders leave the warehouse the same day.</p>",
        language="en",
        category=account,
        status=Article.Status.PUBLISHED,
    )

    page.goto("/help/")
    page.get_by_label("Search the help center").fill("password")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/help/search/?q=password")
    assert page.get_by_role("link", name="How long does shipping take?").count() == 0

    page.get_by_role("link", name="How do I reset my password?").click()
    page.wait_for_url(f"**{article.get_absolute_url()}")
    assert page.get_by_role("heading", name="How do I reset my password?").is_visible()
    page.get_by_role("button", name="Yes").click()

    page.get_by_text("Thank you for your feedback.").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-help-center-en.png"), full_page=True)
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count, article.view_count) == (1, 0, 1)

    page.reload()  # the same session is thanked, not asked again
    assert page.get_by_text("Thank you for your feedback.").is_visible()
    assert page.get_by_role("button", name="Yes").count() == 0
    article.refresh_from_db()
    assert article.helpful_count == 1
