"""The SAVIX indicators per group and rolled up through the tree, equal to the books, and their
CSV with SAVIX's column names."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from ayni.economy import indicators, services
from ayni.economy.models import GroupMember
from tests.economy_helpers import SYSTEM, days_ago, meeting, savings_group

pytestmark = pytest.mark.django_db


def test_indicators_per_group_and_rolled_up(world, login):
    g1, c1, m1 = savings_group(world.kitchen, n=4)
    g2, c2, m2 = savings_group(world.kitchen_other, n=2)
    first = meeting(c1, 100)
    for m in m1:
        services.buy_shares(scope=SYSTEM, meeting=first, member=m, shares=5)
    services.record_attendance(scope=SYSTEM, meeting=first, present=[m.pk for m in m1[:3]])
    services.disburse_loan(scope=SYSTEM, meeting=first, member=m1[0], principal=6000, term_months=2)
    services.disburse_loan(scope=SYSTEM, meeting=first, member=m1[1], principal=2000, term_months=3)
    services.repay(scope=SYSTEM, meeting=meeting(c1, 70), member=m1[1], amount=2100)  # 100 interest (a month), paid off
    services.pay_fine(scope=SYSTEM, meeting=meeting(c1, 69), member=m1[2], reason="x", amount=200)
    GroupMember.objects.filter(pk=m1[3].pk).update(left_on=days_ago(5))
    services.buy_shares(scope=SYSTEM, meeting=meeting(c2, 10), member=m2[0], shares=1)
    per = indicators.indicators(SYSTEM, by_group=True)
    one = per[g1.pk]
    assert (one["members"], one["savings"], one["loans_outstanding"], one["loans_count"]) == (3, 20000, 6000, 1)
    assert one["attendance"] == Decimal("75.0") and one["dropouts"] == Decimal("25.0")
    assert one["par"] == Decimal("100.0")  # 100 days, nothing repaid of a 2-month loan
    assert one["return_on_savings"] == Decimal("1.5")  # (100 + 200) / 20000
    national = indicators.indicators(SYSTEM)
    assert (national["groups"], national["members"], national["savings"]) == (2, 5, 21000)
    lima = indicators.indicators(SYSTEM, under=world.lima.path)
    assert (lima["groups"], lima["savings"]) == (1, 20000)
    client = login(world.coordinator)
    page = client.get(reverse("economy:report", kwargs={"pk": world.lima.pk})).content.decode()
    assert "Cartera en riesgo (%)" in page and "S/ 200.00" in page
    body = client.get(reverse("economy:report", kwargs={"pk": world.lima.pk}), {"formato": "csv"}).content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Group", "Number of groups", "Number of members", "Number of women members"]
    assert "Portfolio at risk (%)" in rows[0] and "Return on savings (%)" in rows[0]
    assert len(rows) == 2 and rows[1][0] == g1.name and rows[1][rows[0].index("Value of savings this cycle")] == "200"
