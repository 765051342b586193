"""Admin pages for mailboxes and the raw mail they received: quarantine, held mail, reprocessing."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from channels_intake.email.processing import inbound_email_process
from channels_intake.models import InboundEmail, Mailbox

PREVIEW_BYTES = 20_000


class MailboxForm(forms.ModelForm):
    # The password is write-only: never sent back to the browser, kept when the field is left empty.
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the saved password."),
    )

    class Meta:
        model = Mailbox
        fields = (
            "name", "email_address", "from_name", "team", "is_active",
            "imap_host", "imap_port", "imap_security", "imap_username", "imap_password", "imap_folder",
            "after_import", "move_to_folder", "poll_interval_seconds",
            "send_acknowledgement", "acknowledgement_text", "hourly_sender_limit",
        )  # fmt: skip

    def clean_imap_password(self) -> str:
        password = self.cleaned_data.get("imap_password") or ""
        if not password and self.instance.pk:
            return self.instance.imap_password
        return password


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "email_address", "team", "is_active", "imap_host", "last_polled_at", "poll_problem")
    list_filter = ("is_active", "team")
    search_fields = ("name", "email_address", "imap_host")
    readonly_fields = ("last_polled_at", "last_poll_error", "created_at")
    actions = ["poll_now"]
    fieldsets = (
        (None, {"fields": ("name", "email_address", "from_name", "team", "is_active")}),
        (
            _("Reading mail by IMAP"),
            {
                "fields": (
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_username",
                    "imap_password",
                    "imap_folder",
                    "after_import",
                    "move_to_folder",
                    "poll_interval_seconds",
                    "last_polled_at",
                    "last_poll_error",
                )
            },
        ),
        (
            _("Automatic answers and limits"),
            {"fields": ("send_acknowledgement", "acknowledgement_text", "hourly_sender_limit")},
        ),
    )

    @admin.display(description=_("poll problem"), boolean=False)
    def poll_problem(self, mailbox: Mailbox) -> str:
        return (mailbox.last_poll_error or "")[:80]

    @admin.action(description=_("Poll the selected mailboxes now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        from channels_intake.email.imap_tasks import poll_mailbox

        count = 0
        for mailbox in queryset.filter(is_active=True):
            if mailbox.reads_imap:
                poll_mailbox.delay(mailbox.pk)
                count += 1
        self.message_user(request, _("Polling %(count)d mailboxes.") % {"count": count}, messages.SUCCESS)


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "mailbox", "from_address", "subject", "status", "classification", "ticket_link")
    list_filter = ("status", "classification", "source", "mailbox", "is_spam")
    search_fields = ("from_address", "subject", "email_message_id")
    date_hierarchy = "received_at"
    list_select_related = ("mailbox",)
    actions = ["process_again", "dismiss"]
    exclude = ("raw",)
    readonly_fields = (
        "mailbox",
        "source",
        "source_detail",
        "received_at",
        "from_address",
        "subject",
        "email_message_id",
        "size",
        "sha256",
        "dedupe_key",
        "is_spam",
        "status",
        "classification",
        "outcome",
        "attempts",
        "processed_at",
        "ticket_link",
        "raw_download",
        "raw_preview",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        # The raw bytes can be megabytes per row: only the preview and the download read them.
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # mail comes in through IMAP, webhooks or the pipe command

    def has_change_permission(self, request: HttpRequest, obj: InboundEmail | None = None) -> bool:
        return False  # the stored mail never changes; "process again" is an action

    def has_delete_permission(self, request: HttpRequest, obj: InboundEmail | None = None) -> bool:
        return False  # nothing that arrived is ever dropped from here

    def get_urls(self):
        urls = super().get_urls()
        own = [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="channels_intake_inboundemail_raw",
            )
        ]
        return own + urls

    def raw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = InboundEmail.objects.filter(pk=pk).first()
        if row is None or not self.has_view_permission(request, row):
            return HttpResponse(status=404)
        response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="inbound-{row.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description=_("ticket"))
    def ticket_link(self, row: InboundEmail) -> str:
        if not row.ticket_id:
            return "—"
        return format_html('<a href="{}">#{}</a>', reverse("tickets:detail", args=[row.ticket_id]), row.ticket_id)

    @admin.display(description=_("original message"))
    def raw_download(self, row: InboundEmail) -> str:
        url = reverse("admin:channels_intake_inboundemail_raw", args=[row.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the .eml file"))

    @admin.display(description=_("beginning of the message"))
    def raw_preview(self, row: InboundEmail) -> str:
        text = bytes(row.raw[:PREVIEW_BYTES]).decode("utf-8", errors="replace")
        return format_html('<pre style="white-space: pre-wrap; max-height: 30em; overflow: auto">{}</pre>', text)

    @admin.action(description=_("Process again (also releases held mail)"))
    def process_again(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        done: dict[str, int] = {}
        ids = list(queryset.exclude(status=InboundEmail.Status.PROCESSED).values_list("pk", flat=True))
        for pk in ids:  # one raw message in memory at a time
            status = inbound_email_process(inbound_email=InboundEmail.objects.get(pk=pk), release_hold=True)
            done[status] = done.get(status, 0) + 1
        summary = ", ".join(f"{InboundEmail.Status(status).label}: {count}" for status, count in done.items())
        self.message_user(request, summary or _("Nothing to process: the selected mail was already processed."))

    @admin.action(description=_("Dismiss: keep the mail, make no ticket"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        waiting = (InboundEmail.Status.HELD, InboundEmail.Status.QUARANTINED, InboundEmail.Status.RECEIVED)
        count = queryset.filter(status__in=waiting).update(
            status=InboundEmail.Status.IGNORED,
            outcome=_("Dismissed by %(user)s.") % {"user": request.user.get_username()},
            processed_at=timezone.now(),
        )
        self.message_user(request, _("Dismissed %(count)d emails.") % {"count": count})
