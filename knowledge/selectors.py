"""Reading the help center. Only published articles leave this module; each function is one query.

Words are searched in the title and the body: full-text on PostgreSQL (knowledge/search.py),
a case-insensitive substring match elsewhere (SQLite), as the ticket search does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from knowledge.models import Article, Category
from knowledge.search import ArticleTextMatch, ArticleTextRank
from tickets.search import search_terms, search_words

Status = Article.Status


def _published() -> QuerySet[Article]:
    return Article.objects.filter(status=Status.PUBLISHED).select_related("category")


def articles_published(*, language: str | None = None, category: Category | None = None) -> QuerySet[Article]:
    """Published articles, latest change first; of one language and one category when given."""
    articles = _published()
    if language is not None:
        articles = articles.filter(language=language)
    if category is not None:
        articles = articles.filter(category=category)
    # Plain DESC with the id last, so the (status, language, -updated_at) index serves it and pages never overlap.
    return articles.order_by(F("updated_at").desc(), F("id").desc())


def articles_popular(*, language: str | None = None) -> QuerySet[Article]:
    """Published articles, most read first; slice it."""
    return articles_published(language=language).order_by("-view_count", "-id")


def articles_related(*, article: Article) -> QuerySet[Article]:
    """The other published articles of the article's category and language; none without a category."""
    if article.category_id is None:
        return Article.objects.none()
    return articles_published(language=article.language, category=article.category).exclude(pk=article.pk)


def article_search(*, q: str, language: str | None = None) -> QuerySet[Article]:
    """Published articles holding every word of `q` (a word may be the start of one), best match first.

    Nothing for a `q` without words. On PostgreSQL the rank weighs title hits over body hits;
    elsewhere articles with every word in the title come first.
    """
    if not search_words(q):
        return Article.objects.none()
    articles = _published()
    if language is not None:
        articles = articles.filter(language=language)
    if connection.vendor == "postgresql":
        prefixes, plain = search_terms(q)
        return (
            articles.filter(ArticleTextMatch(prefixes=prefixes, plain=plain))
            .annotate(rank=ArticleTextRank(prefixes=prefixes, plain=plain))
            .order_by("-rank", "-updated_at", "-id")
        )
    everywhere, in_title = Q(), Q()
    for word in search_words(q):
        everywhere &= Q(title__icontains=word) | Q(body_text__icontains=word)
        in_title &= Q(title__icontains=word)
    return (
        articles.filter(everywhere)
        .annotate(rank=Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-rank", "-updated_at", "-id")
    )


def article_get_published(*, slug: str, language: str) -> Article:
    """The published article at this address, or Http404 (also for drafts: they do not exist yet)."""
    article = _published().filter(language=language, slug=slug).first()
    if article is None:
        raise Http404(_("No such article."))
    return article


def category_get(*, slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise Http404(_("No such category."))
    return category


def categories_with_counts(*, language: str | None = None) -> QuerySet[Category]:
    """Every category in its order, each with `article_count`: its published articles (of `language`)."""
    published = Q(articles__status=Status.PUBLISHED)
    if language is not None:
        published &= Q(articles__language=language)
    return Category.objects.annotate(article_count=Count("articles", filter=published)).order_by("position", "name")


def help_language(*, language: str, category: Category | None = None) -> str:
    """The language to show articles in: the page's when it has published ones (in `category`), else
    the site's default language (English), so a visitor never lands on an empty help center."""
    fallback = settings.LANGUAGE_CODE
    if language == fallback or articles_published(language=language, category=category).exists():
        return language
    return fallback
