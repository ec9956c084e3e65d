"""Charts and maps are drawn once per set of figures: a second viewer of the same subtree and
months gets the drawing from the cache, and a write that changes the roll-up changes the
figures, so the next page draws anew."""

import pytest
from django.urls import reverse

from ayni.evidence import charts, maps
from ayni.lib.drawn import digest
from tests.evidence_helpers import add_activity
from tests.kitchens import days_ago, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawings(monkeypatch):
    """The names of the charts and maps drawn (not taken from the cache) during the test."""
    from django.core.cache import cache

    cache.clear()
    drawn = []
    for module, name in ((charts, "bar_chart"), (charts, "line_chart"), (charts, "stacked_bar_chart"),
                         (maps, "choropleth")):
        wrapper = getattr(module, name)

        def counting(*args, _real=wrapper.uncached, _name=name, **kwargs):
            drawn.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(wrapper, "uncached", counting)
    return drawn


def test_the_second_viewer_of_the_same_figures_gets_the_same_drawings_from_the_cache(world, login, drawings):
    add_activity(world, days=5)
    first = login(world.national).get(reverse("evidence:dashboard")).content
    assert len(drawings) == 6
    again = login(world.viewer).get(reverse("evidence:dashboard")).content
    assert len(drawings) == 6  # nothing drawn again
    assert first.count(b"<svg") == again.count(b"<svg") == 6
    # Same figures, same drawings: the viewer's page holds exactly the national board's charts.
    svgs = [part.split(b"</svg>")[0] for part in first.split(b"<svg")[1:]]
    assert all(svg in again for svg in svgs)


def test_a_new_report_changes_the_figures_and_so_the_drawing(world, drawings):
    from ayni.evidence import selectors
    from ayni.evidence.views import dashboard_charts
    from tests.evidence_helpers import selection

    add_activity(world, days=5)
    rows = [("Lima", 10.0), ("Cusco", 20.0)]
    assert charts.bar_chart("Partes", rows) == charts.bar_chart("Partes", list(rows))
    assert drawings == ["bar_chart"]
    assert digest("Partes", rows) != digest("Partes", [("Lima", 10.0), ("Cusco", 20.5)])
    before = dashboard_charts(selectors.dashboard(selection(world.national, world.confed)))["rations"]
    report(world.olla, days_ago(6), served_paying=99, served_subsidised=1, served_free=1, rations_prepared=101)
    after = dashboard_charts(selectors.dashboard(selection(world.national, world.confed)))["rations"]
    assert before != after
    assert drawings.count("stacked_bar_chart") == 2


def test_the_need_map_is_drawn_once_for_everyone(world, login, drawings):
    for user in (world.national, world.coordinator, world.viewer):
        assert login(user).get(reverse("evidence:map")).status_code == 200
    # The need map (same for all) once; the coverage maps differ by what each one sees.
    assert drawings.count("choropleth") < 6
