"""The help center's content: articles customers read before (or instead of) writing to us.

Models say what the data is. Articles are written through knowledge.services, which sanitizes
their HTML, keeps slugs unique per language and stamps the publishing dates.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def language_choices() -> list[tuple[str, Any]]:
    # A callable, so settings are read when the form or check needs them, not at import.
    return list(settings.LANGUAGES)


def default_language() -> str:
    return settings.LANGUAGE_CODE


class Category(models.Model):
    """A shelf of the help center: Billing, Shipping, Your account..."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Lower numbers come first."))

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("knowledge:category", args=[self.slug])


class Article(models.Model):
    """One help page in one language. The same topic in another language is another article."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True, blank=True)
    body_html = models.TextField(_("body (sanitized HTML)"), blank=True)
    # The body as plain text, derived by the services: what search reads and what excerpts show.
    body_text = models.TextField(_("body as text"), blank=True, editable=False)
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default=default_language)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Indexed by the composite index in Meta, which leads with it.
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        db_index=False,
        verbose_name=_("category"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="help_articles",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, help_text=_("Empty while a draft."))
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            # The help center's lists: published articles of one language, latest first.
            models.Index(fields=["status", "language", "-updated_at"], name="kb_article_status_lang_idx"),
            # A category's page (and the category foreign key itself).
            models.Index(fields=["category", "status", "language", "-updated_at"], name="kb_article_category_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="kb_article_unique_language_slug"),
            # Published since published_at; a draft has no date.
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True)
                | Q(status="published", published_at__isnull=False),
                name="kb_article_published_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article", args=[self.language, self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED
