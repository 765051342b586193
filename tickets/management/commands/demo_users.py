"""Create (or reset) the four demo logins and print them. Used by `make demo`."""

import secrets

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from accounts.models import User
from accounts.roles import Role, user_set_role
from channels_intake.models import Mailbox
from tickets import services
from tickets.models import Channel, Customer, Team


class Command(BaseCommand):
    help = "Create or reset the demo logins (agent, manager, admin, customer) with fresh passwords and print them."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    @transaction.atomic
    def handle(self, *args, host: str, port: str, **options):
        # Fresh random passwords on every run: the demo may be reachable by others on the machine.
        logins = []
        for username, role, first_name in [
            ("agent", Role.AGENT, "Ava"),
            ("manager", Role.MANAGER, "Mani"),
            ("admin", Role.ADMIN, "Ada"),
        ]:
            user, password = self._user(username, first_name)
            user_set_role(user=user, role=role)
            if role == Role.ADMIN:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            logins.append((role.value, username, password))

        agent = User.objects.get(username="agent")
        # The demo agent works in the two busiest teams, so the queue has tickets right away.
        for team in Team.objects.annotate(n=Count("tickets")).order_by("-n", "pk")[:2]:
            team.members.add(agent)

        customer_user, password = self._user("customer", "Sara")
        self._portal_customer(customer_user)
        logins.append((Role.CUSTOMER.value, "customer", password))

        mailbox = self._demo_mailbox()
        url = f"http://{host}:{port}/"
        lines = [
            "",
            "=" * 64,
            f"  Helpdesk demo: {url}",
            "",
            f"  {'role':<10}{'login':<12}password",
        ]
        lines += [f"  {role:<10}{username:<12}{password}" for role, username, password in logins]
        lines += [
            "",
            f"  Email: mailbox '{mailbox.name}' <{mailbox.email_address}>. Send it a mail with",
            f"    .venv/bin/python manage.py ingest_email --mailbox {mailbox.name} \\",
            "      < channels_intake/demo/first-mail.eml",
            "  Replies are printed in this terminal (EMAIL_URL=consolemail://).",
            "",
            "  Passwords are new on every `make demo`. Ctrl-C stops the server.",
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))

    def _demo_mailbox(self) -> Mailbox:
        """The address the demo's mail goes to, feeding the busiest team; made once, then left as the admin set it."""
        team = Team.objects.annotate(n=Count("tickets")).order_by("-n", "pk").first()
        mailbox, _created = Mailbox.objects.get_or_create(
            name="support",
            defaults={"email_address": "support@helpdesk.example", "from_name": "Demo Support", "team": team},
        )
        return mailbox

    def _user(self, username: str, first_name: str) -> tuple[User, str]:
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "email": f"{username}@demo.example"}
        )
        user.set_password(password)
        user.is_active = True
        user.save()
        return user, password

    def _portal_customer(self, user: User) -> Customer:
        """Link the portal login to a customer who has tickets to look at."""
        existing = Customer.objects.filter(user=user).first()
        if existing:
            return existing
        customer = (
            Customer.objects.filter(user__isnull=True, merged_into__isnull=True)
            .annotate(n=Count("tickets"))
            .filter(n__gt=0)
            .order_by("-n", "pk")
            .first()
        )
        if customer is None:
            customer = services.customer_create(name="Sara Ahmadi", identities=[("email", "sara@demo.example")])
            services.ticket_create(
                customer=customer,
                subject="Where is my order?",
                channel=Channel.PORTAL,
                body_text="I ordered a week ago and have heard nothing.",
            )
        customer.user = user
        customer.save(update_fields=["user"])
        return customer
