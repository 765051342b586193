"""Customer retention ((C − B) ÷ A) and its split by satisfaction, worked out by hand for January 2025.

A customer counts from its creation until it is marked churned; a customer merged into another is
left out. Retention reads the customer table live whatever the rollup setting.
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics import figures
from metrics.scope import scope_for_days
from tests.factories import SurveyAnswerFactory, SurveyInvitationFactory, TicketFactory
from tests.metrics.conftest import at
from tickets import services
from tickets.models import Customer

pytestmark = pytest.mark.django_db


def january():
    return scope_for_days(date(2025, 1, 1), date(2025, 1, 31))


@pytest.fixture
def customers():
    def customer(name, created, churned=None):
        made = services.customer_create(name=name)
        # Customer.created_at is set on insert; these customers have a past.
        Customer.objects.filter(pk=made.pk).update(created_at=created)
        if churned:
            services.customer_mark_churned(customer=made, at=churned)
        made.refresh_from_db()
        return made

    before = at(2024, 6, 1, 12)
    made = {
        "stays": customer("Stays", before),  # A and C
        "churns": customer("Churns in January", before, at(2025, 1, 15, 12)),  # A, not C
        "churned_before": customer("Churned in December", before, at(2024, 12, 1, 12)),  # neither
        "new": customer("New in January", at(2025, 1, 10, 12)),  # B and C
        "new_churns": customer("New and gone", at(2025, 1, 10, 12), at(2025, 1, 20, 12)),  # B, not C
        "also_stays": customer("Also stays", before),  # A and C
        "later": customer("Arrives in February", at(2025, 2, 5, 12)),  # none
    }
    # Would be A and C, but was merged into "stays": left out.
    services.customer_merge(source=customer("Duplicate", before), target=made["stays"])
    return made


def test_retention(customers):
    # A (at the start) = stays, churns, also_stays = 3; B (gained) = new, new_churns = 2;
    # C (at the end) = stays, also_stays, new = 3. (3 − 2) ÷ 3 = 33.3%.
    # Counting the merged duplicate would give (4 − 2) ÷ 4 = 50%.
    retention = figures.figure(january(), "retention")
    assert (retention.at_start, retention.gained, retention.at_end) == (3, 2, 3)
    assert retention.rate == pytest.approx(100 / 3)


def test_retention_by_satisfaction(customers):
    def csat(customer, score, day=15):
        invitation = SurveyInvitationFactory(ticket=TicketFactory(customer=customer))
        SurveyAnswerFactory(invitation=invitation, score=score, answered_at=at(2025, 1, day, 12))

    csat(customers["stays"], 5)  # satisfied
    csat(customers["also_stays"], 4)  # satisfied
    csat(customers["churns"], 2)  # dissatisfied
    csat(customers["new"], 4)  # mean (4 + 2) / 2 = 3: dissatisfied
    csat(customers["new"], 2)
    csat(customers["new_churns"], 5, day=1)  # two tickets, both 5, on January 1st: satisfied, though gone by
    csat(customers["new_churns"], 5, day=1)  # the end
    SurveyAnswerFactory(  # answered in February: in neither group
        invitation=SurveyInvitationFactory(ticket=TicketFactory(customer=customers["churned_before"])),
        score=1,
        answered_at=at(2025, 2, 2, 12),
    )

    split = figures.figure(january(), "retention_by_satisfaction")

    # Satisfied: stays, also_stays (A 2, B 0, C 2) and new_churns (B 1, not C): A 2, B 1, C 2 → (2 − 1) ÷ 2 = 50%.
    satisfied = split["satisfied"]
    assert (satisfied.at_start, satisfied.gained, satisfied.at_end) == (2, 1, 2)
    assert satisfied.rate == 50.0
    # Dissatisfied: churns (A, not C) and new (B and C): A 1, B 1, C 1 → (1 − 1) ÷ 1 = 0%.
    dissatisfied = split["dissatisfied"]
    assert (dissatisfied.at_start, dissatisfied.gained, dissatisfied.at_end) == (1, 1, 1)
    assert dissatisfied.rate == 0.0
