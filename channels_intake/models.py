"""What the intake channels keep: the mailboxes we read, and every raw email exactly as it arrived."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """A support address: where its mail is read from (IMAP, a provider webhook or the pipe command)
    and how replies to it are sent."""

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS from the start (port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        NONE = "none", _("None (only for a server on this machine)")

    class AfterImport(models.TextChoices):
        MARK_SEEN = "seen", _("Mark as read")
        MOVE = "move", _("Move to another folder")

    name = models.SlugField(
        _("name"), max_length=100, unique=True, help_text=_("Used by the pipe command: ingest_email --mailbox NAME.")
    )
    email_address = models.EmailField(
        _("address"), unique=True, help_text=_("The address customers write to; replies are sent from it.")
    )
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    team = models.ForeignKey(
        "tickets.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailboxes",
        help_text=_("New tickets from this mailbox go to this team."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    imap_host = models.CharField(
        _("IMAP host"), max_length=255, blank=True, help_text=_("Leave empty when mail arrives by webhook or pipe.")
    )
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=10, choices=Security.choices, default=Security.SSL)
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    # Never shown again once saved, never logged (see __repr__ and the admin form).
    imap_password = models.CharField(_("IMAP password"), max_length=500, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    after_import = models.CharField(
        _("after import"), max_length=10, choices=AfterImport.choices, default=AfterImport.MARK_SEEN
    )
    move_to_folder = models.CharField(_("move to folder"), max_length=255, default="Processed", blank=True)
    poll_interval_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=60)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_poll_error = models.TextField(_("last poll error"), blank=True)

    send_acknowledgement = models.BooleanField(
        _("acknowledge new tickets"),
        default=True,
        help_text=_("Answer a customer's first email automatically with the ticket number."),
    )
    acknowledgement_text = models.TextField(
        _("acknowledgement text"),
        blank=True,
        help_text=_("Leave empty for the standard text. Placeholders: {ticket_number}, {subject}, {customer_name}."),
    )
    hourly_sender_limit = models.PositiveIntegerField(
        _("messages per sender per hour"),
        default=30,
        help_text=_("A sender above this many messages in an hour is held for review (0: no limit)."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.email_address}>"

    def __repr__(self) -> str:
        # The default repr is harmless, but say it outright: the password stays out of logs.
        return f"<Mailbox {self.pk} {self.name}>"

    @property
    def reads_imap(self) -> bool:
        return bool(self.imap_host and self.imap_username)


class InboundEmail(models.Model):
    """A raw email exactly as it arrived, stored before anything parses it, so nothing is ever lost."""

    class Source(models.TextChoices):
        IMAP = "imap", _("IMAP")
        WEBHOOK = "webhook", _("Provider webhook")
        PIPE = "pipe", _("Pipe command")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, not processed yet")
        PROCESSED = "processed", _("Added to a ticket")
        IGNORED = "ignored", _("Machine mail, no ticket")
        HELD = "held", _("Held for review")
        QUARANTINED = "quarantined", _("Quarantined")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="inbound_emails")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_detail = models.CharField(_("source detail"), max_length=100, blank=True)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    dedupe_key = models.CharField(
        _("duplicate key"),
        max_length=255,
        help_text=_("The Message-ID, or a hash of the content when there is none: one copy per mailbox."),
    )
    email_message_id = models.CharField(_("Message-ID"), max_length=500, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    classification = models.CharField(_("kind"), max_length=20, blank=True)
    outcome = models.TextField(_("outcome"), blank=True, help_text=_("What processing did, or why it failed."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    is_spam = models.BooleanField(_("spam"), default=False, help_text=_("The provider that delivered it said spam."))
    # Which mailbox a ticket's replies go out from: the one its mail came in on.
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "dedupe_key"], name="inbound_email_once_per_mailbox"),
        ]
        indexes = [
            # The admin's "needs attention" lists and the reprocessing sweep.
            models.Index(fields=["status", "received_at"], name="inbound_email_status_idx"),
            # The per-sender hourly rate limit.
            models.Index(fields=["mailbox", "from_address", "received_at"], name="inbound_email_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_address or '?'}: {self.subject or self.dedupe_key}"[:120]
