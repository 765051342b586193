"""An article's page: public, published only, safe HTML, and the "Did this answer your question?" question."""

import pytest
from django.test import Client
from django.urls import reverse

from knowledge import services
from knowledge.models import Article
from tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def _url(article) -> str:
    return reverse("knowledge:article", args=[article.language, article.slug])


def _feedback_url(article) -> str:
    return reverse("knowledge:feedback", args=[article.language, article.slug])


@pytest.fixture
def article():
    return services.article_create(
        title="How do I reset my password?",
        body_html="<p>Click <strong>Forgot your password?</strong> on the sign-in page.</p>",
        language="en",
        category=CategoryFactory(name="Your account"),
        status=Article.Status.PUBLISHED,
    )


def test_anyone_may_read_a_published_article(client, article):
    response = client.get(_url(article))

    assert response.status_code == 200
    assert "How do I reset my password?" in response.text
    assert "<strong>Forgot your password?</strong>" in response.text
    assert "Your account" in response.text
    assert "Did this answer your question?" in response.text


def test_reading_counts_a_view(client, article):
    client.get(_url(article))
    client.get(_url(article))

    article.refresh_from_db()
    assert article.view_count == 2


def test_a_draft_is_404(client, article):
    services.article_unpublish(article=article)

    assert client.get(_url(article)).status_code == 404
    assert client.post(_feedback_url(article), {"helpful": "yes"}).status_code == 404


@pytest.mark.parametrize("args", [("en", "no-such-article"), ("de", "how-do-i-reset-my-password")])
def test_an_unknown_address_is_404(client, article, args):
    assert client.get(reverse("knowledge:article", args=args)).status_code == 404


def test_a_persian_article_reads_right_to_left_even_on_an_english_page(client):
    article = ArticleFactory(title="بازیابی رمز عبور", slug="بازیابی-رمز-عبور", language="fa")

    response = client.get(_url(article))

    assert response.status_code == 200
    assert 'lang="fa" dir="rtl"' in response.text


def test_html_that_reached_the_table_without_the_services_is_still_cleaned(client):
    article = ArticleFactory(body_html='<p>Hi</p><script>alert(1)</script><img src="x" onerror="alert(2)">')

    page = client.get(_url(article)).text

    assert "alert" not in page.split('<div class="kb-body">')[1]


def test_related_articles_are_the_topics_others(client, article):
    ArticleFactory(title="Turning on two-step verification", category=article.category)
    ArticleFactory(title="Tracking your parcel", category=CategoryFactory())

    response = client.get(_url(article))

    assert [a.title for a in response.context["related"]] == ["Turning on two-step verification"]


def test_yes_is_counted_once_per_session(client, article):
    first = client.post(_feedback_url(article), {"helpful": "yes"})
    client.post(_feedback_url(article), {"helpful": "yes"})
    client.post(_feedback_url(article), {"helpful": "no"})
    Client().post(_feedback_url(article), {"helpful": "no"})  # another visitor

    assert first.status_code == 302
    assert first.url == _url(article)
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)


def test_once_answered_the_page_thanks_instead_of_asking(client, article):
    client.post(_feedback_url(article), {"helpful": "no"})

    page = client.get(_url(article)).text

    assert "Thank you for your feedback." in page
    assert "Did this answer your question?" not in page


def test_htmx_gets_just_the_thanks(client, article):
    response = client.post(_feedback_url(article), {"helpful": "yes"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Thank you for your feedback." in response.text
    assert "<html" not in response.text


def test_feedback_needs_the_csrf_token(article):
    client = Client(enforce_csrf_checks=True)

    assert client.post(_feedback_url(article), {"helpful": "yes"}).status_code == 403
    article.refresh_from_db()
    assert article.helpful_count == 0


def test_feedback_is_yes_or_no_and_only_posted(client, article):
    assert client.post(_feedback_url(article), {"helpful": "maybe"}).status_code == 400
    assert client.get(_feedback_url(article)).status_code == 405


def test_it_takes_a_fixed_number_of_queries(client, article, django_assert_max_num_queries):
    ArticleFactory.create_batch(10, category=article.category)

    # The article, its view count, the related articles.
    with django_assert_max_num_queries(3):
        assert client.get(_url(article)).status_code == 200
