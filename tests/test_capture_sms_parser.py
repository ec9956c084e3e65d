"""The text-message parser on texts as leaders really type them, and a property test that no
input at all makes it crash."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ayni.capture.sms import Command, ParseError, parse

REPORTS = [
    ("R 120 30 10", (120, 30, 10)),
    ("r 120 30 10", (120, 30, 10)),
    ("R120 30 10", (120, 30, 10)),
    ("R 120,30,10", (120, 30, 10)),
    ("R: 120 - 30 - 10", (120, 30, 10)),
    ("  R   120   30   10  ", (120, 30, 10)),
    ("Raciones 80 0 4", (80, 0, 4)),
    ("RACIÓN 80 0 4", (80, 0, 4)),
    ("parte 50 20 0", (50, 20, 0)),
    ("Mikuy 45 10 2", (45, 10, 2)),
    ("R 120 30 10\n", (120, 30, 10)),
    ("R 0 0 0", (0, 0, 0)),
]


@pytest.mark.parametrize("text,numbers", REPORTS)
def test_a_report_is_understood_however_it_is_typed(text, numbers):
    command = parse(text)
    assert command.action == "report"
    assert (command.paying, command.subsidised, command.free) == numbers
    assert not command.confirm


@pytest.mark.parametrize("text,item,quantity,kind,party", [
    ("S ARROZ 50", "arroz", Decimal("50"), "state", ""),
    ("s arroz 50", "arroz", Decimal("50"), "state", ""),
    ("S 50 ARROZ", "arroz", Decimal("50"), "state", ""),
    ("S ARROZ 50KG", "arroz", Decimal("50"), "state", ""),
    ("S aceite 2,5", "aceite", Decimal("2.5"), "state", ""),
    ("S aceite 2.5 lt", "aceite", Decimal("2.5"), "state", ""),
    ("S AZÚCAR 10", "azucar", Decimal("10"), "state", ""),
    ("S lentejas 12", "menestras", Decimal("12"), "state", ""),
    ("S atun 24", "conserva-pescado", Decimal("24"), "state", ""),
    ("Recibí arroz 30", "arroz", Decimal("30"), "state", ""),
    ("chaskiy papa 40", "papa", Decimal("40"), "state", ""),
    ("S papa 40 cosecha", "papa", Decimal("40"), "harvest", ""),
    ("S arroz 20 municipalidad", "arroz", Decimal("20"), "municipal", ""),
    ("S arroz 20 donacion Parroquia San Martín", "arroz", Decimal("20"), "donation", "Parroquia San Martín"),
    ("U ACEITE 3", "aceite", Decimal("3"), "used", ""),
    ("u aceite 3", "aceite", Decimal("3"), "used", ""),
    ("Usamos fideos 4", "fideos", Decimal("4"), "used", ""),
    ("tukuy gas 1", "gas", Decimal("1"), "used", ""),
    ("U pollo 7.5", "pollo", Decimal("7.5"), "used", ""),
])
def test_food_in_and_out(text, item, quantity, kind, party):
    command = parse(text)
    assert (command.item, command.quantity, command.kind, command.party) == (item, quantity, kind, party)
    assert command.action == ("received" if kind != "used" else "used")


@pytest.mark.parametrize("text,reason", [
    ("C SIN GAS", "SIN GAS"),
    ("c sin gas", "sin gas"),
    ("Cerrado: no llegaron alimentos", "no llegaron alimentos"),
    ("C feriado", "feriado"),
    ("wichqay mana gas kanchu", "mana gas kanchu"),
])
def test_a_closed_day_keeps_her_own_words_for_the_reason(text, reason):
    assert parse(text) == Command("closed", reason=reason)


@pytest.mark.parametrize("text", ["?", " ? ", "AYUDA", "ayuda", "Yanapay", "h"])
def test_help(text):
    assert parse(text).action == "help"


def test_ok_at_the_end_confirms_unusual_numbers():
    command = parse("R 1500 30 10 OK")
    assert command.confirm and command.paying == 1500


@pytest.mark.parametrize("text,says", [
    ("", "vacío"),
    ("   ", "vacío"),
    ("R", "Faltan números"),
    ("R 120", "Faltan números"),
    ("R 120 30", "Faltan números"),
    ("R 120 30 10 5", "Hay 4 números"),
    ("R 120 treinta 10", "«TREINTA» no es un número"),
    ("R 12.5 3 1", "no es un número entero"),
    ("R 9999999 0 0", "no es posible"),
    ("S ARROZ", "Falta la cantidad"),
    ("S 50", "Falta el alimento"),
    ("S CAVIAR 2", "No conozco el alimento «CAVIAR»"),
    ("U ACEITE 0", "mayor que cero"),
    ("S arroz 20 donacion", "quién donó"),
    ("C", "por qué no se cocinó"),
    ("Hola buenos días", "No entendí «HOLA»"),
    ("X 1 2 3", "No entendí «X»"),
    ("R 120 30 1" + "0" * 500, "demasiado largo"),
])
def test_a_wrong_text_gets_an_answer_saying_exactly_what_was_wrong(text, says):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert says in error.value.message


def test_every_error_reminds_how_to_write_when_the_keyword_is_unknown():
    with pytest.raises(ParseError) as error:
        parse("buenas")
    assert "R 120 30 10" in error.value.message


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=600))
def test_no_text_crashes_the_parser(text):
    try:
        command = parse(text)
    except ParseError as error:
        assert error.message
    else:
        assert command.action in {"report", "received", "used", "closed", "help"}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["R", "S", "U", "C", "?", "r", "s arroz", "u aceite", "MIKUY"]),
       st.lists(st.one_of(st.integers(-10, 10**7).map(str), st.text(max_size=8),
                          st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)), max_size=6))
def test_no_command_with_any_arguments_crashes_the_parser(keyword, args):
    text = " ".join([keyword, *args])
    try:
        parse(text)
    except ParseError as error:
        assert error.message
