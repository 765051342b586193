"""The Django admin opens for every model, and its writes go through the domain layer."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    AdminFactory,
    AgentFactory,
    AttachmentFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    CustomerMergeFactory,
    InboundEmailFactory,
    MessageFactory,
    OrganizationFactory,
    TagFactory,
    TeamFactory,
    TicketEventFactory,
    TimeEntryFactory,
)
from tickets.models import Customer, CustomerMerge, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def one_of_everything():
    message = MessageFactory()
    AttachmentFactory(message=message)
    TicketEventFactory(ticket=message.ticket)
    TimeEntryFactory(ticket=message.ticket)
    CustomerIdentityFactory(customer=message.ticket.customer)
    CustomerMergeFactory(target=message.ticket.customer)
    OrganizationFactory()
    TeamFactory(members=[AgentFactory()])
    TagFactory()
    InboundEmailFactory(ticket=message.ticket, message=message)


def test_every_registered_model_has_a_working_list_and_change_page(admin_client, one_of_everything):
    for model in admin.site._registry:
        opts = model._meta
        changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        obj = model._default_manager.first()
        if obj is not None:
            change = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            assert change.status_code == 200, opts.label


def test_adding_a_ticket_in_the_admin_goes_through_the_domain_layer(admin_client):
    customer = CustomerFactory()

    response = admin_client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "subject": "Called about invoice",
            "priority": "high",
            "channel": "phone",
            "customer": customer.pk,
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    ticket = Ticket.objects.get()
    assert (ticket.current_channel, ticket.priority, ticket.status) == ("phone", "high", "new")
    assert ticket.events.get().kind == TicketEvent.Kind.CREATED


def test_the_merge_action_merges_customers_and_records_it(admin_client):
    older, newer = CustomerFactory(), CustomerFactory()

    admin_client.post(
        reverse("admin:tickets_customer_changelist"),
        {"action": "merge_into_first", "_selected_action": [older.pk, newer.pk]},
    )

    newer.refresh_from_db()
    assert newer.merged_into == older
    assert CustomerMerge.objects.filter(target=older, source_id=newer.pk).exists()
    assert Customer.objects.count() == 2


def test_agents_without_staff_status_cannot_open_the_admin(client):
    client.force_login(AgentFactory())
    response = client.get(reverse("admin:tickets_ticket_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_adding_a_customer_in_the_admin_keeps_every_field_and_logs_the_change(admin_client):
    from integrations.models import Change

    response = admin_client.post(
        reverse("admin:tickets_customer_add"),
        {
            "name": "Sara Karimi",
            "locale": "fa",
            "time_zone": "Asia/Tehran",
            "external_id": "crm-5",
            "attributes": '{"plan": "gold"}',
            "churned_at_0": "2026-11-01",
            "churned_at_1": "10:00:00",
            "identities-TOTAL_FORMS": "0",
            "identities-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get()
    assert (customer.name, customer.locale, customer.external_id, customer.attributes) == (
        "Sara Karimi", "fa", "crm-5", {"plan": "gold"},
    )  # fmt: skip
    assert customer.churned_at is not None
    assert Change.objects.filter(customer_id=customer.pk, kind="customer.created").exists()
