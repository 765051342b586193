"""Survey invitations and answers in the admin: to look at, not to edit (answers come from customers)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from metrics.models import SurveyAnswer, SurveyInvitation


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invitations are sent by the solve, answers given by customers

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SurveyAnswerInline(admin.TabularInline):
    model = SurveyAnswer
    fields = ("question", "score", "comment", "agent", "team", "channel", "answered_at", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(_ReadOnly):
    list_display = ("ticket", "customer", "channel", "asks_csat", "asks_ces", "asks_nps", "sent_at", "expires_at")
    list_filter = ("channel", "asks_nps")
    search_fields = ("=ticket__id", "customer__name")
    date_hierarchy = "sent_at"
    list_select_related = ("ticket", "customer")
    raw_id_fields = ("ticket", "customer", "message")
    inlines = [SurveyAnswerInline]


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(_ReadOnly):
    list_display = ("ticket", "question", "score", "agent", "team", "channel", "answered_at", "updated_at")
    list_filter = ("question", "score", "team", "channel")
    search_fields = ("=ticket__id", "comment")
    date_hierarchy = "answered_at"
    list_select_related = ("ticket", "agent", "team")
    raw_id_fields = ("invitation", "ticket", "customer", "agent", "team")
