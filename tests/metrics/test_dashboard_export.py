"""CSV export of the dashboard tables: a header row, the page's numbers, BOM, no formulas from customers."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.csv_export import TABLES, cell
from metrics.figures import OVERVIEW_FIGURES
from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db


def _url(table: str) -> str:
    return reverse("metrics:export", args=[table])


def _download(client, table: str, query=None) -> tuple[str, list[list[str]]]:
    response = client.get(_url(table), query or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{table}-')
    text = b"".join(response.streaming_content).decode("utf-8")
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _solved_ticket(subject, *, team=None, agent=None, channel=Channel.EMAIL):
    created = timezone.now() - timedelta(days=2)
    ticket = services.ticket_create(
        customer=CustomerFactory(),
        subject=subject,
        channel=channel,
        body_text="Hello",
        team=team,
        assignee=agent,
        created_at=created,
    )
    services.message_add(
        ticket=ticket,
        channel=channel,
        direction=Message.Direction.OUTBOUND,
        body_text="Hi",
        author_agent=agent or AgentFactory(),
        created_at=created + timedelta(minutes=30),
    )
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED, at=created + timedelta(hours=2))
    return ticket


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("Refund please", "Refund please"),
        (-5, "-5"),  # a number stays a number
        (12.5, "12.5"),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(value, written):
    assert cell(value) == written


def test_the_drill_down_list_exports_with_a_bom_a_header_and_neutralised_subjects(manager_client):
    agent = AgentFactory(first_name="Ava", last_name="Rahimi")
    team = TeamFactory(name="Billing", members=[agent])
    evil = _solved_ticket('=HYPERLINK("http://evil.example","Click")', team=team, agent=agent)
    persian = _solved_ticket("صورتحساب اشتباه است", team=team, agent=agent)

    text, rows = _download(manager_client, "tickets", {"figure": "fcr", "part": "resolved"})

    assert text.startswith("\ufeff")
    assert rows[0] == [
        "number",
        "subject",
        "status",
        "channel",
        "current channel",
        "team",
        "assignee",
        "created",
        "solved",
    ]
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {str(evil.pk), str(persian.pk)}
    assert by_number[str(evil.pk)][1] == '\'=HYPERLINK("http://evil.example","Click")'
    assert by_number[str(persian.pk)][1:7] == [
        "صورتحساب اشتباه است",
        "solved",
        "email",
        "email",
        "Billing",
        "Ava Rahimi",
    ]


def test_the_overview_exports_one_row_per_card_with_its_numbers(manager_client):
    _solved_ticket("One")
    _solved_ticket("Two")

    _text, rows = _download(manager_client, "overview", {"period": "7d"})

    assert rows[0][:9] == [
        "figure",
        "label",
        "unit",
        "value",
        "previous period",
        "change",
        "benchmark",
        "benchmark text",
        "beats benchmark",
    ]
    by_key = {row[0]: row for row in rows[1:]}
    assert list(by_key) == [info.key for info in OVERVIEW_FIGURES]
    assert by_key["fcr"][3:9] == ["100", "", "", "74", "74%", "yes"]
    frt = dict(zip(rows[0], by_key["first_response_time"], strict=True))
    assert (frt["value"], frt["count"], frt["calendar mean"], frt["calendar p90"]) == ("1800", "2", "1800", "1800")


def test_the_team_table_exports_the_breakdown_rows(manager_client):
    billing = TeamFactory(name="Billing")
    _solved_ticket("One", team=billing)
    _solved_ticket("Two", team=billing)

    _text, rows = _download(manager_client, "teams")

    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["name"], row["created"], row["solved"], row["fcr"]) == ("Billing", "2", "2", "100")


def test_the_escalation_matrix_exports_one_row_per_pair_of_channels(manager_client):
    chat = _solved_ticket("From chat", channel=Channel.CHAT)
    services.ticket_switch_channel(ticket=chat, channel=Channel.EMAIL)

    _text, rows = _download(manager_client, "escalations")

    assert rows[0] == ["from channel", "to channel", "switched", "started", "percent"]
    assert ["chat", "email", "1", "1", "100"] in rows
    assert len(rows) == 1 + len(Channel.values) * (len(Channel.values) - 1)


def test_the_series_exports_one_row_per_day(manager_client):
    _solved_ticket("One")

    _text, rows = _download(manager_client, "series", {"period": "7d", "series": "created", "interval": "day"})

    assert rows[0] == ["day", "created"]
    assert len(rows) == 1 + 7
    assert sum(int(row[1]) for row in rows[1:]) == 1


@pytest.mark.parametrize("table", sorted(set(TABLES) - {"tickets"}))
def test_every_table_exports(manager_client, table):
    _solved_ticket("One")

    text, rows = _download(manager_client, table)

    assert text.startswith("\ufeff")
    assert rows[0]  # a header row


def test_a_bad_filter_is_a_400_with_the_message(manager_client):
    response = manager_client.get(_url("teams"), {"period": "forever"})

    assert response.status_code == 400
    assert "Unknown period" in response.content.decode()


def test_an_unknown_table_is_404_and_agents_get_403(client):
    client.force_login(ManagerFactory())
    assert client.get(_url("salaries")).status_code == 404
    client.force_login(AgentFactory())
    assert client.get(_url("overview")).status_code == 403


def test_the_ticket_list_of_an_unknown_figure_is_a_400(manager_client):
    response = manager_client.get(_url("tickets"), {"figure": "happiness"})

    assert response.status_code == 400
