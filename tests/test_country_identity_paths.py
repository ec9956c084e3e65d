"""Every path that takes an identity number reads it with the organisation's country: the roll
(its form, the offline API, the import, the search), governance (delegates, elections, the dues
text) and the organisation form, which offers the places of its country's pack. Peru's paths are
as they were."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ayni.capture.inbound import receive_text
from ayni.capture.models import Channel, Inbound
from ayni.geo.models import Area, District
from ayni.geo.packs import load_pack
from ayni.governance import dues, elections, services
from ayni.governance.models import DuesPayment, Elector
from ayni.lib.identity import labelled, parse_identity, relabel
from ayni.ops.integrity import country_violations
from ayni.orgs.models import Organisation
from ayni.orgs.services import create_organisation, move_organisation, update_organisation
from ayni.people.models import Person, PositionKind
from ayni.people.selectors import search_people
from ayni.people.services import assign_position, register_person
from ayni.rolls import selectors as roll_selectors
from ayni.rolls.imports import apply_import, preview_import, upload_import
from ayni.rolls.models import RollEntry
from tests.conftest import as_scope, kind
from tests.governance_helpers import SYSTEM, Clock, convene, in_session
from tests.rolls_helpers import cat, put_on_roll, xlsx_bytes

pytestmark = pytest.mark.django_db

PERUVIAN_DNI = "45678912-4"  # with the check character RENIEC prints for 45678912
NOT_A_CI = "DNI de Perú, no de cédula de identidad de Bolivia"


@pytest.fixture
def bolivia(world):
    load_pack("BO")
    fed = create_organisation(
        scope=SYSTEM,
        kind=kind("federacion-provincial"),
        parent=world.confed,
        name="Federación de Mujeres de El Alto",
        country="BO",
        area=Area.objects.get(country_id="BO", code="0201"),
    )
    kitchen = create_organisation(
        scope=SYSTEM,
        kind=kind("comedor-popular"),
        parent=fed,
        name="Comedor Wiphala",
        area=Area.objects.get(country_id="BO", code="020105"),
    )
    socia = register_person(
        scope=SYSTEM,
        organisation=kitchen,
        given_names="Justina",
        paternal_surname="Mamani",
        dni="4870123 LP",
        phone="+59171234567",
        since=timezone.localdate() - datetime.timedelta(days=400),
    )
    world.bo_fed, world.bo_kitchen, world.bo_socia = fed, kitchen, socia
    return world


def test_a_dash_before_one_letter_is_a_dni_check_not_a_bolivian_complement():
    assert parse_identity("1234567-1A", "BO").number == "BO-1234567-1A"
    assert parse_identity("1234567-LP", "BO").number == "BO-1234567"
    with pytest.raises(ValidationError, match=NOT_A_CI):
        parse_identity("12345678-E", "BO")  # E is the check letter of DNI 12345678
    assert relabel("DNI de la delegada", "BO") == "Cédula de identidad de la delegada"
    assert relabel("DNI de la delegada", "PE") == "DNI de la delegada"
    assert labelled("BO-4870123") == "cédula de identidad 4870123" and labelled("45678912") == "DNI 45678912"


# --- The roll ------------------------------------------------------------------------------------------


def test_a_bolivian_kitchens_roll_takes_a_ci_and_refuses_a_peruvian_dni(bolivia):
    entry = put_on_roll(bolivia.bo_kitchen, given_names="Sabina", paternal_surname="Quispe", dni="6123456 LP")
    assert entry.person.dni == "BO-6123456"
    with pytest.raises(ValidationError) as refused:
        put_on_roll(bolivia.bo_kitchen, given_names="Rosa", paternal_surname="Choque", dni=PERUVIAN_DNI)
    assert NOT_A_CI in " ".join(refused.value.message_dict["dni"])
    # The same digits in Lima are a DNI, as always.
    assert put_on_roll(bolivia.kitchen, dni="61234560").person.dni == "61234560"
    with pytest.raises(ValidationError, match="El DNI debe tener 8 dígitos"):
        put_on_roll(bolivia.kitchen, given_names="Sabina", paternal_surname="Quispe", dni="6123456")


def test_the_roll_form_of_a_bolivian_kitchen_asks_for_the_ci(bolivia, login):
    client = login(bolivia.national)
    url = reverse("rolls:add", args=[bolivia.bo_kitchen.pk])
    page = client.get(url).content.decode()
    assert "Cédula de identidad (si tiene)" in page and "complemento" in page
    today = timezone.localdate().strftime("%d/%m/%Y")
    post = {
        "given_names": "Sabina",
        "paternal_surname": "Quispe",
        "sex": "F",
        "category": cat("adulto-mayor").pk,
        "ration": "subsidised",
        "consent_method": "signed",
        "consent_on": today,
        "since": today,
        "misma": "nueva",
    }
    refused = client.post(url, {**post, "dni": PERUVIAN_DNI})
    assert refused.status_code == 200 and NOT_A_CI in refused.content.decode()
    assert client.post(url, {**post, "dni": "6123456-1A"}).status_code == 302
    assert RollEntry.objects.get(kitchen=bolivia.bo_kitchen).person.dni == "BO-6123456-1A"
    found = client.get(reverse("rolls:roll", args=[bolivia.bo_kitchen.pk]), {"q": "61234"}).content.decode()
    assert "Nombre o cédula de identidad" in found and "Sabina Quispe" in found
    # Lima's form is the DNI's, unchanged.
    assert "DNI (si tiene)" in client.get(reverse("rolls:add", args=[bolivia.kitchen.pk])).content.decode()


def test_the_roll_and_the_registry_find_a_ci_by_its_first_digits_within_scope(bolivia):
    put_on_roll(bolivia.bo_kitchen, person=bolivia.bo_socia)
    national = as_scope(bolivia.national)
    assert [e.person for e in roll_selectors.roll_entries(national, bolivia.bo_kitchen, text="48701")] == [
        bolivia.bo_socia
    ]
    assert list(search_people(national, "48701")) == [bolivia.bo_socia]
    # A Lima coordinator does not see El Alto's socia: her number finds nobody.
    assert not search_people(as_scope(bolivia.coordinator), "48701").exists()


def test_a_bolivian_roll_imports_cis_as_numbers_or_text_and_names_a_dni(bolivia):
    content = xlsx_bytes(
        ["Apellido paterno", "Nombres", "CI", "Categoría"],
        [
            ["Quispe", "Sabina", 6123456, "Adulto mayor"],
            ["Choque", "Rosa", "5123456-1A LP", "Otro"],
            ["Mamani", "Eva", PERUVIAN_DNI, "Otro"],
        ],
    )
    batch = upload_import(scope=SYSTEM, kitchen=bolivia.bo_kitchen, filename="padron.xlsx", content=content)
    preview = preview_import(batch)
    assert [r.status for r in preview.rows] == ["new", "new", "error"]
    assert NOT_A_CI in preview.rows[2].errors[0][1]
    assert not any("ceros a la izquierda" in note for r in preview.rows for note in r.notes)
    good = xlsx_bytes(
        ["Apellido paterno", "Nombres", "Carnet de identidad", "Categoría"],
        [
            ["Quispe", "Sabina", 6123456, "Adulto mayor"],
            ["Choque", "Rosa", "5123456-1A LP", "Otro"],
            ["Mamani", "Justina", "4870123", "Otro"],
        ],
    )
    batch = upload_import(scope=SYSTEM, kitchen=bolivia.bo_kitchen, filename="padron2.xlsx", content=good)
    assert [r.status for r in preview_import(batch).rows] == ["new", "new", "existing"]
    assert apply_import(scope=as_scope(bolivia.national), batch=batch) == 3
    assert set(RollEntry.objects.filter(kitchen=bolivia.bo_kitchen).values_list("person__dni", flat=True)) == {
        "BO-6123456",
        "BO-5123456-1A",
        "BO-4870123",
    }


def test_an_offline_roll_entry_of_a_bolivian_kitchen_is_read_with_its_ci(bolivia):
    from ayni.capture.inbound import _apply_roll_entry

    fields = {
        "given_names": "Sabina",
        "paternal_surname": "Quispe",
        "sex": "F",
        "category": "adulto-mayor",
        "ration": "subsidised",
        "consent_method": "signed",
        "consent_on": timezone.localdate().isoformat(),
        "since": timezone.localdate().isoformat(),
    }
    item = Inbound(kitchen=bolivia.bo_kitchen, kind=Inbound.Kind.ROLL_ENTRY, payload={**fields, "dni": "4870123"})
    entry = RollEntry.objects.get(pk=_apply_roll_entry(item, SYSTEM)["id"])
    assert entry.person == bolivia.bo_socia  # the same CI is the same woman
    item.payload["dni"] = PERUVIAN_DNI
    with pytest.raises(ValidationError, match=NOT_A_CI):
        _apply_roll_entry(item, SYSTEM)


# --- Governance ----------------------------------------------------------------------------------------


@pytest.fixture
def bo_election(bolivia):
    assembly = convene(bolivia.bo_kitchen)
    day = timezone.localdate(assembly.starts_at)
    committee = register_person(
        scope=SYSTEM, organisation=bolivia.bo_kitchen, given_names="Comité", paternal_surname="Electoral", dni="3123456"
    )
    return elections.call_election(
        scope=SYSTEM,
        item=assembly.agenda.first(),
        term_starts=day,
        term_ends=day + datetime.timedelta(days=730),
        committee=[(committee, "Presidenta del comité")],
    )


def test_a_bolivian_slate_is_registered_by_ci(bolivia, bo_election, login):
    client = login(bolivia.national)
    url = reverse("governance:slate_add", args=[bolivia.bo_kitchen.pk, bo_election.pk])
    assert "Cédula de identidad de la candidata a presidenta" in client.get(url).content.decode()
    refused = client.post(url, {"name": "Wiphala", "dni_presidenta": PERUVIAN_DNI})
    assert refused.status_code == 200 and NOT_A_CI in refused.content.decode()
    nobody = client.post(url, {"name": "Wiphala", "dni_presidenta": "7654321"})
    assert "No hay una persona con cédula de identidad 7654321 a su alcance" in nobody.content.decode()
    assert client.post(url, {"name": "Wiphala", "dni_presidenta": "4870123 LP"}).status_code == 302
    assert bo_election.slates.get().candidates.get().person == bolivia.bo_socia


def test_a_bolivian_federations_delegate_is_accredited_by_ci(bolivia, login):
    client = login(bolivia.national)
    assembly = convene(bolivia.bo_fed, days=20)
    assert assembly.by_delegates  # a federation's assembly is of its organisations' delegates
    url = reverse("governance:delegate", args=[bolivia.bo_fed.pk, assembly.pk])
    assert "Cédula de identidad de la delegada" in client.get(url).content.decode()
    refused = client.post(url, {"member_org": bolivia.bo_kitchen.pk, "dni": PERUVIAN_DNI})
    assert NOT_A_CI in refused.content.decode()
    assert client.post(url, {"member_org": bolivia.bo_kitchen.pk, "dni": "4870123"}).status_code == 302
    assert Elector.objects.get(assembly=assembly, person=bolivia.bo_socia).delegate_of == bolivia.bo_kitchen


@pytest.fixture
def bo_treasurer(bolivia, monkeypatch):
    clock = Clock(monkeypatch)
    for i in range(2):
        register_person(
            scope=SYSTEM,
            organisation=bolivia.bo_kitchen,
            given_names=f"Socia {i}",
            paternal_surname="Apaza",
            since=timezone.localdate() - datetime.timedelta(days=400),
        )
    assembly = in_session(convene(bolivia.bo_kitchen), clock)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Cuota de Bs 10", ballot="hands")
    services.open_motion(scope=SYSTEM, motion=motion)
    services.record_hand_count(scope=SYSTEM, motion=motion, yes=services.quorum_state(assembly).present, no=0)
    motion = services.close_motion(scope=SYSTEM, motion=motion)
    clock.at(datetime.datetime.now(datetime.UTC))
    today = timezone.localdate()
    dues.set_dues(
        scope=SYSTEM,
        organisation=bolivia.bo_kitchen,
        motion=motion,
        amount=Decimal("10"),
        period="monthly",
        starts_on=dues.add_months(dues.month_start(today), -12),
    )
    person = register_person(
        scope=SYSTEM,
        organisation=bolivia.bo_kitchen,
        given_names="Tesorera",
        paternal_surname="Ticona",
        phone="+59176543210",
        since=today - datetime.timedelta(days=900),
    )
    assign_position(
        scope=SYSTEM,
        person=person,
        organisation=bolivia.bo_kitchen,
        kind=PositionKind.objects.get(code="tesorera"),
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=300),
    )
    return clock


def test_a_bolivian_treasurer_records_a_payment_by_text_with_the_ci(bolivia, bo_treasurer):
    sent = iter(range(100))

    def send(body):
        bo_treasurer.at(timezone.now() + datetime.timedelta(minutes=1))
        return receive_text(
            gateway="android", channel=Channel.SMS, sender="+59176543210", text=body, external_id=f"bo-{next(sent)}"
        )

    inbound = send("Q 4870123 10")
    assert inbound.status == Inbound.Status.ACCEPTED, inbound.error
    assert DuesPayment.objects.get().person == bolivia.bo_socia
    assert send("Q 0123 10 OK").status == Inbound.Status.ACCEPTED  # her CI's last digits
    assert "No hay socia de Comedor Wiphala con cédula de identidad 7654321" in send("Q 7654321 10").error
    assert DuesPayment.objects.filter(person=bolivia.bo_socia).count() == 2


# --- The organisation form -----------------------------------------------------------------------------


def test_the_organisation_form_of_a_bolivian_federation_offers_its_packs_places(bolivia, login):
    client = login(bolivia.national)
    url = reverse("orgs:create", args=[bolivia.bo_fed.pk])
    page = client.get(url).content.decode()
    assert "Lugar (departamento / provincia / municipio)" in page and "Municipios" in page
    assert "El Alto · Pedro Domingo Murillo, La Paz" in page
    assert "UBIGEO" not in page and "SUNARP" not in page and "País:" not in page
    el_alto = Area.objects.get(country_id="BO", code="020105")
    post = {"kind": kind("comedor-popular").pk, "name": "Comedor Pachamama"}
    assert "Indique el lugar de la organización" in client.post(url, post).content.decode()
    far = client.post(url, {**post, "area": el_alto.pk, "latitude": "-12.05", "longitude": "-77.04"})
    assert "longitude" in far.context["form"].errors  # Lima is not near El Alto
    assert client.post(url, {**post, "area": el_alto.pk, "latitude": "-16.50"}).status_code == 302
    org = Organisation.objects.get(name="Comedor Pachamama")
    assert (org.country, org.area, org.district) == ("BO", el_alto, None)
    edit = reverse("orgs:edit", args=[org.pk])
    assert "El Alto" in client.get(edit).content.decode()
    assert client.post(edit, {"name": "Comedor Pachamama Wiñay", "area": el_alto.pk}).status_code == 302
    assert Organisation.objects.get(pk=org.pk).name == "Comedor Pachamama Wiñay"


def test_a_regional_network_chooses_the_country_of_a_new_federation(bolivia, login):
    client = login(bolivia.platform)
    url = reverse("orgs:create", args=[bolivia.confed.pk])
    page = client.get(url).content.decode()
    assert "País:" in page and "?pais=BO" in page and "UBIGEO" in page
    la_paz = Area.objects.get(country_id="BO", code="02")
    assert "Departamentos" in client.get(url + "?pais=BO").content.decode()
    response = client.post(
        url + "?pais=BO",
        {"kind": kind("federacion-provincial").pk, "name": "Federación de Mujeres de La Paz", "area": la_paz.pk},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="Federación de Mujeres de La Paz").country == "BO"
    # Below a federation there is no choosing: Lima's form is Peru's, as before.
    lima = client.get(reverse("orgs:create", args=[bolivia.lima.pk])).content.decode()
    assert "País:" not in lima and "Distrito" in lima and "UBIGEO" in lima


def test_places_and_countries_that_do_not_fit_are_refused(bolivia):
    load_pack("EC")
    el_alto = Area.objects.get(country_id="BO", code="020105")
    with pytest.raises(ValidationError, match="es un lugar de Ecuador; esta organización es de Bolivia"):
        create_organisation(
            scope=SYSTEM,
            kind=kind("comedor-popular"),
            parent=bolivia.bo_fed,
            name="Comedor X",
            area=Area.objects.filter(country_id="EC", level=1).first(),
        )
    with pytest.raises(ValidationError, match="no se ubica en un distrito del Perú"):
        update_organisation(scope=SYSTEM, organisation=bolivia.bo_kitchen, district=District.objects.get(code="150142"))
    with pytest.raises(ValidationError, match="se ubica por su distrito"):
        update_organisation(scope=SYSTEM, organisation=bolivia.kitchen, area=el_alto)
    with pytest.raises(ValidationError, match="son del mismo país"):
        create_organisation(
            scope=SYSTEM,
            kind=kind("comedor-popular"),
            parent=bolivia.bo_fed,
            name="Comedor Y",
            country="PE",
            district=District.objects.get(code="150142"),
        )
    with pytest.raises(ValidationError, match="son del mismo país"):
        move_organisation(scope=SYSTEM, organisation=bolivia.bo_kitchen, new_parent=bolivia.ves)
    assert Person.objects.get(pk=bolivia.bo_socia.pk).dni == "BO-4870123"


def test_check_integrity_names_an_organisation_out_of_its_countrys_terms(bolivia):
    assert country_violations() == []
    Organisation.objects.filter(pk=bolivia.bo_kitchen.pk).update(country="PE")
    Organisation.objects.filter(pk=bolivia.olla.pk).update(area=Area.objects.get(country_id="BO", code="020105"))
    found = " ".join(country_violations())
    assert f"organización {bolivia.bo_kitchen.pk}: es de PE y su lugar es de BO" in found
    assert f"organización {bolivia.bo_kitchen.pk}: es de PE y su organización superior de BO" in found
    assert f"organización {bolivia.olla.pk}: de PE, con el lugar de otro país" in found
