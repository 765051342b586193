"""Customers and their identities: one person on many channels is one customer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from integrations.changes import changes_record, customer_change, ticket_change
from integrations.models import ChangeKind
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
    churned_at: datetime | None = None,
    actor: User | None = None,
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
            churned_at=churned_at,
        )
        for index, (kind, value) in enumerate(identities):
            _identity_add(customer=customer, kind=kind, value=value, is_primary=index == 0)
        changes_record([customer_change(customer, ChangeKind.CUSTOMER_CREATED, actor=actor)])
    return customer


def customer_identity_add(
    *, customer: Customer, kind: str, value: str, is_primary: bool = False, actor: User | None = None
) -> CustomerIdentity:
    """Give a customer an address. Adding one they already have is a no-op; one of another customer's is refused."""
    with transaction.atomic():
        identity, created = _identity_add(customer=customer, kind=kind, value=value, is_primary=is_primary)
        if created:
            changes_record(
                [
                    customer_change(
                        customer, ChangeKind.CUSTOMER_UPDATED, {"identities": (None, f"{kind}:{identity.value}")}, actor
                    )
                ]
            )
    return identity


def _identity_add(*, customer: Customer, kind: str, value: str, is_primary: bool) -> tuple[CustomerIdentity, bool]:
    normalized = normalize_identity(kind, value)
    existing = CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=normalized).first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing, False
        raise IdentityTaken(
            _("%(value)s already belongs to customer “%(owner)s”. Merge the two customers instead.")
            % {"value": normalized, "owner": existing.customer},
            owner=existing.customer,
        )
    try:
        with transaction.atomic():
            identity = CustomerIdentity.objects.create(
                customer=customer, kind=kind, value=normalized, is_primary=is_primary
            )
            return identity, True
    except IntegrityError:
        # Someone added it between our read and our insert: report it like any taken identity.
        return _identity_add(customer=customer, kind=kind, value=value, is_primary=is_primary)


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
            changes_record([customer_change(customer, ChangeKind.CUSTOMER_CREATED)])
            return customer, True
    except IntegrityError:
        identity = CustomerIdentity.objects.select_related("customer").get(kind=kind, value=normalized)
        return identity.customer, False


def customer_find_or_create(
    *, email: str = "", phone: str = "", name: str = "", locale: str = "", actor: User | None = None
) -> Customer:
    """The customer with this email or phone (email first), created when neither is known.

    The address they did not have yet is added to them. When the email and the phone belong to two
    different customers, IdentityTaken is raised: those two should be merged, not guessed between.
    """
    wanted = [
        (kind, value)
        for kind, value in ((CustomerIdentity.Kind.EMAIL, email), (CustomerIdentity.Kind.PHONE, phone))
        if value
    ]
    if not wanted:
        raise ValidationError(_("Give an email address or a phone number."), code="no_identity")
    with transaction.atomic():
        owners = {}
        for kind, value in wanted:
            identity = (
                CustomerIdentity.objects.select_related("customer")
                .filter(kind=kind, value=normalize_identity(kind, value))
                .first()
            )
            if identity is not None:
                owners[kind] = identity.customer
        found = {customer.pk: customer for customer in owners.values()}
        if len(found) > 1:
            email_owner = owners[CustomerIdentity.Kind.EMAIL]
            raise IdentityTaken(
                _("The email belongs to customer %(a)s and the phone to customer %(b)s. Merge them first.")
                % {"a": email_owner.pk, "b": owners[CustomerIdentity.Kind.PHONE].pk},
                owner=email_owner,
            )
        if not found:
            return customer_create(name=name, identities=wanted, locale=locale, actor=actor)
        customer = next(iter(found.values()))
        for kind, value in wanted:
            if kind not in owners:
                customer_identity_add(customer=customer, kind=kind, value=value, actor=actor)
        return customer


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
        changes_record(
            [
                customer_change(source, ChangeKind.CUSTOMER_MERGED, {"merged_into": (None, target.pk)}, actor),
                customer_change(target, ChangeKind.CUSTOMER_UPDATED, {"merged_from": (None, source.pk)}, actor),
                *(
                    ticket_change(Ticket(pk=pk, customer_id=target.pk), changes={"customer": (source.pk, target.pk)})
                    for pk in ticket_ids
                ),
            ]
        )

        return CustomerMerge.objects.create(
            source_id=source.pk,
            source_snapshot=snapshot,
            target=target,
            actor=actor,
            moved_tickets=len(ticket_ids),
            moved_identities=moved_identities,
        )


def customer_mark_churned(*, customer: Customer, at: datetime | None = None, actor: User | None = None) -> Customer:
    return customer_update(customer=customer, fields={"churned_at": at or timezone.now()}, actor=actor)


# What customer_update may change; identities, merges and the portal login have their own services.
CUSTOMER_FIELDS = ("name", "organization", "locale", "time_zone", "external_id", "attributes", "churned_at")


def customer_update(*, customer: Customer, fields: dict[str, Any], actor: User | None = None) -> Customer:
    """Change a customer's own fields (CUSTOMER_FIELDS) and log what changed.

    A CRM id another customer has raises ValidationError (code external_id_taken); a merged customer
    cannot change (code customer_merged).
    """
    unknown = sorted(set(fields) - set(CUSTOMER_FIELDS))
    if unknown:
        raise ValueError(f"customer_update cannot change {unknown}")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.merged_into_id:
            raise ValidationError(
                _("This customer was merged into customer %(id)s; change that one.") % {"id": locked.merged_into_id},
                code="customer_merged",
            )
        changed: dict[str, tuple[Any, Any]] = {}
        for name, value in fields.items():
            if name == "name" and isinstance(value, str):
                value = value.strip()
            before = getattr(locked, name)
            if before != value:
                changed[name] = (before, value)
                setattr(locked, name, value)
        external_id = fields.get("external_id")
        if (
            "external_id" in changed
            and external_id
            and Customer.objects.filter(external_id=external_id).exclude(pk=locked.pk).exists()
        ):
            raise ValidationError(
                _("Another customer already has the CRM id %(id)s.") % {"id": external_id}, code="external_id_taken"
            )
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            changes_record([customer_change(locked, ChangeKind.CUSTOMER_UPDATED, changed, actor)])
    for name in (*CUSTOMER_FIELDS, "updated_at"):
        setattr(customer, name, getattr(locked, name))
    return customer


def organization_save(*, organization: Organization | None = None, name: str, domain: str = "") -> Organization:
    """Create an organization, or rename it and change its email domain. Names are unique."""
    name = " ".join(name.split())
    domain = domain.strip().lower().lstrip("@")
    if not name:
        raise ValidationError(_("An organization needs a name."), code="blank_name")
    clash = Organization.objects.filter(name__iexact=name)
    if organization is not None:
        clash = clash.exclude(pk=organization.pk)
    if clash.exists():
        raise ValidationError(_("An organization named “%(name)s” exists already.") % {"name": name}, code="name_taken")
    organization = organization or Organization()
    organization.name, organization.domain = name, domain
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError as error:  # the same name, saved by someone else a moment ago
        raise ValidationError(
            _("An organization named “%(name)s” exists already.") % {"name": name}, code="name_taken"
        ) from error
    return organization
