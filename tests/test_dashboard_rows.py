"""The dashboard's long tables are written row by row in Python (evidence/rows.py): the same HTML,
byte for byte, as the template loop they replace, in every language, with every kind of value."""

from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from ayni.evidence import rows, selectors
from tests.evidence_helpers import add_activity, selection

pytestmark = pytest.mark.django_db

# The loops as `_dashboard_body.html` had them.
SUBUNITS = engines["django"].from_string(
    """{% load i18n cifras %}{% for u in subunits %}<tr><td>{% if u.org %}<a href="?org={{ u.org.pk }}&amp;desde={{ sel.first|date:'Y-m' }}&amp;hasta={{ sel.last|date:'Y-m' }}{% if sel.place %}&amp;lugar={{ sel.place.code }}{% endif %}">{{ u.name }}</a>{% else %}<a href="?{{ qs }}&amp;lugar={{ u.key }}">{{ u.name }}</a>{% endif %}</td><td>{{ u.active_kitchens|cifra }}</td><td>{{ u.figures.completeness_pct|default_if_none:"—" }} %</td><td>{{ u.figures.rations_served|cifra }}</td><td>{{ u.figures.free_pct|default_if_none:"—" }} %</td><td>{{ u.figures.gap_per_ration|default_if_none:"—" }}</td></tr>
{% empty %}<tr><td colspan="6">{% translate "Sin unidades con cocinas." %}</td></tr>{% endfor %}""")  # noqa: E501
DELIVERIES = engines["django"].from_string(
    """{% load i18n cifras %}{% for d in deliveries %}<tr><td><a href="{% url 'evidence:kitchens' %}?{{ qs }}&amp;lugar={{ d.code }}">{{ d.name }}</a></td><td>{{ d.deliveries|cifra }}</td><td>{{ d.late|cifra }} ({{ d.late_pct }} %)</td><td>{{ d.short|cifra }} ({{ d.short_pct }} %)</td><td>{{ d.pending|cifra }}</td><td>{{ d.average_days_late|cifra }}</td></tr>
{% empty %}<tr><td colspan="6">{% translate "No hay entregas programadas en estos meses." %}</td></tr>{% endfor %}""")  # noqa: E501

ODD_DELIVERIES = [
    {"code": "150101", "name": "Lima <Cercado> & \"Rímac\"", "deliveries": 1234567, "late": -1000, "short": 999,
     "pending": 0, "late_pct": 12.5, "short_pct": None, "average_days_late": Decimal("2.50")},
    {"code": "080101", "name": "Cusco", "deliveries": 7, "late": 1000, "short": 0, "pending": 12,
     "late_pct": 0.0, "short_pct": 100.0, "average_days_late": None},
    {"code": "080102", "name": "Ccorca", "deliveries": 3, "late": 1, "short": 2, "pending": 1,
     "late_pct": 33.3, "short_pct": 66.7, "average_days_late": Decimal("3")},
    {"code": "080103", "name": "Poroy", "deliveries": 12345678, "late": 2, "short": 3, "pending": 4,
     "late_pct": 1e-05, "short_pct": -0.5, "average_days_late": 1.25},
    {"code": "080104", "name": "Saylla", "deliveries": 0, "late": 0, "short": 0, "pending": 0,
     "late_pct": float("inf"), "short_pct": 1234567.5, "average_days_late": Decimal("1234.5")},
    *({"code": "080105", "name": "Santiago", "deliveries": 1, "late": 1, "short": 1, "pending": 1, "late_pct": 1.5,
       "short_pct": 2.5, "average_days_late": days}
      for days in (0.0, 0.1, 0.5, 2.005, 2.675, 12.0, 999.995, 1234.5, 1234567.25, 1e-05, 7.3, 100.0, 0)),
]


@pytest.mark.parametrize("language", ["es", "en", "qu"])
def test_the_rows_are_the_template_loops_html(world, language):
    add_activity(world)
    with translation.override(language):
        for who, place, by in ((world.national, None, "org"), (world.coordinator, None, "org"),
                               (world.national, "08", "geo")):
            sel = selection(who, place=place)
            qs = sel.querystring() + "&x=<y>"
            units = selectors.subunits(sel, by)
            assert units
            assert str(rows.subunit_rows(units, sel, qs)) == SUBUNITS.render({"subunits": units, "sel": sel, "qs": qs})
            found = selectors.deliveries(sel)
            for deliveries in (found, ODD_DELIVERIES, []):
                expected = DELIVERIES.render({"deliveries": deliveries, "qs": qs})
                assert str(rows.delivery_rows(deliveries, qs)) == expected
        assert str(rows.subunit_rows([], sel, qs)) == SUBUNITS.render({"subunits": [], "sel": sel, "qs": qs})
