"""manage.py bench: prints one line per figure, on whatever pages exist so far."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from metrics.figures import ALL_KEYS
from tickets.models import Ticket

FIGURE = r"median +[\d.]+ ms +p95 +[\d.]+ ms +queries \d+"
TARGET = r" +(ok \(< \d+ ms\)|OVER TARGET \(\d+ ms\))"
NOT_THERE = r"page missing|answered \d+|failed at"


@pytest.mark.django_db
def test_it_seeds_then_prints_a_line_per_figure():
    out = StringIO()

    call_command("bench", tickets=50, runs=2, creates=5, emails=40, figure_runs=1, stdout=out)

    text = out.getvalue()
    assert re.search(r"^seed +50 tickets \(.+ rows\) in [\d.]+ s$", text, re.M)
    assert re.search(r"^rollups: full rebuild +[\d.]+ ms$", text, re.M)
    for label in ("ticket list", r"ticket list \?status=open", r"ticket page \(50 messages\)", "manager overview"):
        assert re.search(rf"^{label} +({FIGURE}|{NOT_THERE})", text, re.M), label
    assert re.search(r"^ticket_create \+ first message +[\d.]+ per second", text, re.M)
    assert re.search(r"^email intake \(one worker\) +[\d.]+ per second +\(40 emails, \d+ tickets", text, re.M)
    # The timed creations are removed again; the long ticket stays for the next run.
    assert Ticket.objects.count() == 51


@pytest.mark.django_db
def test_it_times_the_dashboards_against_their_targets():
    out = StringIO()

    call_command("bench", tickets=50, runs=1, creates=1, emails=0, figure_runs=1, stdout=out)

    text = out.getvalue()
    assert re.search(rf"^overview 12m \(manager\) +{FIGURE}{TARGET}$", text, re.M)
    assert re.search(rf"^overview 12m team=\d+ +{FIGURE}{TARGET}$", text, re.M)
    for key in ALL_KEYS:
        assert re.search(rf"^figure {key} +{FIGURE}{TARGET}$", text, re.M), key
        assert re.search(rf"^api {key} +{FIGURE}{TARGET}$", text, re.M), key
    assert re.search(rf"^figure breakdown by team +{FIGURE}{TARGET}$", text, re.M)
    assert re.search(rf"^api breakdown/team +{FIGURE}{TARGET}$", text, re.M)
    assert re.search(r"^rollups: refresh after a minute +[\d.]+ ms +queries \d+ +\(\d+ tickets changed", text, re.M)


@pytest.mark.django_db
def test_it_times_the_api_lists_against_their_target():
    out = StringIO()

    call_command("bench", tickets=50, runs=1, creates=1, emails=0, figure_runs=1, api_creates=0, stdout=out)

    text = out.getvalue()
    assert re.search(rf"^api list \?status=open +{FIGURE}{TARGET}$", text, re.M)
    assert re.search(rf"^api list \?ordering=id \(walk\) +{FIGURE}{TARGET}$", text, re.M)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_drives_ticket_creation_through_a_real_gunicorn():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("gunicorn's workers need a database other processes can open; the SQLite test one is in memory")
    out = StringIO()

    call_command("bench", tickets=20, runs=1, creates=1, emails=0, figure_runs=1, api_creates=40, stdout=out)

    text = out.getvalue()
    line = re.search(r"^api POST /tickets/ \(gunicorn -w 2\) +([\d.]+) per second .*\(40 in [\d.]+ s\)", text, re.M)
    assert line, text
    assert float(line.group(1)) > 0
    assert "errors" not in line.group(0)
    assert not Ticket.objects.filter(subject__startswith="Bench API ticket").exists()
