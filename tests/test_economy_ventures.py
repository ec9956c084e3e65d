"""Women's ventures: registered as members of an organisation, the women who earn from them
(socias of the tree only), sales and costs by month in céntimos, the roll-up that counts each
woman once, names only for who may see them, and a drifted month named by the integrity check."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ayni.audit.models import AuditEntry
from ayni.economy import ventures
from ayni.economy.integrity import economy_violations
from ayni.economy.models import VentureMonth
from ayni.people.services import register_person
from tests.economy_helpers import SYSTEM, days_ago

pytestmark = pytest.mark.django_db


def socia(org, n):
    return register_person(
        scope=SYSTEM, organisation=org, given_names=f"Emprendedora {n}", paternal_surname=f"Ventura{n:03}"
    )


def bakery(org, name="Panadería Santa Rosa"):
    return ventures.create_venture(scope=SYSTEM, organisation=org, name=name, activity="food", products="Pan")


def test_a_venture_with_its_women_and_months_rolls_up_each_woman_once(world):
    one, two = bakery(world.kitchen), bakery(world.kitchen, "Tejidos Warmi")
    ana, eva = socia(world.kitchen, 1), socia(world.kitchen, 2)
    for venture in (one, two):
        ventures.add_venture_member(scope=SYSTEM, venture=venture, person=ana, since=days_ago(90))
    ventures.add_venture_member(scope=SYSTEM, venture=one, person=eva, since=days_ago(30))
    this_month = days_ago(0).replace(day=1)
    ventures.record_month(scope=SYSTEM, venture=one, month=this_month, sales=150_050, costs=90_025)
    ventures.record_month(scope=SYSTEM, venture=two, month=days_ago(40), sales=20_000, costs=5_000)
    figures = ventures.rollup(SYSTEM, under=world.lima.path)
    assert figures["ventures"] == 2 and figures["women"] == 2 and figures["reporting"] == 2
    assert (figures["sales"], figures["costs"], figures["net"]) == (170_050, 95_025, 75_025)
    assert ventures.rollup(SYSTEM, under=world.cusco.path)["ventures"] == 0


def test_a_correction_replaces_the_month_and_the_audit_keeps_what_it_said(world):
    venture = bakery(world.kitchen)
    month = days_ago(0).replace(day=1)
    ventures.record_month(scope=SYSTEM, venture=venture, month=month, sales=10_000, costs=4_000)
    ventures.record_month(
        scope=SYSTEM, venture=venture, month=month + datetime.timedelta(days=3), sales=12_000, costs=4_000
    )
    assert list(VentureMonth.objects.values_list("month", "sales")) == [(month, 12_000)]
    last = AuditEntry.objects.filter(action="venture.month").order_by("-pk").first()
    assert last.before["sales"] == 10_000 and last.after["sales"] == 12_000


def test_bad_input_is_refused_in_spanish_and_nothing_is_saved(world):
    venture = bakery(world.kitchen)
    stranger = socia(world.kitchen_other, 9)
    with pytest.raises(ValidationError, match="no es socia"):
        ventures.add_venture_member(scope=SYSTEM, venture=venture, person=stranger, since=days_ago(1))
    with pytest.raises(ValidationError) as exc:
        ventures.record_month(scope=SYSTEM, venture=venture, month=days_ago(0), sales=-1, costs=0)
    assert "cero o más" in str(exc.value)
    with pytest.raises(ValidationError, match="aún no empieza"):
        ventures.record_month(scope=SYSTEM, venture=venture, month=days_ago(-40), sales=1, costs=0)
    ana = socia(world.kitchen, 1)
    ventures.add_venture_member(scope=SYSTEM, venture=venture, person=ana, since=days_ago(1))
    with pytest.raises(ValidationError, match="ya trabaja"):
        ventures.add_venture_member(scope=SYSTEM, venture=venture, person=ana, since=days_ago(1))
    assert not VentureMonth.objects.exists() and venture.members.count() == 1


def test_the_pages_register_a_venture_and_its_month_and_names_stay_personal(world, login):
    client = login(world.leader)
    response = client.post(
        reverse("economy:venture_create", kwargs={"pk": world.kitchen.pk}),
        {"name": "Catering Mamá Killa", "activity": "catering", "products": "Menús"},
    )
    assert response.status_code == 302
    venture = ventures.visible_ventures(SYSTEM).get(name="Catering Mamá Killa")
    ana = socia(world.kitchen, 1)
    kwargs = {"pk": world.kitchen.pk, "venture": venture.pk}
    assert (
        client.post(
            reverse("economy:venture_member_add", kwargs=kwargs),
            {"person": ana.pk, "since": days_ago(3).strftime("%d/%m/%Y")},
        ).status_code
        == 302
    )
    month = days_ago(0).strftime("%m/%Y")
    assert (
        client.post(
            reverse("economy:venture_month", kwargs=kwargs), {"month": month, "sales": "1234.50", "costs": "200"}
        ).status_code
        == 302
    )
    assert VentureMonth.objects.get(venture=venture).sales == 123_450
    page = client.get(reverse("economy:venture", kwargs=kwargs)).content.decode()
    assert ana.full_name in page and "S/ 1,234.50" in page
    listing = client.get(reverse("economy:ventures", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert "Mujeres que ganan de ellos" in listing and "Catering Mamá Killa" in listing
    bad = client.post(reverse("economy:venture_month", kwargs=kwargs), {"month": "trece", "sales": "1", "costs": "1"})
    assert bad.status_code == 200 and "mm/aaaa" in bad.content.decode()
    viewer = login(world.viewer).get(reverse("economy:venture", kwargs=kwargs)).content.decode()
    assert ana.full_name not in viewer and "1 mujer trabaja" in viewer


def test_a_venture_out_of_sight_is_not_found(world, login):
    venture = bakery(world.kitchen)
    client = login(world.coordinator_other)
    url = reverse("economy:venture", kwargs={"pk": world.kitchen_other.pk, "venture": venture.pk})
    assert client.get(url).status_code == 404


def test_the_integrity_check_names_a_month_not_on_its_first_day(world):
    venture = bakery(world.kitchen)
    VentureMonth.objects.create(venture=venture, month=days_ago(0).replace(day=15), sales=1, costs=0)
    assert any("primer día" in v for v in economy_violations())
