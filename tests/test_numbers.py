"""Numbers as Peru writes them on every page, the PDF and the charts: a comma between thousands,
a point before decimals (S/ 1,443,540.50; 692,917) — never Spain's 1.443.540,50."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from ayni.evidence.charts import fmt
from tests.kitchens import TODAY, report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["es", "es-pe", "en"])
def test_figures_and_money_are_grouped_with_commas_and_a_decimal_point(language):
    page = Template('{% load cifras %}{{ money|floatformat:"2g" }} · {{ n|floatformat:"g" }} · {{ n|cifra }} · '
                    '{{ q|cifra }} · {{ word|cifra }}')
    with translation.override(language):
        out = page.render(Context({"money": Decimal("1443540.5"), "n": 692917, "q": Decimal("1250.250"),
                                   "word": "—"}))
        assert out == "1,443,540.50 · 692,917 · 692,917 · 1,250.25 · —"
        assert fmt(1443540.5, 2) == "1,443,540.50"


def test_a_months_money_on_the_kitchen_page(login, world):
    report(world.kitchen, TODAY, rations_prepared=1500, served_paying=1500, served_subsidised=0, served_free=0,
           confirm=True, cash_received=Decimal("12345.50"))
    kwargs = {"pk": world.kitchen.pk, "year": TODAY.year, "month": TODAY.month}
    html = login(world.leader).get(reverse("kitchens:month", kwargs=kwargs)).content.decode()
    assert "S/ 12,345.50" in html and "<b>1,500</b>" in html
    assert "12345,50" not in html and "12.345,50" not in html
