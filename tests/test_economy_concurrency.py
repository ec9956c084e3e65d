"""Two treasurers' phones sending sheets for the same meeting at once, and a member texting
while the treasurer saves, on PostgreSQL (SQLite serialises writers): each is checked against the
books as the other left them — the maximum of shares per meeting holds, the loan fund is never
lent twice — and money is conserved."""

import pytest
from django.db import connection

from ayni.economy import ledger, meeting, services
from ayni.economy.integrity import economy_violations
from ayni.economy.models import Meeting
from tests.conftest import build_world
from tests.economy_helpers import SYSTEM, days_ago, savings_group
from tests.economy_helpers import meeting as hold
from tests.test_kitchens_concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"),
]


def test_two_phones_for_one_meeting_at_once():
    world = build_world()
    group, cycle, members = savings_group(world.kitchen, n=3, shares_max=5, loan_multiple=10)
    first = hold(cycle, 30)
    for m in members:
        services.buy_shares(scope=SYSTEM, meeting=first, member=m, shares=2)  # 60.00 in the box
    on = days_ago(0).isoformat()
    results = run_at_once(
        lambda: meeting.record_sheet(scope=SYSTEM, group=group, client_id="a", data={
            "on": on, f"shares_{members[0].pk}": "3", f"loan_{members[1].pk}": "50", f"term_{members[1].pk}": "1"}),
        lambda: meeting.record_sheet(scope=SYSTEM, group=group, client_id="b", data={
            "on": on, f"shares_{members[0].pk}": "3", f"loan_{members[2].pk}": "50", f"term_{members[2].pk}": "1"}),
    )
    # One sheet is saved whole; the other finds the shares over the maximum and the fund lent: refused whole.
    assert sorted(kind for kind, _v in results) == ["error", "ok"], results
    assert Meeting.objects.filter(cycle=cycle).count() == 2
    books = ledger.books(services.rows_of(cycle))
    assert books.members[members[0].pk].shares == 5 and books.loans_outstanding == 5000
    assert books.box == 6000 + 3000 - 5000
    assert economy_violations() == []
