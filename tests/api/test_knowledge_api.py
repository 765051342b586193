"""Help-center articles through the API: anyone reads what is published, managers write."""

from __future__ import annotations

import pytest

from knowledge.models import Article
from tests.api.conftest import TokenClient
from tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/articles/"


def test_anyone_reads_published_articles_and_no_drafts():
    published = ArticleFactory(title="Reset your password")
    draft = ArticleFactory(status=Article.Status.DRAFT)
    anonymous = TokenClient()

    rows = anonymous.get(URL).json()["results"]

    assert [row["id"] for row in rows] == [published.pk]
    assert rows[0]["url"].endswith(f"/help/articles/en/{published.slug}/")
    assert anonymous.get(f"{URL}{draft.pk}/").status_code == 404


def test_staff_see_drafts_too(api_agent):
    draft = ArticleFactory(status=Article.Status.DRAFT)

    assert api_agent.get(URL, {"status": "draft"}).json()["results"][0]["id"] == draft.pk


def test_articles_are_searched_and_filtered_by_language_and_category():
    category = CategoryFactory()
    persian = ArticleFactory(title="بازگرداندن وجه", body_text="مبلغ سفارش", language="fa", category=category)
    ArticleFactory(title="Shipping times", body_text="Three days")
    anonymous = TokenClient()

    assert [r["id"] for r in anonymous.get(URL, {"language": "fa"}).json()["results"]] == [persian.pk]
    assert [r["id"] for r in anonymous.get(URL, {"category": category.pk}).json()["results"]] == [persian.pk]
    assert [r["title"] for r in anonymous.get(URL, {"q": "shipping"}).json()["results"]] == ["Shipping times"]


def test_a_manager_writes_publishes_and_deletes_an_article(api_manager, api_agent):
    category = CategoryFactory()

    made = api_manager.post(
        URL,
        {"title": "Refunds", "body_html": "<p>Within 14 days</p><script>x()</script>", "category": category.pk},
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["status"], body["slug"], body["url"]) == ("draft", "refunds", None)
    assert "<script" not in body["body_html"]

    published = api_manager.patch(f"{URL}{body['id']}/", {"status": "published"})
    assert published.json()["published_at"] is not None
    assert api_agent.post(URL, {"title": "x", "body_html": "y"}).status_code == 403
    assert api_manager.delete(f"{URL}{body['id']}/").status_code == 204
    assert not Article.objects.exists()


def test_a_published_article_needs_a_body(api_manager):
    response = api_manager.post(URL, {"title": "Empty", "body_html": "", "status": "published"})

    assert response.status_code == 400
    assert response.json()["code"] == "empty_body"


def test_categories_are_listed_in_their_order():
    second, first = CategoryFactory(position=2), CategoryFactory(position=1)

    rows = TokenClient().get("/api/v1/article-categories/").json()["results"]

    assert [row["id"] for row in rows] == [first.pk, second.pk]
