"""Admin pages. Changes to ticket state go through tickets.services, never a plain save()."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.models import (
    Attachment,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    Holiday,
    Message,
    Organization,
    SlaPolicy,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TimeEntry,
)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "created_at")
    search_fields = ("name", "domain")


class IdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0
    readonly_fields = ("kind", "value", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # added through customer_identity_add, which normalizes and checks ownership


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organization", "locale", "created_at", "churned_at", "merged_into")
    list_filter = ("locale", "organization")
    search_fields = ("name", "external_id", "identities__value")
    raw_id_fields = ("organization", "user", "merged_into")
    readonly_fields = ("merged_into", "created_at", "updated_at")
    inlines = [IdentityInline]
    actions = ["merge_into_first"]

    def save_model(self, request, obj, form, change):
        # Through the domain layer, so integrators hear of the change (the change log).
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.CUSTOMER_FIELDS}
        if not change:
            customer = services.customer_create(actor=request.user, **{"name": obj.name, **fields})
            obj.pk = customer.pk
            obj.created_at = customer.created_at
            if obj.user_id:
                Customer.objects.filter(pk=obj.pk).update(user=obj.user)
            return
        if "user" in form.changed_data:
            Customer.objects.filter(pk=obj.pk).update(user=obj.user)
        if fields:
            services.customer_update(customer=Customer.objects.get(pk=obj.pk), fields=fields, actor=request.user)

    @admin.action(description=_("Merge selected customers into the oldest one"))
    def merge_into_first(self, request, queryset):
        customers = list(queryset.order_by("pk"))
        if len(customers) < 2:
            self.message_user(request, _("Select at least two customers."), messages.WARNING)
            return
        target = customers[0]
        for source in customers[1:]:
            try:
                services.customer_merge(source=source, target=target, actor=request.user)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                return
        self.message_user(
            request, _("Merged %(n)d customers into %(target)s.") % {"n": len(customers) - 1, "target": target}
        )


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "customer", "is_primary")
    list_filter = ("kind",)
    search_fields = ("value",)
    raw_id_fields = ("customer",)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        identity = services.customer_identity_add(customer=obj.customer, kind=obj.kind, value=obj.value)
        obj.pk = identity.pk


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    list_display = ("source_id", "target", "actor", "moved_tickets", "moved_identities", "created_at")
    readonly_fields = [f.name for f in CustomerMerge._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "cost_per_minute")
    filter_horizontal = ("members",)
    inlines = [HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Targets apply to tickets opened (or given this priority) after the policy is saved."""

    list_display = ("priority", "first_response_minutes", "resolution_minutes")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Holidays without a team apply to every team's business hours."""

    list_display = ("date", "name", "team")
    list_filter = ("team",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("created_at", "channel", "direction", "author_customer", "author_agent", "body_text", "delivery_status")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "subject", "status", "priority", "channel", "team", "assignee", "customer", "updated_at")
    list_filter = ("status", "priority", "channel", "team")
    search_fields = ("=id", "subject")
    list_select_related = ("team", "assignee", "customer")
    raw_id_fields = ("customer", "assignee", "merged_into")
    # State fields are read-only here: they change through the domain layer's rules.
    readonly_fields = (
        "status",
        "priority",
        "team",
        "assignee",
        "tags",
        "current_channel",
        "created_at",
        "updated_at",
        "first_response_at",
        "first_solved_at",
        "solved_at",
        "closed_at",
        "reopen_count",
        "channel_switch_count",
        "first_inbound_at",
        "first_response_seconds",
        "first_response_business_seconds",
        "first_resolution_seconds",
        "first_resolution_business_seconds",
        "resolution_seconds",
        "resolution_business_seconds",
        "contact_count",
        "inbound_before_first_reply",
        "sla_first_response_target",
        "sla_resolution_target",
        "merged_into",
    )
    inlines = [MessageInline]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting a million rows on every page is slow

    def get_readonly_fields(self, request, obj=None):
        if obj is None:  # adding: team, assignee, priority and tags can be chosen; the rest is derived
            return tuple(f for f in self.readonly_fields if f not in ("priority", "team", "assignee", "tags"))
        return ("customer", "channel", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            subject = obj.subject
            obj.subject = form.initial.get("subject", subject)
            super().save_model(request, obj, form, change)
            services.ticket_change_subject(ticket=obj, subject=subject, actor=request.user)
            return
        ticket = services.ticket_create(
            customer=obj.customer,
            subject=obj.subject,
            channel=obj.channel,
            team=form.cleaned_data.get("team"),
            assignee=form.cleaned_data.get("assignee"),
            priority=form.cleaned_data.get("priority") or Ticket.Priority.NORMAL,
            tags=[tag.name for tag in form.cleaned_data.get("tags") or []],
            is_proactive=obj.is_proactive,
            actor=request.user,
        )
        obj.pk = ticket.pk
        obj.refresh_from_db()


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "channel", "direction", "delivery_status", "created_at")
    list_filter = ("channel", "direction", "delivery_status")
    raw_id_fields = ("ticket", "author_customer", "author_agent")
    readonly_fields = ("ticket", "channel", "direction", "created_at")
    show_full_result_count = False

    # Messages are added on the ticket page or by a channel, where the domain layer applies them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("filename", "content_type", "size", "message", "created_at")
    raw_id_fields = ("message",)
    readonly_fields = ("sha256", "size")


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "from_value", "to_value", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("ticket", "actor")
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # an audit trail is not edited


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ("ticket", "agent", "seconds", "source", "created_at")
    list_filter = ("source",)
    raw_id_fields = ("ticket", "agent")
