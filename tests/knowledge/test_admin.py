"""The help center in the Django admin: every write goes through knowledge.services."""

import pytest
from django.urls import reverse

from knowledge.models import Article
from tests.factories import AdminFactory, ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:knowledge_article_add")
LIST_URL = reverse("admin:knowledge_article_changelist")


@pytest.fixture
def admin_user():
    return AdminFactory()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _form(**fields) -> dict:
    return {
        "title": "How do refunds work?",
        "slug": "",
        "language": "en",
        "status": "draft",
        "category": "",
        "author": "",
        "body_html": "<p>We refund the card you paid with.</p>",
        **fields,
    }


def test_the_lists_filters_and_pages_open(admin_client):
    article = ArticleFactory()

    assert admin_client.get(LIST_URL, {"status": "published", "language": "en", "q": "help"}).status_code == 200
    assert admin_client.get(reverse("admin:knowledge_article_change", args=[article.pk])).status_code == 200
    assert admin_client.get(reverse("admin:knowledge_category_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:knowledge_category_change", args=[article.category.pk])).status_code == 200


def test_adding_an_article_sanitizes_it_makes_the_slug_and_records_the_author(admin_client, admin_user):
    response = admin_client.post(ADD_URL, _form(body_html='<p onclick="x()">We refund.</p><script>x()</script>'))

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.slug == "how-do-refunds-work"
    assert article.body_html == "<p>We refund.</p>"
    assert article.body_text == "We refund."
    assert article.author == admin_user


def test_publishing_in_the_form_stamps_published_at(admin_client):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, category=CategoryFactory())

    response = admin_client.post(
        reverse("admin:knowledge_article_change", args=[article.pk]),
        _form(title=article.title, slug=article.slug, status="published", category=article.category.pk),
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at is not None


def test_an_empty_article_cannot_be_published(admin_client):
    response = admin_client.post(ADD_URL, _form(status="published", body_html="<script>x()</script>"))

    assert response.status_code == 200
    assert "A published article needs a body." in response.text
    assert not Article.objects.exists()


def test_the_publish_action_goes_through_the_services(admin_client):
    drafts = ArticleFactory.create_batch(2, status=Article.Status.DRAFT, published_at=None)

    admin_client.post(LIST_URL, {"action": "publish", "_selected_action": [a.pk for a in drafts]})

    assert set(Article.objects.values_list("status", flat=True)) == {Article.Status.PUBLISHED}
    assert not Article.objects.filter(published_at__isnull=True).exists()
