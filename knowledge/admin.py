"""Admin pages for the help center. Articles are written through knowledge.services, never a plain save()."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from knowledge import services
from knowledge.models import Article, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ("title", "slug", "language", "status", "category", "author", "body_html")
        help_texts = {
            "slug": _("Empty: made from the title. A slug taken in the same language gets a number appended."),
            "body_html": _("HTML. Scripts, styles, forms and event handlers are removed when it is saved."),
        }

    def clean(self):
        data = super().clean()
        # The one rule of the services that the form fields do not already enforce.
        if data.get("status") == Article.Status.PUBLISHED:
            _html, text = services.article_body_clean(data.get("body_html", ""))
            if not text.strip():
                self.add_error("body_html", _("A published article needs a body."))
        return data


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "language",
        "status",
        "category",
        "updated_at",
        "view_count",
        "helpful_count",
        "not_helpful_count",
    )
    list_filter = ("status", "language", "category")
    search_fields = ("title", "slug")
    list_select_related = ("category",)
    raw_id_fields = ("author",)
    readonly_fields = (
        "created_at",
        "updated_at",
        "published_at",
        "view_count",
        "helpful_count",
        "not_helpful_count",
    )
    actions = ["publish", "unpublish"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.cleaned_data}
        if change:
            services.article_update(article=obj, **fields)
            return
        if fields.get("author") is None:
            fields["author"] = request.user
        article = services.article_create(**fields)
        obj.pk = article.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.article_delete(article=obj)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            services.article_delete(article=article)

    @admin.action(description=_("Publish selected articles"))
    def publish(self, request, queryset):
        self._apply(request, queryset, services.article_publish)

    @admin.action(description=_("Take selected articles back to draft"))
    def unpublish(self, request, queryset):
        self._apply(request, queryset, services.article_unpublish)

    def _apply(self, request, queryset, service) -> None:
        done = 0
        for article in queryset:
            try:
                service(article=article)
            except ValidationError as error:
                self.message_user(request, f"{article}: {'; '.join(error.messages)}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, _("Articles changed: %(n)d.") % {"n": done})
