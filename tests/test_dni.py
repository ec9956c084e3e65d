import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from ayni.lib.dni import check_characters, is_valid_dni, parse_dni


def test_check_characters_follow_the_cui_algorithm():
    # 1*3+2*2+3*7+4*6+5*5+6*4+7*3+8*2 = 138; 138 mod 11 = 6 -> '1' / 'E'
    assert check_characters("12345678") == ("1", "E")


def test_plain_eight_digits_are_valid_and_keep_leading_zeros():
    dni = parse_dni("01234567")
    assert dni.number == "01234567" and dni.check == ""


@pytest.mark.parametrize("raw", ["12345678-1", "12345678 1", "12345678E", "12345678-e"])
def test_a_matching_check_character_is_accepted(raw):
    assert parse_dni(raw).number == "12345678"


def test_a_wrong_check_character_is_refused_in_spanish():
    with pytest.raises(ValidationError) as err:
        parse_dni("12345678-5")
    assert "no corresponde" in err.value.messages[0]


@pytest.mark.parametrize("raw,expected", [
    ("1234567", "8 dígitos"), ("123456789", "no corresponde"), ("ABCDEFGH", "8 dígitos"), ("", "8 dígitos"),
])
def test_malformed_dnis_are_refused(raw, expected):
    with pytest.raises(ValidationError) as err:
        parse_dni(raw)
    assert expected in err.value.messages[0]


@given(st.text(max_size=20))
def test_the_validator_never_crashes(raw):
    assert is_valid_dni(raw) in (True, False)


@given(st.from_regex(r"\A\d{8}\Z"))
def test_every_number_accepts_exactly_its_own_check_characters(number):
    digit, letter = check_characters(number)
    assert is_valid_dni(f"{number}-{digit}") and is_valid_dni(f"{number}{letter}")
    wrong = next(c for c in "0123456789" if c != digit)
    assert not is_valid_dni(f"{number}-{wrong}")


@pytest.mark.parametrize("raw", ["１２３４５６７８", "١٢٣٤٥٦٧٨", "۱۲۳۴۵۶۷۸", "１２３４５６７８－１", "١٢٣٤٥٦٧٨-E"])
def test_digits_of_any_script_become_ascii(raw):
    assert parse_dni(raw).number == "12345678"


@pytest.mark.parametrize("raw,check", [
    ("12 345 678", ""), ("12-345-678", ""), ("12\u00a0345\u00a0678", ""), ("12 345 678-1", "1"),
    ("12-345-678 - E", "E"), ("12345678-1", "1"), ("12345678 e", "E"),
])
def test_spaces_and_dashes_inside_the_number_are_dropped_and_the_check_still_read(raw, check):
    assert parse_dni(raw) == parse_dni(f"12345678{check}")
    assert parse_dni(raw).check == check


def test_a_dash_inside_the_number_does_not_hide_a_wrong_check_character():
    with pytest.raises(ValidationError) as err:
        parse_dni("12-345-678-5")
    assert "no corresponde" in err.value.messages[0]


@given(st.from_regex(r"\A[0-9]{8}\Z"), st.sampled_from(["０", "٠", "۰", "०"]))
def test_a_number_typed_in_another_script_is_the_same_dni(number, zero):
    other = "".join(chr(ord(zero) + int(d)) for d in number)
    assert parse_dni(other) == parse_dni(number)
