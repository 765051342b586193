"""API tokens in the admin: created through api.tokens, shown once, revoked with an action."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken, Scope
from api.tokens import token_create, token_revoke, token_validate


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("read: GET; write: create and change; admin: tokens and webhooks (admin users only)."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "user", "scopes", "expires_at", "requests_per_minute"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            try:
                token_validate(
                    name=data.get("name") or "",
                    user=data.get("user"),
                    scopes=data.get("scopes") or [],
                    expires_at=data.get("expires_at"),
                    requests_per_minute=data.get("requests_per_minute"),
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages_)
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ("name", "prefix", "user", "scopes", "expires_at", "revoked_at", "last_used_at", "created_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    raw_id_fields = ("user",)
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("name", "prefix", "user", "scopes", "expires_at", "requests_per_minute", "revoked_at",
                "last_used_at", "created_by", "created_at")  # fmt: skip

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "user", "scopes", "expires_at", "requests_per_minute"]
        return list(self.get_readonly_fields(request, obj))

    def save_model(self, request, obj, form, change):
        if change:
            return  # a token never changes; revoke it and make another
        token, text = token_create(
            name=form.cleaned_data["name"],
            user=form.cleaned_data["user"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            requests_per_minute=form.cleaned_data.get("requests_per_minute"),
            created_by=request.user,
        )
        obj.pk = token.pk
        self.message_user(
            request,
            _("The token is %(token)s — copy it now: it is not shown again.") % {"token": text},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token=token)
        self.message_user(request, _("Tokens revoked: %(n)d.") % {"n": queryset.count()})
