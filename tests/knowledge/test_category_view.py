"""A topic's page: its published articles in the visitor's language, a page at a time."""

import pytest
from django.urls import reverse

from knowledge.models import Article
from knowledge.views import PAGE_SIZE
from tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def _url(category) -> str:
    return reverse("knowledge:category", args=[category.slug])


def test_it_lists_the_published_articles_of_the_topic(client):
    billing = CategoryFactory(name="Billing and refunds", description="Invoices and refunds.")
    ArticleFactory(title="How do refunds work?", category=billing)
    ArticleFactory(title="Gift cards", category=billing, status=Article.Status.DRAFT)
    ArticleFactory(title="Tracking your parcel", category=CategoryFactory())

    response = client.get(_url(billing))

    assert response.status_code == 200
    assert "Billing and refunds" in response.text
    assert "How do refunds work?" in response.text
    assert "Gift cards" not in response.text
    assert "Tracking your parcel" not in response.text


def test_an_unknown_topic_is_404(client):
    assert client.get(reverse("knowledge:category", args=["no-such-topic"])).status_code == 404


def test_a_unicode_slug_works(client):
    category = CategoryFactory(name="حساب کاربری", slug="حساب-کاربری")
    ArticleFactory(title="Signing in", category=category)

    assert "Signing in" in client.get(_url(category)).text


def test_it_falls_back_to_english_where_the_topic_has_nothing_in_the_visitors_language(client, in_language):
    billing, account = CategoryFactory(), CategoryFactory()
    ArticleFactory(title="How do refunds work?", category=billing)
    ArticleFactory(title="چطور رمز عبورم را بازنشانی کنم؟", category=account, language="fa")
    ArticleFactory(title="How do I reset my password?", category=account)
    client = in_language("fa")

    assert "How do refunds work?" in client.get(_url(billing)).text
    persian = client.get(_url(account)).text
    assert "چطور رمز عبورم را بازنشانی کنم؟" in persian
    assert "How do I reset my password?" not in persian


def test_pages_follow_each_other_without_counting_every_row(client, django_assert_max_num_queries):
    category = CategoryFactory()
    ArticleFactory.create_batch(PAGE_SIZE + 3, category=category)

    first = client.get(_url(category))
    second = client.get(_url(category), {"page": "2"})

    assert len(first.context["page"].rows) == PAGE_SIZE
    assert first.context["page"].has_next
    assert len(second.context["page"].rows) == 3
    assert not second.context["page"].has_next
    assert not {a.pk for a in first.context["page"].rows} & {a.pk for a in second.context["page"].rows}
    with django_assert_max_num_queries(3) as captured:
        client.get(_url(category), {"page": "2"})
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize("articles", [1, 40])
def test_it_takes_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    category = CategoryFactory()
    ArticleFactory.create_batch(articles, category=category)

    # The topic, the language check, one page of articles.
    with django_assert_max_num_queries(3):
        assert client.get(_url(category)).status_code == 200
