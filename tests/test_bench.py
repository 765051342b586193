"""manage.py bench: prints one line per figure, on whatever pages exist so far."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from tickets.models import Ticket

FIGURE = r"median +[\d.]+ ms +p95 +[\d.]+ ms +queries \d+"
NOT_THERE = r"page missing|answered \d+|failed at"


@pytest.mark.django_db
def test_it_seeds_then_prints_a_line_per_figure():
    out = StringIO()

    call_command("bench", tickets=50, runs=2, creates=5, emails=40, stdout=out)

    text = out.getvalue()
    assert re.search(r"^seed +50 tickets \(.+ rows\) in [\d.]+ s$", text, re.M)
    for label in ("ticket list", r"ticket list \?status=open", r"ticket page \(50 messages\)", "manager overview"):
        assert re.search(rf"^{label} +({FIGURE}|{NOT_THERE})", text, re.M), label
    assert re.search(r"^ticket_create \+ first message +[\d.]+ per second", text, re.M)
    assert re.search(r"^email intake \(one worker\) +[\d.]+ per second +\(40 emails, \d+ tickets", text, re.M)
    # The timed creations are removed again; the long ticket stays for the next run.
    assert Ticket.objects.count() == 51
