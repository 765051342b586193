"""The help center's front page: topics with their article counts, popular articles, the search box."""

import pytest
from django.urls import reverse

from knowledge.models import Article
from tests.factories import ArticleFactory, CategoryFactory, PortalCustomerFactory

pytestmark = pytest.mark.django_db

URL = reverse("knowledge:index")


def test_anyone_may_open_it_without_logging_in(client):
    account = CategoryFactory(name="Your account")
    ArticleFactory.create_batch(2, category=account)
    ArticleFactory(title="Gift cards", category=account, status=Article.Status.DRAFT)

    response = client.get(URL)

    assert response.status_code == 200
    assert "Your account" in response.text
    assert "2 articles" in response.text
    assert "Gift cards" not in response.text
    assert 'name="q"' in response.text


def test_topics_without_published_articles_are_left_out(client):
    ArticleFactory(category=CategoryFactory(name="Billing"))
    ArticleFactory(category=CategoryFactory(name="Coming soon"), status=Article.Status.DRAFT)

    response = client.get(URL)

    assert [category.name for category in response.context["categories"]] == ["Billing"]


def test_popular_articles_are_the_most_read(client):
    ArticleFactory(title="Rarely read", view_count=3)
    ArticleFactory(title="Read a lot", view_count=900)

    response = client.get(URL)

    assert [article.title for article in response.context["popular"]] == ["Read a lot", "Rarely read"]


def test_a_persian_visitor_sees_the_persian_articles(client, in_language):
    ArticleFactory(title="How do I reset my password?")
    ArticleFactory(title="بازیابی رمز عبور", language="fa")

    response = in_language("fa").get(URL)

    assert "بازیابی رمز عبور" in response.text
    assert "How do I reset my password?" not in response.text
    assert 'dir="rtl"' in response.text
    assert response.context["fallback"] is False


def test_a_language_without_articles_falls_back_to_english(client, in_language):
    ArticleFactory(title="How do I reset my password?")

    response = in_language("ar").get(URL)

    assert "How do I reset my password?" in response.text
    assert response.context["fallback"] is True


def test_agents_and_customers_may_open_it_too(client, agent):
    ArticleFactory(title="Tracking your parcel")

    for user in (agent, PortalCustomerFactory().user):
        client.force_login(user)
        assert "Tracking your parcel" in client.get(URL).text


def test_the_top_navigation_links_to_the_help_center_for_everyone(client, agent):
    help_link = f'href="{URL}"'

    assert help_link in client.get(reverse("login")).text  # anonymous: the only link
    client.force_login(agent)
    assert help_link in client.get(reverse("tickets:list")).text


@pytest.mark.parametrize("articles_per_topic", [1, 12])
def test_it_takes_a_fixed_number_of_queries(client, articles_per_topic, django_assert_max_num_queries):
    for category in CategoryFactory.create_batch(4):
        ArticleFactory.create_batch(articles_per_topic, category=category)

    # The language check, the topics with their counts, the popular articles.
    with django_assert_max_num_queries(3):
        assert client.get(URL).status_code == 200
