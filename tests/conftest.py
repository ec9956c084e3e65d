"""Shared fixtures: a small federation and one named persona per role.

Rosa leads a kitchen in Lima; Juana leads one in Cusco. Carmen coordinates the Lima province,
Elena the Cusco one. Nora is the national board, Vera a viewer (aggregates only), Ada the
platform administrator, and Olga has an account but no role. Access tests are one line each.
"""

import datetime
import os
from types import SimpleNamespace

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings

from ayni.accounts.models import Role, RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.geo.models import District
from ayni.orgs.models import OrgKind
from ayni.orgs.services import create_organisation
from ayni.people.models import PositionKind
from ayni.people.services import assign_position, register_person

# Browser fixtures (`browser`, `page`) for every test module, registered once.
pytest_plugins = ["tests.browser"]

PASSWORD = "clave-de-prueba-2026"

# Property tests on a shared 2-core machine: no per-example deadline (a loaded machine is not a
# slow function) and no "too slow" health check. `AYNI_HYPOTHESIS=thorough` runs ten times the
# examples of every test that does not fix its own number.
settings.register_profile("ayni", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", parent=settings.get_profile("ayni"), max_examples=1000)
settings.load_profile(os.environ.get("AYNI_HYPOTHESIS", "ayni"))


def make_user(username, role=None, org=None, **extra):
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username.title(), **extra)
    if role:
        RoleGrant.objects.create(user=user, organisation=org, role=role)
    return user


def kind(code):
    return OrgKind.objects.get(code=code)


def build_world():
    d = District.objects.get
    system = Scope.system("preparación de la prueba")  # the stage is set before anyone has an account
    confed = create_organisation(scope=system, kind=kind("confederacion"), parent=None,
                                 name="Confederación de Prueba", district=d(code="150101"))
    lima = create_organisation(scope=system, kind=kind("federacion-provincial"), parent=confed,
                               name="Federación Provincial de Lima", district=d(code="150101"))
    ves = create_organisation(scope=system, kind=kind("federacion-distrital"), parent=lima,
                              name="Federación Distrital de Villa El Salvador", district=d(code="150142"))
    kitchen = create_organisation(scope=system, kind=kind("comedor-popular"), parent=ves,
                                  name="Comedor Popular Santa Rosa", district=d(code="150142"))
    olla = create_organisation(scope=system, kind=kind("olla-comun"), parent=ves,
                               name="Olla Común Los Jardines", district=d(code="150142"))
    cusco = create_organisation(scope=system, kind=kind("federacion-provincial"), parent=confed,
                                name="Federación Provincial del Cusco", district=d(code="080101"))
    santiago = create_organisation(scope=system, kind=kind("federacion-distrital"), parent=cusco,
                                   name="Federación Distrital de Santiago", district=d(code="080108"))
    kitchen_other = create_organisation(scope=system, kind=kind("comedor-popular"), parent=santiago,
                                        name="Comedor Virgen de Belén", district=d(code="080108"))
    today = timezone.localdate()
    member = register_person(scope=system, organisation=kitchen, given_names="María Elena",
                             paternal_surname="Quispe", maternal_surname="Mamani", dni="45678912",
                             birth_date=datetime.date(1975, 3, 14), phone="987654321")
    assign_position(scope=system, person=member, organisation=kitchen, kind=PositionKind.objects.get(code="presidenta"),
                    starts_on=today - datetime.timedelta(days=300), ends_on=today + datetime.timedelta(days=30))
    member_other = register_person(scope=system, organisation=kitchen_other, given_names="Juana",
                                   paternal_surname="Huamán", maternal_surname="Ccahuana", dni="23456781")
    w = SimpleNamespace(
        confed=confed, lima=lima, ves=ves, kitchen=kitchen, olla=olla, cusco=cusco, santiago=santiago,
        kitchen_other=kitchen_other, member=member, member_other=member_other,
    )
    w.leader = make_user("rosa", Role.LEADER, kitchen, phone="912345678")
    w.leader_other = make_user("juana", Role.LEADER, kitchen_other)
    w.coordinator = make_user("carmen", Role.COORDINATOR, lima)
    w.coordinator_other = make_user("elena", Role.COORDINATOR, cusco)
    w.national = make_user("nora", Role.NATIONAL_ADMIN, confed)
    w.viewer = make_user("vera", Role.VIEWER, confed)
    w.platform = make_user("ada", Role.PLATFORM_ADMIN, confed, is_superuser=True, is_staff=True)
    w.outsider = make_user("olga")
    return w


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login(client):
    """`login(user)` logs the test client in and returns it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


def as_scope(user) -> Scope:
    """The scope a test acts under: the user's, or the system's when the test sets the stage."""
    return Scope.system("preparación de la prueba") if user is None else Scope.for_user(user)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: pages kept under a revision of the figures
    (`evidence.cache`) must not outlive the test database's rollback into the next test."""
    from django.core.cache import cache

    cache.clear()
