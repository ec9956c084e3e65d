import pytest

from ayni.geo.loader import load_geography
from ayni.geo.models import Department, District, Province

pytestmark = pytest.mark.django_db


def test_the_geography_is_loaded_by_migrate():
    assert Department.objects.count() == 25
    assert Province.objects.count() == 196
    assert District.objects.count() >= 1890


def test_callao_keeps_both_codes():
    callao = Department.objects.get(code="07")
    assert callao.name == "CALLAO" and callao.reniec_code == "24"


def test_indicators_are_loaded_with_population_estimates():
    lima = District.objects.get(code="150101")
    assert lima.poverty_pct is not None and lima.population > 100_000
    assert lima.province.department.name == "LIMA"


def test_loading_again_changes_nothing():
    assert load_geography(force=True) == {"departments": 0, "provinces": 0, "districts": 0}
    District.objects.filter(code="150101").update(name="LIMA VIEJA")
    assert load_geography(force=True)["districts"] == 1
    assert District.objects.get(code="150101").name == "LIMA"
