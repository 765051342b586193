"""Customers and their identities: one person on many channels is one customer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.identities import normalize_identity
from tickets.models import (
    Customer,
    CustomerIdentity,
    CustomerMerge,
    Message,
    Organization,
    Ticket,
    TicketEvent,
)
from tickets.services._common import (
    IdentityTaken,
    InvalidMerge,
)

Status = Ticket.Status
Direction = Message.Direction


def customer_create(
    *,
    name: str = "",
    identities: Iterable[tuple[str, str]] = (),
    organization: Organization | None = None,
    locale: str = "",
    time_zone: str = "",
    external_id: str = "",
    attributes: dict | None = None,
) -> Customer:
    """Create a customer with its identities. An identity already owned by someone raises IdentityTaken."""
    with transaction.atomic():
        customer = Customer.objects.create(
            name=name.strip(),
            organization=organization,
            locale=locale,
            time_zone=time_zone,
            external_id=external_id,
            attributes=attributes or {},
        )
        for index, (kind, value) in enumerate(identities):
            customer_identity_add(customer=customer, kind=kind, value=value, is_primary=index == 0)
    return customer


def customer_identity_add(*, customer: Customer, kind: str, value: str, is_primary: bool = False) -> CustomerIdentity:
    """Give a customer an address. Adding one they already have is a no-op; one of another customer's is refused."""
    normalized = normalize_identity(kind, value)
    existing = CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=normalized).first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise IdentityTaken(
            _("%(value)s already belongs to customer “%(owner)s”. Merge the two customers instead.")
            % {"value": normalized, "owner": existing.customer},
            owner=existing.customer,
        )
    try:
        with transaction.atomic():
            return CustomerIdentity.objects.create(
                customer=customer, kind=kind, value=normalized, is_primary=is_primary
            )
    except IntegrityError:
        # Someone added it between our read and our insert: report it like any taken identity.
        return customer_identity_add(customer=customer, kind=kind, value=value, is_primary=is_primary)


def customer_get_or_create_by_identity(*, kind: str, value: str, name: str = "") -> tuple[Customer, bool]:
    """The customer who owns this address, created on first contact. Safe under concurrent intake."""
    normalized = normalize_identity(kind, value)
    identity = CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=normalized).first()
    if identity is not None:
        return identity.customer, False
    try:
        with transaction.atomic():
            customer = Customer.objects.create(name=name.strip())
            CustomerIdentity.objects.create(customer=customer, kind=kind, value=normalized, is_primary=True)
            return customer, True
    except IntegrityError:
        identity = CustomerIdentity.objects.select_related("customer").get(kind=kind, value=normalized)
        return identity.customer, False


def customer_merge(*, source: Customer, target: Customer, actor: User | None = None) -> CustomerMerge:
    """Fold `source` into `target`: identities, tickets, messages and the portal login move over.

    The source row stays, marked merged, and a CustomerMerge keeps what it held.
    """
    if source.pk == target.pk:
        raise InvalidMerge(_("A customer cannot be merged into itself."), code="merge_self")
    with transaction.atomic():
        first, second = sorted([source.pk, target.pk])
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id:
            raise InvalidMerge(_("This customer was already merged into another one."), code="already_merged")
        if target.merged_into_id:
            raise InvalidMerge(
                _("The target customer was merged into customer %(id)s; merge into that one.")
                % {"id": target.merged_into_id},
                code="target_merged",
            )
        identities = list(source.identities.values("kind", "value"))
        snapshot = {
            "name": source.name,
            "organization_id": source.organization_id,
            "locale": source.locale,
            "time_zone": source.time_zone,
            "external_id": source.external_id,
            "attributes": source.attributes,
            "user_id": source.user_id,
            "identities": identities,
            "churned_at": source.churned_at.isoformat() if source.churned_at else None,
        }
        ticket_ids = list(source.tickets.values_list("pk", flat=True))
        now = timezone.now()

        moved_identities = source.identities.update(customer=target, is_primary=False)
        Ticket.objects.filter(pk__in=ticket_ids).update(customer=target, updated_at=now)
        Message.objects.filter(author_customer=source).update(author_customer=target)
        TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    ticket_id=pk,
                    kind=TicketEvent.Kind.CUSTOMER,
                    actor=actor,
                    from_value=str(source.pk),
                    to_value=str(target.pk),
                    created_at=now,
                )
                for pk in ticket_ids
            ]
        )

        # Keep what only the source knew; where both know something, the target wins.
        update_fields = ["merged_into", "external_id", "user", "updated_at"]
        source_user, source_external_id = source.user, source.external_id
        source.merged_into = target
        source.external_id = ""
        source.user = None
        source.save(update_fields=update_fields)
        target_fields = ["attributes", "updated_at"]
        for field in ("name", "organization_id", "locale", "time_zone"):
            if not getattr(target, field) and getattr(source, field):
                setattr(target, field, getattr(source, field))
                target_fields.append(field)
        if not target.external_id and source_external_id:
            target.external_id = source_external_id
            target_fields.append("external_id")
        if target.user_id is None and source_user is not None:
            target.user = source_user
            target_fields.append("user")
        target.attributes = {**source.attributes, **target.attributes}
        target.save(update_fields=target_fields)

        return CustomerMerge.objects.create(
            source_id=source.pk,
            source_snapshot=snapshot,
            target=target,
            actor=actor,
            moved_tickets=len(ticket_ids),
            moved_identities=moved_identities,
        )


def customer_mark_churned(*, customer: Customer, at: datetime | None = None) -> Customer:
    customer.churned_at = at or timezone.now()
    customer.save(update_fields=["churned_at", "updated_at"])
    return customer
