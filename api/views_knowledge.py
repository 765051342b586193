"""Knowledge-base articles and categories: public to read when published, written by managers."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import user_role
from api import references
from api.base import ApiViewSet, ListRows, ReadRows
from api.filters import IdFilter, UtcDateTimeFilter
from api.permissions import EVERYONE, MANAGERS, STAFF
from knowledge import services
from knowledge.models import Article, Category
from knowledge.selectors import article_search

ARTICLE_FIELDS = [
    "id", "title", "slug", "language", "status", "category", "body_html", "url", "author",
    "created_at", "updated_at", "published_at", "view_count", "helpful_count", "not_helpful_count",
]  # fmt: skip


class ArticleSerializer(serializers.ModelSerializer):
    # Plain text: slugs keep Persian and Arabic letters, which a JSON-schema \w pattern would refuse.
    slug = serializers.CharField(read_only=True)
    category = serializers.IntegerField(source="category_id", read_only=True, allow_null=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField(help_text="The article's page in the help center (published only).")

    class Meta:
        model = Article
        fields = ARTICLE_FIELDS
        read_only_fields = ARTICLE_FIELDS

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, article: Article) -> str | None:
        if not article.is_published:
            return None
        request = self.context.get("request")
        path = article.get_absolute_url()
        return request.build_absolute_uri(path) if request is not None else path


class ArticleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body_html = serializers.CharField(allow_blank=True, max_length=500_000, help_text="Sanitized when stored.")
    language = serializers.ChoiceField(choices=["en", "fa", "ar"], default="en")
    status = serializers.ChoiceField(choices=Article.Status.choices, default=Article.Status.DRAFT)
    category = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    slug = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Default: from the title.")


class CategorySerializer(serializers.ModelSerializer):
    slug = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description", "position"]
        read_only_fields = fields


class ArticleFilter(django_filters.FilterSet):
    language = django_filters.ChoiceFilter(choices=[("en", "en"), ("fa", "fa"), ("ar", "ar")])
    category = IdFilter(field_name="category_id")
    status = django_filters.ChoiceFilter(choices=Article.Status.choices, help_text="Staff only; others see published.")
    q = django_filters.CharFilter(method="filter_search", max_length=200, help_text="Words of the title or body.")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Article
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        found = article_search(q=value)
        return queryset.filter(pk__in=found.values("pk"))


def _category(pk: int | None) -> Category | None:
    if pk is None:
        return None
    found = Category.objects.filter(pk=pk).first()
    if found is None:
        raise references.bad_field("category", _("There is no category %(id)s.") % {"id": pk})
    return found


@extend_schema_view(
    list=extend_schema(summary="List help-center articles", description="Anyone may read published articles."),
    retrieve=extend_schema(summary="Read an article"),
    create=extend_schema(
        summary="Write an article", request=ArticleWriteSerializer, responses={201: ArticleSerializer}
    ),
    partial_update=extend_schema(summary="Change an article", request=ArticleWriteSerializer),
    destroy=extend_schema(summary="Delete an article", responses={204: OpenApiResponse(description="Deleted.")}),
)
class ArticleViewSet(ListRows, ReadRows, ApiViewSet):
    roles = {"list": EVERYONE, "retrieve": EVERYONE, "*": MANAGERS}
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    not_found_message = gettext_lazy("No such article.")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Article]:
        if user_role(self.request.user) in STAFF:
            return Article.objects.all()
        return Article.objects.filter(status=Article.Status.PUBLISHED)

    def _data(self, article: Article) -> dict[str, Any]:
        return self.get_serializer(article).data

    def create(self, request: Request) -> Response:
        form = ArticleWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data["category"] = _category(data.get("category"))
        article = services.article_create(author=request.user, **data)
        return Response(self._data(article), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        article = self.row(pk)
        form = ArticleWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        fields = dict(form.validated_data)
        if "category" in fields:
            fields["category"] = _category(fields["category"])
        services.article_update(article=article, **fields)
        return Response(self._data(article))

    def destroy(self, request: Request, pk: str) -> Response:
        services.article_delete(article=self.row(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=extend_schema(summary="List help-center categories"))
class CategoryViewSet(ListRows, ApiViewSet):
    roles = {"*": EVERYONE}
    serializer_class = CategorySerializer
    orderings = {"position": ("position", "id"), "id": ("id",)}
    default_ordering = "position"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.all()
