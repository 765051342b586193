"""Factories for every model, in one place."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, user_set_role
from channels_intake.models import InboundEmail, Mailbox
from metrics.models import SurveyAnswer, SurveyInvitation, SurveyQuestion
from tickets.models import (
    Attachment,
    Channel,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    Macro,
    Message,
    Organization,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TicketParticipant,
    TimeEntry,
)

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@support.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    role = factory.PostGeneration(lambda obj, create, extracted, **kw: _apply_role(obj, extracted))


def _apply_role(user: User, role: str | None) -> None:
    user.save()  # the password set above, in one write
    if role:
        user_set_role(user=user, role=Role(role))


def _role_default(default: Role) -> factory.PostGeneration:
    return factory.PostGeneration(lambda obj, create, extracted, **kw: _apply_role(obj, extracted or default))


class AgentFactory(UserFactory):
    role = _role_default(Role.AGENT)


class ManagerFactory(UserFactory):
    role = _role_default(Role.MANAGER)


class AdminFactory(UserFactory):
    role = _role_default(Role.ADMIN)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    domain = factory.Sequence(lambda n: f"org{n}.example")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    organization = None


class CustomerIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIdentity

    customer = factory.SubFactory(CustomerFactory)
    kind = CustomerIdentity.Kind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@mail.example")


class PortalCustomerFactory(CustomerFactory):
    """A customer with a portal login."""

    user = factory.SubFactory(UserFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.add(*extracted)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as it would stand; for behaviour, create tickets through tickets.services."""

    class Meta:
        model = Ticket

    subject = factory.Faker("sentence", nb_words=6)
    channel = Channel.EMAIL
    current_channel = factory.LazyAttribute(lambda t: t.channel)
    customer = factory.SubFactory(CustomerFactory)
    team = None
    status = Ticket.Status.NEW
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    updated_at = factory.LazyAttribute(lambda t: t.created_at)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    channel = factory.LazyAttribute(lambda m: m.ticket.channel)
    direction = Message.Direction.INBOUND
    author_customer = factory.LazyAttribute(
        lambda m: m.ticket.customer if m.direction == Message.Direction.INBOUND else None
    )
    body_text = factory.Faker("paragraph")


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    message = factory.SubFactory(MessageFactory)
    filename = "invoice.txt"
    content_type = "text/plain"
    file = factory.django.FileField(filename="invoice.txt", data=b"Invoice 1042: 3 items")
    size = 21
    sha256 = "0" * 64


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    kind = TicketEvent.Kind.STATUS
    from_value = "new"
    to_value = "open"


class TimeEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeEntry

    ticket = factory.SubFactory(TicketFactory)
    agent = factory.SubFactory(AgentFactory)
    seconds = 300
    source = TimeEntry.Source.MANUAL


class CustomerMergeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerMerge

    source_id = factory.Sequence(lambda n: 10_000 + n)
    source_snapshot = factory.LazyFunction(dict)
    target = factory.SubFactory(CustomerFactory)


class MacroFactory(factory.django.DjangoModelFactory):
    """A personal macro of a new agent; pass owner=None for a shared one."""

    class Meta:
        model = Macro

    name = factory.Sequence(lambda n: f"Macro {n}")
    body = "Hello {customer_name}, about #{ticket_number}: {agent_name}"
    owner = factory.SubFactory(AgentFactory)


class MailboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mailbox
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"support{n}")
    email_address = factory.LazyAttribute(lambda box: f"{box.name}@help.example.com")
    from_name = "Example Support"


class InboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundEmail

    mailbox = factory.SubFactory(MailboxFactory)
    source = InboundEmail.Source.PIPE
    raw = b"From: someone@example.com\r\nSubject: Hello\r\nMessage-ID: <x@example.com>\r\n\r\nHi\r\n"
    size = factory.LazyAttribute(lambda row: len(row.raw))
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    dedupe_key = factory.Sequence(lambda n: f"id:factory-{n}@example.com")
    from_address = "someone@example.com"
    subject = "Hello"


class TicketParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketParticipant

    ticket = factory.SubFactory(TicketFactory)
    customer = factory.SubFactory(CustomerFactory)


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    """An invitation as it stands after a solve; for the sending itself, use metrics.surveys."""

    class Meta:
        model = SurveyInvitation

    ticket = factory.SubFactory(TicketFactory, status=Ticket.Status.SOLVED)
    customer = factory.LazyAttribute(lambda inv: inv.ticket.customer)
    channel = factory.LazyAttribute(lambda inv: inv.ticket.current_channel)
    asks_nps = False
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda inv: inv.sent_at + timedelta(days=30))


class SurveyAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyAnswer

    invitation = factory.SubFactory(SurveyInvitationFactory)
    ticket = factory.LazyAttribute(lambda answer: answer.invitation.ticket)
    customer = factory.LazyAttribute(lambda answer: answer.invitation.customer)
    question = SurveyQuestion.CSAT
    score = 5
    agent = factory.LazyAttribute(lambda answer: answer.ticket.assignee)
    team = factory.LazyAttribute(lambda answer: answer.ticket.team)
    channel = factory.LazyAttribute(lambda answer: answer.ticket.channel)


# --- Help center (knowledge) ----------------------------------------------------------------------
from knowledge.models import Article, Category  # noqa: E402 - appended section, kept apart from the rest


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    position = factory.Sequence(lambda n: n)


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published English article row as it would stand; for behaviour (sanitizing, slugs), use knowledge.services."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Help article {n}")
    slug = factory.Sequence(lambda n: f"help-article-{n}")
    body_html = factory.LazyAttribute(lambda a: f"<p>{a.body_text}</p>")
    body_text = factory.Faker("paragraph")
    language = "en"
    status = Article.Status.PUBLISHED
    category = factory.SubFactory(CategoryFactory)
    published_at = factory.LazyAttribute(lambda a: timezone.now() if a.status == Article.Status.PUBLISHED else None)
