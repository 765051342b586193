"""The public help center: anyone may read it, logged in or not.

Pages speak the visitor's language and list that language's articles, falling back to English
where there are none yet. Lists are paged without COUNT(*).
"""

from __future__ import annotations

from contextlib import suppress

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from knowledge.selectors import (
    article_get_published,
    article_search,
    articles_popular,
    articles_published,
    articles_related,
    categories_with_counts,
    category_get,
    help_language,
)
from knowledge.services import article_feedback, article_viewed
from tickets.html import html_sanitize
from tickets.selectors import page_fetch, page_number

PAGE_SIZE = 20
POPULAR = 8
RELATED = 5
MAX_QUERY_CHARS = 200
# Article ids this session answered "Did this answer your question?" for; the newest few hundred.
ANSWERED_SESSION_KEY = "knowledge_answered"
ANSWERED_KEPT = 300


def _answered(request: HttpRequest) -> list[int]:
    return request.session.get(ANSWERED_SESSION_KEY, [])


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    language = help_language(language=request.LANGUAGE_CODE)
    categories = [category for category in categories_with_counts(language=language) if category.article_count]
    context = {
        "categories": categories,
        "popular": articles_popular(language=language)[:POPULAR],
        "fallback": language != request.LANGUAGE_CODE,
    }
    return render(request, "knowledge/index.html", context)


@require_safe
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = category_get(slug=slug)
    language = help_language(language=request.LANGUAGE_CODE, category=category)
    articles = articles_published(language=language, category=category)
    page = page_fetch(articles, number=page_number(request.GET.get("page", "")), page_size=PAGE_SIZE)
    context = {"category": category, "page": page, "fallback": language != request.LANGUAGE_CODE}
    return render(request, "knowledge/category.html", context)


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:MAX_QUERY_CHARS]
    results = article_search(q=q, language=request.LANGUAGE_CODE)
    # Nothing in the page's language: the words may be in another one (an English term on a Persian page).
    everywhere = bool(q) and not results.exists()
    if everywhere:
        results = article_search(q=q)
    page = page_fetch(results, number=page_number(request.GET.get("page", "")), page_size=PAGE_SIZE)
    return render(request, "knowledge/search.html", {"q": q, "page": page, "everywhere": everywhere})


@require_safe
def article_detail(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    article = article_get_published(slug=slug, language=language)
    if request.method == "GET":
        article_viewed(article=article)
    # Sanitized when saved; cleaned again because this page is public and rows can also arrive
    # without the services (fixtures, SQL).
    body = mark_safe(html_sanitize(article.body_html))  # noqa: S308 - sanitized by nh3 on the line itself
    context = {
        "article": article,
        "body": body,
        "related": articles_related(article=article)[:RELATED],
        "answered": article.pk in _answered(request),
    }
    return render(request, "knowledge/article.html", context)


@require_POST
def feedback(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    """Count a Yes or No once per session and article; asking again just thanks again."""
    article = article_get_published(slug=slug, language=language)
    answer = request.POST.get("helpful", "")
    if answer not in ("yes", "no"):
        return HttpResponseBadRequest(_("Answer yes or no."))
    answered = _answered(request)
    if article.pk not in answered:
        with suppress(ValidationError):  # unpublished since it was loaded: nothing to count
            article_feedback(article=article, helpful=answer == "yes")
        request.session[ANSWERED_SESSION_KEY] = [*answered, article.pk][-ANSWERED_KEPT:]
    if request.htmx:
        return render(request, "knowledge/_feedback.html", {"article": article, "answered": True})
    # The article page itself says thank you once the session has answered.
    return redirect(article)
