"""A person's identity number is validated with her organisation's country; Peru stays the default."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ayni.geo.models import Area
from ayni.geo.packs import load_pack
from ayni.lib.identity import country_of_number, parse_identity
from ayni.ops.integrity import dni_violations
from ayni.orgs.services import create_organisation
from ayni.people.models import Person
from ayni.people.services import register_person, update_person
from tests.conftest import as_scope, kind

CPF = "529.982.247-25"
CEDULA_EC = "1710034065"


def messages(exc) -> str:
    return " ".join(exc.value.messages)


def test_peru_is_the_default_and_reads_as_before():
    assert parse_identity("12 345 678").number == "12345678"
    assert parse_identity("12345678-1", "PE").check == "1"
    with pytest.raises(ValidationError, match="El DNI debe tener 8 dígitos; se escribieron 7"):
        parse_identity("1234567")


def test_each_country_has_its_own_rules():
    assert parse_identity("1234567 LP", "BO").number == "BO-1234567"
    assert parse_identity("1234567-1A", "BO").number == "BO-1234567-1A"
    assert parse_identity(CEDULA_EC, "EC").number == "EC-1710034065"
    assert parse_identity(CPF, "BR").number == "BR-52998224725"
    with pytest.raises(ValidationError, match="dígito verificador de la cédula ecuatoriana"):
        parse_identity("1710034066", "EC")
    with pytest.raises(ValidationError, match="dígitos verificadores del CPF"):
        parse_identity("529.982.247-26", "BR")
    with pytest.raises(ValidationError, match="de 5 a 8 dígitos"):
        parse_identity("123", "BO")


def test_a_stored_number_reads_back_in_its_own_country_only():
    assert parse_identity("BO-1234567", "BO").number == "BO-1234567"
    assert country_of_number("BO-1234567") == "BO" and country_of_number("12345678") == "PE"
    with pytest.raises(ValidationError, match="es de Bolivia; esta organización registra números de Perú"):
        parse_identity("BO-1234567", "PE")


@pytest.mark.parametrize(
    ("raw", "country", "words"),
    [
        (CPF, "BO", "es un número válido de CPF de Brasil, no de cédula de identidad de Bolivia"),
        (CEDULA_EC, "PE", "es un número válido de cédula de Ecuador, no de DNI de Perú"),
        ("12345678-1", "BO", "es un número válido de DNI de Perú, no de cédula de identidad de Bolivia"),
        (CPF, "EC", "de CPF de Brasil, no de cédula de Ecuador"),
    ],
)
def test_a_number_valid_in_another_country_is_named_as_that_countrys(raw, country, words):
    with pytest.raises(ValidationError) as exc:
        parse_identity(raw, country)
    assert words in messages(exc)


@pytest.fixture
def bolivia(world):
    load_pack("BO")
    system = as_scope(None)
    fed = create_organisation(
        scope=system,
        kind=kind("federacion-provincial"),
        parent=world.confed,
        name="Federación de Mujeres de El Alto",
        country="BO",
    )
    kitchen = create_organisation(
        scope=system,
        kind=kind("comedor-popular"),
        parent=fed,
        name="Comedor Wiphala",
        area=Area.objects.get(country_id="BO", code="020105"),
    )
    world.bo_fed, world.bo_kitchen = fed, kitchen
    return world


def test_a_socia_of_a_bolivian_kitchen_is_registered_with_her_ci(bolivia):
    person = register_person(
        scope=as_scope(None),
        organisation=bolivia.bo_kitchen,
        given_names="Justina",
        paternal_surname="Mamani",
        dni="4870123 LP",
        phone="+591 71234567",
    )
    assert Person.objects.get(pk=person.pk).dni == "BO-4870123"
    assert dni_violations() == []


def test_the_same_digits_in_peru_and_bolivia_are_two_people(bolivia):
    register_person(
        scope=as_scope(None),
        organisation=bolivia.bo_kitchen,
        given_names="Justina",
        paternal_surname="Mamani",
        dni=bolivia.member.dni,
    )
    assert Person.objects.filter(dni__endswith=bolivia.member.dni).count() == 2


def test_a_peruvian_dni_with_its_check_is_refused_in_a_bolivian_kitchen(bolivia):
    with pytest.raises(ValidationError) as exc:
        register_person(
            scope=as_scope(None),
            organisation=bolivia.bo_kitchen,
            given_names="Rosa",
            paternal_surname="Quispe",
            dni="12345678-1",
        )
    assert "DNI de Perú, no de cédula de identidad de Bolivia" in messages(exc)


def test_a_cpf_is_refused_in_a_peruvian_kitchen(world):
    with pytest.raises(ValidationError) as exc:
        register_person(
            scope=as_scope(None), organisation=world.kitchen, given_names="Rosa", paternal_surname="Quispe", dni=CPF
        )
    assert "CPF de Brasil, no de DNI de Perú" in messages(exc)


def test_editing_a_bolivian_socia_keeps_her_country(bolivia):
    system = as_scope(None)
    person = register_person(
        scope=system, organisation=bolivia.bo_kitchen, given_names="Justina", paternal_surname="Mamani", dni="4870123"
    )
    update_person(scope=system, person=person, given_names="Justina Rosa", dni="BO-4870123")
    assert Person.objects.get(pk=person.pk).dni == "BO-4870123"
    update_person(scope=system, person=person, dni="4870124")
    assert Person.objects.get(pk=person.pk).dni == "BO-4870124"


def test_the_member_form_of_a_bolivian_kitchen_asks_for_the_ci(bolivia, login):
    client = login(bolivia.national)
    url = reverse("orgs:register_member", args=[bolivia.bo_kitchen.pk])
    page = client.get(url).content.decode()
    assert "Cédula de identidad" in page and "Distrito donde vive" not in page
    response = client.post(
        url, {"given_names": "Justina", "paternal_surname": "Mamani", "dni": CPF, "sex": "F", "since": "01/01/2026"}
    )
    assert "CPF de Brasil, no de cédula de identidad de Bolivia" in response.content.decode()
    response = client.post(
        url,
        {
            "given_names": "Justina",
            "paternal_surname": "Mamani",
            "dni": "4870123",
            "phone": "71234567",
            "sex": "F",
            "since": "01/01/2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person = Person.objects.get(dni="BO-4870123")
    assert person.phone == "+59171234567"


def test_the_member_form_of_a_peruvian_kitchen_is_unchanged(world, login):
    page = login(world.national).get(reverse("orgs:register_member", args=[world.kitchen.pk])).content.decode()
    assert "Distrito donde vive" in page and "8 dígitos" in page


def test_integrity_names_a_foreign_number_that_breaks_its_countrys_rules(bolivia):
    person = register_person(
        scope=as_scope(None),
        organisation=bolivia.bo_kitchen,
        given_names="Ana",
        paternal_surname="Choque",
        dni="4870123",
    )
    Person.objects.filter(pk=person.pk).update(dni="EC-1710034066")
    assert any("no es válido en su país" in v for v in dni_violations())
