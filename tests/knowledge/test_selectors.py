"""Reading the help center: only published articles, and search in English, Persian and Arabic.

Runs on whatever DATABASE_URL names: full-text search on PostgreSQL, substring match on SQLite.
"""

import pytest
from django.http import Http404

from knowledge import selectors, services
from knowledge.models import Article
from tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

Status = Article.Status


def _article(title, body, language="en", status=Status.PUBLISHED, **kwargs) -> Article:
    return services.article_create(title=title, body_html=body, language=language, status=status, **kwargs)


@pytest.fixture
def library():
    return {
        "password": _article("How do I reset my password?", "<p>Click <b>Forgot your password?</b></p>"),
        "shipping": _article("How long does shipping take?", "<p>Orders leave the warehouse the same day.</p>"),
        "refund": _article("How do refunds work?", "<p>We refund the card you paid with.</p>"),
        "fa_password": _article(
            "چطور رمز عبورم را بازنشانی کنم؟", "<p>روی «رمز عبور را فراموش کرده‌اید؟» بزنید.</p>", language="fa"
        ),
        "fa_refund": _article(
            "بازگشت وجه", "<p>مبلغ به همان کارتی که با آن پرداخت کرده‌اید بازگردانده می‌شود.</p>", language="fa"
        ),
        "ar_shipping": _article("كم تستغرق مدة الشحن؟", "<p>ستصلك رسالة نصية برقم التتبع.</p>", language="ar"),
        "draft": _article("Password rules (draft)", "<p>Rules we have not agreed on.</p>", status=Status.DRAFT),
    }


def _titles(articles) -> list[str]:
    return [article.title for article in articles]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("password", ["How do I reset my password?"]),
        ("PASSWORD reset", ["How do I reset my password?"]),
        ("passw", ["How do I reset my password?"]),  # the start of a word finds it
        ("warehouse", ["How long does shipping take?"]),  # a word of the body
        ("رمز عبور", ["چطور رمز عبورم را بازنشانی کنم؟"]),
        ("کارتی", ["بازگشت وجه"]),
        ("الشحن", ["كم تستغرق مدة الشحن؟"]),
        ("التتبع", ["كم تستغرق مدة الشحن؟"]),
    ],
)
def test_search_finds_english_persian_and_arabic_words(library, q, expected):
    assert _titles(selectors.article_search(q=q)) == expected


def test_search_needs_every_word(library):
    assert _titles(selectors.article_search(q="password shipping")) == []


def test_search_within_one_language(library):
    assert _titles(selectors.article_search(q="رمز", language="fa")) == ["چطور رمز عبورم را بازنشانی کنم؟"]
    assert _titles(selectors.article_search(q="رمز", language="ar")) == []


def test_a_title_hit_ranks_above_a_body_hit():
    body_hit = _article("Closing your account", "<p>Invoices are kept for seven years.</p>")
    title_hit = _article("Downloading an invoice", "<p>Every order has a PDF.</p>")

    assert list(selectors.article_search(q="invoice")) == [title_hit, body_hit]


@pytest.mark.parametrize("q", ["", "   ", "?!", "& | !"])
def test_a_query_without_words_finds_nothing(library, q):
    assert list(selectors.article_search(q=q)) == []


def test_search_is_safe_with_tsquery_operators(library):
    assert _titles(selectors.article_search(q="password:* | ( ! &")) == ["How do I reset my password?"]


def test_drafts_never_appear(library):
    draft = library["draft"]

    assert draft not in selectors.article_search(q="password")
    assert draft not in selectors.articles_published()
    assert draft not in selectors.articles_popular()
    with pytest.raises(Http404):
        selectors.article_get_published(slug=draft.slug, language="en")


def test_published_articles_of_a_language_and_category_latest_first():
    billing = CategoryFactory(name="Billing")
    older = ArticleFactory(category=billing)
    newer = ArticleFactory(category=billing)
    ArticleFactory(category=billing, language="fa")
    ArticleFactory(category=CategoryFactory())
    services.article_update(article=older, title="Changed just now")

    assert list(selectors.articles_published(language="en", category=billing)) == [older, newer]


def test_an_article_is_found_by_language_and_slug(library):
    article = library["fa_password"]

    assert selectors.article_get_published(slug=article.slug, language="fa") == article
    with pytest.raises(Http404):
        selectors.article_get_published(slug=article.slug, language="en")


def test_categories_count_their_published_articles_of_a_language():
    account, billing, empty = CategoryFactory(position=1), CategoryFactory(position=2), CategoryFactory(position=3)
    ArticleFactory.create_batch(2, category=account)
    ArticleFactory(category=account, language="fa")
    ArticleFactory(category=billing, status=Status.DRAFT)

    counts = {c: c.article_count for c in selectors.categories_with_counts(language="en")}
    everywhere = {c: c.article_count for c in selectors.categories_with_counts()}

    assert list(counts) == [account, billing, empty]
    assert counts == {account: 2, billing: 0, empty: 0}
    assert everywhere[account] == 3


def test_the_help_language_falls_back_to_english_where_a_language_has_nothing():
    account, billing = CategoryFactory(), CategoryFactory()
    ArticleFactory(category=account, language="fa")
    ArticleFactory(category=billing)

    assert selectors.help_language(language="fa") == "fa"
    assert selectors.help_language(language="fa", category=account) == "fa"
    assert selectors.help_language(language="fa", category=billing) == "en"
    assert selectors.help_language(language="ar") == "en"


def test_each_selector_is_one_query_whatever_the_number_of_rows(django_assert_num_queries):
    category = CategoryFactory()
    ArticleFactory.create_batch(15, category=category, body_text="Where is my parcel?")

    with django_assert_num_queries(1):
        list(selectors.article_search(q="parcel"))
    with django_assert_num_queries(1):
        [a.category.name for a in selectors.articles_published(language="en")]
    with django_assert_num_queries(1):
        [c.article_count for c in selectors.categories_with_counts(language="en")]
