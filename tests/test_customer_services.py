"""One person on several channels stays one customer: identities, normalization and merges."""

import pytest

from tests.factories import AgentFactory, CustomerFactory, UserFactory
from tickets import services
from tickets.identities import InvalidIdentity, normalize_identity
from tickets.models import Channel, Customer, CustomerIdentity, CustomerMerge, Message, TicketEvent

pytestmark = pytest.mark.django_db

Kind = CustomerIdentity.Kind


@pytest.mark.parametrize(
    ("kind", "raw", "normalized"),
    [
        (Kind.EMAIL, "Alice@Example.COM", "alice@example.com"),
        (Kind.EMAIL, " <alice@example.com> ", "alice@example.com"),
        (Kind.PHONE, "+98 912 345 6789", "+989123456789"),
        (Kind.PHONE, "0912 345 6789", "+989123456789"),
        (Kind.PHONE, "۰۹۱۲۳۴۵۶۷۸۹", "+989123456789"),  # Persian digits
        (Kind.PHONE, "+1 (415) 555-0100", "+14155550100"),
        (Kind.SOCIAL, "  @Alice_Shop ", "@alice_shop"),
    ],
)
def test_identities_are_normalized(kind, raw, normalized):
    assert normalize_identity(kind, raw) == normalized


@pytest.mark.parametrize(
    ("kind", "raw"), [(Kind.EMAIL, "not an address"), (Kind.PHONE, "call me"), (Kind.PHONE, "12"), (Kind.CHAT, " ")]
)
def test_invalid_identities_get_a_clear_error(kind, raw):
    with pytest.raises(InvalidIdentity):
        normalize_identity(kind, raw)


def test_the_same_address_written_differently_finds_the_same_customer():
    alice = services.customer_create(name="Alice", identities=[(Kind.EMAIL, "Alice@Example.COM")])

    found, created = services.customer_get_or_create_by_identity(kind=Kind.EMAIL, value="alice@example.com")

    assert (found, created) == (alice, False)
    assert CustomerIdentity.objects.count() == 1


def test_a_phone_with_and_without_country_code_is_one_identity():
    alice = services.customer_create(name="Alice", identities=[(Kind.PHONE, "+98 912 345 6789")])

    found, created = services.customer_get_or_create_by_identity(kind=Kind.PHONE, value="0912-345-6789")

    assert found == alice
    assert not created


def test_first_contact_creates_a_customer_with_a_primary_identity():
    customer, created = services.customer_get_or_create_by_identity(
        kind=Kind.EMAIL, value="New@Person.example", name="New Person"
    )

    assert created
    identity = customer.identities.get()
    assert (identity.value, identity.is_primary) == ("new@person.example", True)


def test_one_customer_on_three_channels_has_three_identities():
    customer = services.customer_create(
        name="Sara",
        identities=[(Kind.EMAIL, "sara@example.com"), (Kind.PHONE, "+989121112233"), (Kind.CHAT, "visitor-81")],
    )
    for kind, value in [(Kind.EMAIL, "SARA@example.com"), (Kind.PHONE, "09121112233"), (Kind.CHAT, "Visitor-81")]:
        assert services.customer_get_or_create_by_identity(kind=kind, value=value)[0] == customer
    assert Customer.objects.count() == 1


def test_adding_an_identity_owned_by_another_customer_is_refused_and_names_the_owner():
    alice = services.customer_create(name="Alice", identities=[(Kind.EMAIL, "alice@example.com")])
    bob = CustomerFactory(name="Bob")

    with pytest.raises(services.IdentityTaken) as error:
        services.customer_identity_add(customer=bob, kind=Kind.EMAIL, value="ALICE@example.com")

    assert error.value.owner == alice
    assert "Merge" in error.value.messages[0]
    assert CustomerIdentity.objects.count() == 1


def test_adding_an_identity_twice_to_the_same_customer_is_harmless():
    alice = services.customer_create(name="Alice", identities=[(Kind.EMAIL, "alice@example.com")])
    services.customer_identity_add(customer=alice, kind=Kind.EMAIL, value="Alice@Example.com")
    assert alice.identities.count() == 1


def test_customer_merge_moves_identities_tickets_messages_and_keeps_an_audit_entry():
    agent = AgentFactory()
    target = services.customer_create(name="Alice", identities=[(Kind.EMAIL, "alice@example.com")])
    source = services.customer_create(
        name="",
        identities=[(Kind.PHONE, "+989123456789")],
        locale="fa",
        external_id="crm-77",
        attributes={"plan": "pro"},
    )
    source_user = UserFactory()
    source.user = source_user
    source.save(update_fields=["user"])
    ticket = services.ticket_create(customer=source, subject="Call me", channel=Channel.PHONE, body_text="Hi")

    merge = services.customer_merge(source=source, target=target, actor=agent)

    target.refresh_from_db()
    source.refresh_from_db()
    ticket.refresh_from_db()
    assert ticket.customer == target
    assert Message.objects.get(ticket=ticket).author_customer == target
    assert set(target.identities.values_list("value", flat=True)) == {"alice@example.com", "+989123456789"}
    assert source.merged_into == target
    assert (target.name, target.locale, target.external_id) == ("Alice", "fa", "crm-77")
    assert target.attributes == {"plan": "pro"}
    assert target.user == source_user
    assert merge.actor == agent
    assert merge.moved_tickets == 1
    assert merge.source_snapshot["identities"] == [{"kind": "phone", "value": "+989123456789"}]
    assert ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER, to_value=str(target.pk)).exists()
    # The phone now finds the surviving customer.
    assert services.customer_get_or_create_by_identity(kind=Kind.PHONE, value="09123456789")[0] == target


def test_merging_a_customer_into_itself_or_twice_is_refused():
    alice, bob, carol = CustomerFactory(), CustomerFactory(), CustomerFactory()
    with pytest.raises(services.InvalidMerge):
        services.customer_merge(source=alice, target=alice)
    services.customer_merge(source=bob, target=alice)
    with pytest.raises(services.InvalidMerge, match="already merged"):
        services.customer_merge(source=bob, target=carol)
    with pytest.raises(services.InvalidMerge, match=str(alice.pk)):
        services.customer_merge(source=carol, target=bob)
    assert CustomerMerge.objects.count() == 1


def test_a_ticket_for_a_merged_customer_goes_to_the_surviving_customer():
    alice, bob = CustomerFactory(), CustomerFactory()
    services.customer_merge(source=bob, target=alice)
    bob.refresh_from_db()

    ticket = services.ticket_create(customer=bob, subject="Hello", channel=Channel.EMAIL, body_text="x")

    assert ticket.customer == alice
