"""Searching the help center from its search box, in any of the site's languages."""

import pytest
from django.urls import reverse

from knowledge import services
from knowledge.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

URL = reverse("knowledge:search")


def _article(title, body, language="en", status=Article.Status.PUBLISHED):
    return services.article_create(title=title, body_html=body, language=language, status=status)


def _found(response) -> list[str]:
    return [article.title for article in response.context["page"].rows]


def test_it_finds_articles_by_a_word_of_the_title_or_body(client):
    _article("How do refunds work?", "<p>We refund the card you paid with.</p>")
    _article("Tracking your parcel", "<p>We email a tracking number.</p>")

    response = client.get(URL, {"q": "refund"})

    assert response.status_code == 200
    assert _found(response) == ["How do refunds work?"]
    assert reverse("knowledge:article", args=["en", "how-do-refunds-work"]) in response.text


def test_drafts_are_never_found(client):
    _article("Gift cards", "<p>Gift cards are coming soon.</p>", status=Article.Status.DRAFT)

    response = client.get(URL, {"q": "gift"})

    assert _found(response) == []
    assert "No articles match" in response.text


def test_a_persian_visitor_finds_persian_articles(client, in_language):
    _article("بازگشت وجه", "<p>مبلغ به همان کارتی که با آن پرداخت کرده‌اید بازگردانده می‌شود.</p>", language="fa")

    response = in_language("fa").get(URL, {"q": "بازگشت"})

    assert _found(response) == ["بازگشت وجه"]
    assert response.context["everywhere"] is False


def test_words_in_another_language_than_the_page_still_find_their_articles(client, in_language):
    _article("Downloading an invoice", "<p>Every order has a PDF invoice.</p>")
    _article("كم تستغرق مدة الشحن؟", "<p>ستصلك رسالة نصية برقم التتبع.</p>", language="ar")

    assert _found(in_language("fa").get(URL, {"q": "invoice"})) == ["Downloading an invoice"]
    response = in_language("en").get(URL, {"q": "الشحن"})
    assert _found(response) == ["كم تستغرق مدة الشحن؟"]
    assert response.context["everywhere"] is True


def test_an_empty_search_shows_just_the_box(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get(URL, {"q": "  "})

    assert response.status_code == 200
    assert 'name="q"' in response.text
    assert "No articles match" not in response.text


def test_the_query_is_shown_escaped(client):
    response = client.get(URL, {"q": "<script>alert(1)</script>"})

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


@pytest.mark.parametrize("articles", [1, 40])
def test_it_takes_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    ArticleFactory.create_batch(articles, body_text="Where is my parcel?", body_html="<p>Where is my parcel?</p>")

    # Anything in the page's language, then one page of results.
    with django_assert_max_num_queries(2):
        assert len(client.get(URL, {"q": "parcel"}).context["page"].rows) == min(articles, 20)
