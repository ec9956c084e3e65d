import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ayni.audit.models import AuditEntry
from ayni.geo.models import District
from ayni.orgs.models import Organisation, path_segment
from ayni.orgs.services import create_organisation, move_organisation
from tests.conftest import as_scope, kind

pytestmark = pytest.mark.django_db


def test_paths_follow_the_parent_chain(world):
    for org in Organisation.objects.exclude(parent=None):
        assert org.path == org.parent.path + path_segment(org.pk)
        assert org.depth == org.parent.depth + 1


def test_a_subtree_at_any_depth_is_one_query(world):
    with CaptureQueriesContext(connection) as queries:
        names = set(world.confed.subtree().values_list("name", flat=True))
    assert len(queries) == 1
    assert {"Comedor Popular Santa Rosa", "Comedor Virgen de Belén"} <= names


def test_a_kitchen_cannot_be_placed_under_a_kitchen(world):
    with pytest.raises(ValidationError) as err:
        create_organisation(scope=as_scope(None), kind=kind("olla-comun"), parent=world.kitchen, name="Olla dentro",
                            district=world.kitchen.district)
    assert "no puede estar dentro" in str(err.value)
    assert not Organisation.objects.filter(name="Olla dentro").exists()


def test_moving_a_federation_moves_its_subtree(world):
    move_organisation(scope=as_scope(None), organisation=world.santiago, new_parent=world.lima)
    world.kitchen_other.refresh_from_db()
    assert world.kitchen_other.path.startswith(world.lima.path)
    assert world.kitchen_other.depth == 3
    assert world.kitchen_other in world.lima.subtree()
    assert AuditEntry.objects.filter(action="org.move").exists()


def test_a_cycle_is_refused(world):
    with pytest.raises(ValidationError) as err:
        move_organisation(scope=as_scope(None), organisation=world.lima, new_parent=world.lima)
    assert "dentro de sí misma" in str(err.value)


def test_moving_under_a_descendant_is_refused_even_when_kinds_would_allow_it(world):
    extra = create_organisation(scope=as_scope(None), kind=kind("federacion-provincial"), parent=world.confed,
                                name="Otra provincial", district=District.objects.get(code="150101"))
    with pytest.raises(ValidationError):
        move_organisation(scope=as_scope(None), organisation=world.confed, new_parent=extra)


def test_district_federation_needs_a_district(world):
    with pytest.raises(ValidationError) as err:
        create_organisation(scope=as_scope(None), kind=kind("federacion-distrital"), parent=world.lima,
                            name="Sin distrito")
    assert "distrito" in str(err.value)


def test_only_a_confederation_may_be_a_root(db):
    with pytest.raises(ValidationError):
        create_organisation(scope=as_scope(None), kind=kind("comedor-popular"), parent=None, name="Suelto")
