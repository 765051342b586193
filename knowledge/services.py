"""Writing the help center: the only code that creates and changes articles.

The admin, the help center pages, commands and the REST API call these functions. Each takes
plain values (never a request), validates them, raising ValidationError with a `code`, and is
atomic. Article HTML is sanitized here, so a body is safe wherever it is shown; the plain-text
copy that search reads is derived here too.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from channels_intake.email.html_text import html_to_text
from knowledge.models import Article, Category
from tickets.html import html_sanitize

Status = Article.Status

# What article_update may change; counters and dates are the services' own business.
UPDATABLE_FIELDS = frozenset({"title", "slug", "body_html", "language", "category", "status", "author"})

_TITLE_MAX = Article._meta.get_field("title").max_length or 200
_SLUG_MAX = Article._meta.get_field("slug").max_length or 200
_SLUG_ATTEMPTS = 5


def _title_clean(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("An article needs a title."), code="empty_title")
    if len(title) > _TITLE_MAX:
        raise ValidationError(
            _("The title is longer than %(max)d characters.") % {"max": _TITLE_MAX}, code="title_too_long"
        )
    return title


def _language_check(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language “%(language)s”.") % {"language": language}, code="bad_language")


def _status_check(status: str) -> None:
    if status not in Status.values:
        raise ValidationError(_("Unknown status “%(status)s”.") % {"status": status}, code="bad_status")


def article_body_clean(body_html: str) -> tuple[str, str]:
    """The body as stored: sanitized HTML, and its plain text for search and excerpts."""
    clean = html_sanitize(body_html or "")
    return clean, html_to_text(clean)


def _body_set(article: Article, body_html: str) -> None:
    article.body_html, article.body_text = article_body_clean(body_html)


def _status_set(article: Article, status: str, *, now: datetime) -> None:
    """Move to `status`, stamping published_at: set when it goes live, cleared when it is taken down."""
    if status == article.status:
        return
    article.status = status
    article.published_at = now if status == Status.PUBLISHED else None


def _published_body_check(article: Article) -> None:
    if article.status == Status.PUBLISHED and not article.body_text.strip():
        raise ValidationError(_("A published article needs a body."), code="empty_body")


def _slug_base(*, slug: str, title: str) -> str:
    # allow_unicode: a Persian or Arabic title keeps its own letters in the address.
    return slugify(slug or title, allow_unicode=True)[:_SLUG_MAX].strip("-") or "article"


def _slug_free(*, base: str, language: str, exclude_pk: int | None) -> str:
    """`base`, or `base-2`, `base-3`... whichever is not taken by another article of `language`."""
    # Numbered candidates of a base at the length limit are cut shorter: look for the cut stem too.
    others = Article.objects.filter(language=language, slug__startswith=base[: _SLUG_MAX - 10])
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = set(others.values_list("slug", flat=True))
    if base not in taken:
        return base
    for n in itertools.count(2):
        suffix = f"-{n}"
        candidate = f"{base[: _SLUG_MAX - len(suffix)].rstrip('-')}{suffix}"
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def _save(article: Article, *, slug_base: str | None, update_fields: list[str] | None = None) -> None:
    """Save, first giving the article the first free slug from `slug_base` (None: keep its slug).

    Two writers may pick the same free slug at once; the unique constraint refuses one of them,
    which takes the next free one.
    """
    for attempt in range(_SLUG_ATTEMPTS):
        if slug_base is not None:
            article.slug = _slug_free(base=slug_base, language=article.language, exclude_pk=article.pk)
        try:
            with transaction.atomic():  # a savepoint: a refused write leaves the outer transaction usable
                article.save(update_fields=update_fields)
            return
        except IntegrityError:
            if slug_base is None or attempt == _SLUG_ATTEMPTS - 1:
                raise


def article_create(
    *,
    title: str,
    body_html: str,
    language: str,
    category: Category | None = None,
    status: str = Status.DRAFT,
    author: User | None = None,
    slug: str = "",
) -> Article:
    """A new article. An empty `slug` is made from the title; a taken one gets a number (`-2`) appended."""
    title = _title_clean(title)
    _language_check(language)
    _status_check(status)
    now = timezone.now()
    article = Article(title=title, language=language, category=category, author=author, created_at=now, updated_at=now)
    _body_set(article, body_html)
    _status_set(article, status, now=now)
    _published_body_check(article)
    with transaction.atomic():
        _save(article, slug_base=_slug_base(slug=slug, title=title))
    return article


def article_update(*, article: Article, **fields: Any) -> Article:
    """Change any of UPDATABLE_FIELDS; `article` is updated in place and returned.

    An empty `slug` is made again from the title. The slug stays as it is when only the title
    changes, so links to the article keep working. Nothing is written when nothing changes.
    """
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("Unknown article fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    if "title" in fields:
        fields["title"] = _title_clean(fields["title"])
    if "language" in fields:
        _language_check(fields["language"])
    if "status" in fields:
        _status_check(fields["status"])
    now = timezone.now()

    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        before = {field.attname: getattr(locked, field.attname) for field in Article._meta.concrete_fields}
        for name in ("title", "language", "category", "author"):
            if name in fields:
                setattr(locked, name, fields[name])
        if "body_html" in fields:
            _body_set(locked, fields["body_html"])
        if "status" in fields:
            _status_set(locked, fields["status"], now=now)
        _published_body_check(locked)

        slug_base = None
        if "slug" in fields and _slug_base(slug=fields["slug"], title=locked.title) != locked.slug:
            slug_base = _slug_base(slug=fields["slug"], title=locked.title)
        if slug_base is None and locked.language != before["language"]:
            slug_base = locked.slug  # unique in the old language, maybe not in the new one
        if slug_base is not None:
            locked.slug = _slug_free(base=slug_base, language=locked.language, exclude_pk=locked.pk)
        changed = [f.name for f in Article._meta.concrete_fields if getattr(locked, f.attname) != before[f.attname]]
        if changed:
            locked.updated_at = now
            update_fields = {*changed, "updated_at"} | ({"slug"} if slug_base is not None else set())
            _save(locked, slug_base=slug_base, update_fields=sorted(update_fields))
    _copy_state(locked, into=article)
    return article


def article_publish(*, article: Article) -> Article:
    """Put the article live, stamping published_at. Publishing a published article changes nothing."""
    return article_update(article=article, status=Status.PUBLISHED)


def article_unpublish(*, article: Article) -> Article:
    """Take the article back to draft; published_at is cleared and stamped again at the next publish."""
    return article_update(article=article, status=Status.DRAFT)


def article_delete(*, article: Article) -> None:
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).delete()


def article_feedback(*, article: Article, helpful: bool) -> None:
    """Count one answer to "Did this answer your question?". Only published articles are asked.

    One UPDATE with F(): simultaneous answers all count. `article`'s own counters are not refreshed.
    """
    if not isinstance(helpful, bool):
        raise ValidationError(_("Feedback must be yes or no."), code="bad_feedback")
    counter = "helpful_count" if helpful else "not_helpful_count"
    updated = Article.objects.filter(pk=article.pk, status=Status.PUBLISHED).update(**{counter: F(counter) + 1})
    if not updated:
        raise ValidationError(_("This article is not published."), code="not_published")


def article_viewed(*, article: Article) -> None:
    """Count one reading. One UPDATE with F(), and updated_at stays: reading changes nothing."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def _copy_state(source: Article, *, into: Article) -> None:
    # The caller's instance reflects what was saved, without another query.
    if source is into:
        return
    for field in Article._meta.concrete_fields:
        setattr(into, field.attname, getattr(source, field.attname))
