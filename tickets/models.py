"""The helpdesk's shared vocabulary: customers, teams, tickets and everything said on them.

Models say what the data is. Every change of ticket state goes through tickets.services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.business_hours import default_working_hours, working_hours_validate


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Portal")
    SOCIAL = "social", _("Social")
    API = "api", _("API")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(
        _("email domain"), max_length=253, blank=True, help_text=_("Customers writing from it join the organization.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """One person, whichever channels they use. Their addresses and handles are CustomerIdentity rows."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="customers"
    )
    locale = models.CharField(_("language"), max_length=10, blank=True, help_text=_("For example en, fa or ar."))
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    external_id = models.CharField(_("CRM id"), max_length=200, blank=True)
    attributes = models.JSONField(
        _("attributes"), default=dict, blank=True, help_text=_("Free data from the CRM: plan, recent orders, ...")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer_profile",
        help_text=_("The portal login of this customer, if any."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    churned_at = models.DateTimeField(_("churned"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_customers"
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["created_at"], name="customer_created_idx"),
            models.Index(fields=["organization", "name"], name="customer_org_name_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="customer_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{_('Customer')} {self.pk}"


class CustomerIdentity(models.Model):
    """An address at which a customer reaches us, stored normalized (see tickets.identities)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Chat visitor")
        PORTAL = "portal", _("Portal login")
        SOCIAL = "social", _("Social handle")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=320, help_text=_("Normalized: lower-case email, E.164 phone."))
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class CustomerMerge(models.Model):
    """Audit entry of a customer merged into another: who, when, and what the merged record held."""

    source_id = models.BigIntegerField(_("merged customer id"))
    source_snapshot = models.JSONField(_("merged customer as it was"))
    target = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_received")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    moved_tickets = models.PositiveIntegerField(default=0)
    moved_identities = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"#{self.source_id} → {self.target_id}"


class Team(models.Model):
    """A queue of work and the agents who take it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    cost_per_minute = models.DecimalField(
        _("loaded cost per minute"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: each agent's own figure or the site default."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    working_hours = models.JSONField(
        _("working hours"),
        default=default_working_hours,
        validators=[working_hours_validate],
        help_text=_('Local times per weekday, for example {"mon": [["09:00", "17:00"]], "sat": []}.'),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day on which business hours do not run: for one team, or for every team when no team is set."""

    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holidays",
        help_text=_("Empty: every team."),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["team", "date"], name="holiday_team_date_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """One customer request. Its primary key is the number people quote (#1042)."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        ON_HOLD = "on_hold", _("On hold")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
    DONE_STATUSES = (Status.SOLVED, Status.CLOSED)

    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel of origin"), max_length=10, choices=Channel.choices)
    current_channel = models.CharField(
        _("current channel"),
        max_length=10,
        choices=Channel.choices,
        help_text=_("Where the conversation continues now; replies go out here."),
    )
    # team, assignee, customer: indexed by the composite queue indexes in Meta, which lead with them
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        db_index=False,
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    is_proactive = models.BooleanField(
        _("opened by support"), default=False, help_text=_("Started by our side; left out of first response time.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_solved_at = models.DateTimeField(_("first solved"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    channel_switch_count = models.PositiveIntegerField(_("channel switches"), default=0)
    # Stamped by the services when they happen, so the reports add numbers up instead of replaying
    # timelines. Durations are whole seconds, in calendar time and in the team's business hours.
    first_inbound_at = models.DateTimeField(_("first customer message"), null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(_("first response time"), null=True, blank=True)
    first_response_business_seconds = models.PositiveIntegerField(
        _("first response time in business hours"), null=True, blank=True
    )
    first_resolution_seconds = models.PositiveIntegerField(_("first resolution time"), null=True, blank=True)
    first_resolution_business_seconds = models.PositiveIntegerField(
        _("first resolution time in business hours"), null=True, blank=True
    )
    resolution_seconds = models.PositiveIntegerField(
        _("resolution time"), null=True, blank=True, help_text=_("From creation to the latest solve.")
    )
    resolution_business_seconds = models.PositiveIntegerField(
        _("resolution time in business hours"), null=True, blank=True
    )
    contact_count = models.PositiveIntegerField(
        _("contacts"),
        default=0,
        help_text=_("Exchanges in which support answered: replies, chat sessions with an agent, calls."),
    )
    inbound_before_first_reply = models.PositiveIntegerField(_("customer messages before the first reply"), default=0)
    # The SLA targets of the ticket's priority when it was opened or its priority changed (business seconds).
    sla_first_response_target = models.PositiveIntegerField(_("SLA first response target"), null=True, blank=True)
    sla_resolution_target = models.PositiveIntegerField(_("SLA resolution target"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_tickets"
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Queues: by status within a team or for an assignee, newest activity first.
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated_idx"),
            # The default queue (every open ticket, latest activity first) and lists over all statuses.
            models.Index(
                fields=["-updated_at", "-id"],
                condition=Q(status__in=["new", "open", "pending", "on_hold"], merged_into__isnull=True),
                name="ticket_open_updated_idx",
            ),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_idx"),
            models.Index(fields=["team", "status", "-updated_at"], name="ticket_team_status_idx"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_status_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            # Reports: created, solved and by channel within a period.
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            models.Index(fields=["solved_at"], name="ticket_solved_idx"),
            models.Index(fields=["channel", "created_at"], name="ticket_channel_created_idx"),
            models.Index(fields=["first_response_at"], name="ticket_first_response_idx"),
            models.Index(fields=["first_solved_at"], name="ticket_first_solved_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> int:
        return self.pk

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Message(models.Model):
    """Something said on a ticket, on any channel: by the customer, by an agent, or an internal note."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("From customer")
        OUTBOUND = "outbound", _("To customer")
        NOTE = "note", _("Internal note")

    class DeliveryStatus(models.TextChoices):
        NONE = "", _("Not applicable")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    author_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    author_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    is_automatic = models.BooleanField(
        _("automatic"),
        default=False,
        help_text=_("Sent by a rule, an acknowledgement or a survey: not a reply by a person."),
    )
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML (sanitized)"), blank=True)
    external_id = models.CharField(
        _("id at the source"),
        max_length=500,
        blank=True,
        help_text=_("Key for idempotent intake: the same message delivered twice is stored once."),
    )
    email_message_id = models.CharField(_("Message-ID"), max_length=500, blank=True)
    email_in_reply_to = models.CharField(_("In-Reply-To"), max_length=500, blank=True)
    email_references = models.TextField(_("References"), blank=True)
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, blank=True, default=DeliveryStatus.NONE
    )
    # db_default: rows written by bulk COPY (seed_demo) may leave these two columns out.
    delivery_error = models.TextField(
        _("delivery problem"),
        blank=True,
        default="",
        db_default="",
        help_text=_("Why sending failed or bounced, in the words of the server."),
    )
    delivery_started_at = models.DateTimeField(
        _("sending started"), null=True, blank=True, help_text=_("When the latest attempt to send it began.")
    )
    email_recipients = models.TextField(
        _("email recipients"),
        blank=True,
        default="",
        db_default="",
        help_text=_("Who an email was addressed to (To and Cc), comma-separated."),
    )
    quoted_text_start = models.PositiveIntegerField(
        _("quoted history starts at"),
        null=True,
        blank=True,
        help_text=_("Where the quoted earlier mail and signature begin in the text; the timeline folds them away."),
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in", help_text=_("Agents @mentioned in a note.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_created_idx"),
            models.Index(fields=["created_at"], name="message_created_idx"),
            # Threading looks replies up by Message-ID; most messages (chat, phone, portal) have none.
            models.Index(fields=["email_message_id"], condition=~Q(email_message_id=""), name="message_email_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~Q(external_id=""), name="message_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(direction="inbound") | Q(author_customer__isnull=True),
                name="message_only_inbound_has_customer_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} on #{self.ticket_id}"

    @property
    def is_public_agent_reply(self) -> bool:
        return self.direction == self.Direction.OUTBOUND and not self.is_automatic

    @property
    def visible_text(self) -> str:
        """The text without the quoted earlier mail and signature, which the timeline folds away."""
        return self.body_text[: self.quoted_text_start].rstrip() if self.quoted_text_start else self.body_text

    @property
    def folded_text(self) -> str:
        return self.body_text[self.quoted_text_start :] if self.quoted_text_start else ""


def attachment_path(instance: Attachment, filename: str) -> str:
    # Content-addressed folders keep any one directory small and names from clashing.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500)
    filename = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True, help_text=_("For inline images."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # Raster images are shown inline as previews. Everything else, SVG included (it can carry
    # script), is only ever downloaded.
    INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    @property
    def is_inline_image(self) -> bool:
        return self.content_type in self.INLINE_IMAGE_TYPES


class TicketEvent(models.Model):
    """Audit trail: who changed what on a ticket, and when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        ASSIGNEE = "assignee", _("Assignee changed")
        TEAM = "team", _("Team changed")
        TAGS = "tags", _("Tags changed")
        CHANNEL_SWITCH = "channel_switch", _("Channel switched")
        MERGED_INTO = "merged_into", _("Merged into another ticket")
        MERGED_FROM = "merged_from", _("Another ticket merged in")
        CUSTOMER = "customer", _("Customer changed")
        SPLIT = "split", _("Split into a new ticket")
        SPLIT_FROM = "split_from", _("Split from another ticket")
        LINKED = "linked", _("Linked to another ticket")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_value = models.CharField(_("from"), max_length=200, blank=True)
    to_value = models.CharField(_("to"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created_idx"),
            models.Index(fields=["kind", "created_at"], name="event_kind_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"


class TimeEntry(models.Model):
    """Agent time spent on a ticket: the basis of handle time and cost per ticket."""

    class Source(models.TextChoices):
        AUTO = "auto", _("Tracked while open")
        MANUAL = "manual", _("Entered by hand")
        CHAT = "chat", _("Chat session")
        CALL = "call", _("Phone call")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    seconds = models.PositiveIntegerField(_("seconds"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    tracking_key = models.UUIDField(
        _("tracking key"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("One open ticket page; its activity pings add to this one entry."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [
            models.Index(fields=["agent", "created_at"], name="time_agent_created_idx"),
            # Handle time and cost of a period: an index-only scan on PostgreSQL.
            models.Index(fields=["created_at"], include=["ticket", "agent", "seconds"], name="time_created_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(seconds__gt=0), name="time_entry_positive_seconds")]

    def __str__(self) -> str:
        return f"{self.seconds}s on #{self.ticket_id}"


class TicketLink(models.Model):
    """Two tickets about related matters (not merged: each keeps its own conversation)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    related = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "related"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~Q(ticket=models.F("related")), name="ticket_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} ↔ #{self.related_id}"


class TicketFollower(models.Model):
    """An agent watching a ticket, to be told when something happens on it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_tickets")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="ticket_follower_unique")]

    def __str__(self) -> str:
        return f"{self.user} follows #{self.ticket_id}"


class TicketParticipant(models.Model):
    """Someone besides the ticket's customer who takes part in the conversation (Cc'd on an email).

    Participants receive the public replies, and their own mail joins the ticket.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="participations")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["ticket", "customer"], name="ticket_participant_unique")]

    def __str__(self) -> str:
        return f"{self.customer} on #{self.ticket_id}"


class SavedView(models.Model):
    """A queue an agent defined: a name and the ticket list's filters as a query string."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=1000, help_text=_("For example status=open&team=3"))
    is_shared = models.BooleanField(_("shared with everyone"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name


class Macro(models.Model):
    """A canned reply with placeholders, and actions applied with it. No owner: shared by everyone."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(
        _("reply"),
        blank=True,
        help_text=_("Placeholders: {customer_name}, {ticket_number}, {agent_name}, {ticket_subject}."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        help_text=_("Empty: a shared macro."),
    )
    set_status = models.CharField(_("set status"), max_length=10, choices=Ticket.Status.choices, blank=True)
    set_priority = models.CharField(_("set priority"), max_length=10, choices=Ticket.Priority.choices, blank=True)
    set_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("set team")
    )
    add_tags = models.CharField(_("add tags"), max_length=300, blank=True, help_text=_("Comma-separated."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Service-level targets for the tickets of one priority, in the business hours of the ticket's team."""

    priority = models.CharField(_("priority"), max_length=10, unique=True, choices=Ticket.Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return f"{self.priority}: {self.first_response_minutes} / {self.resolution_minutes} min"
