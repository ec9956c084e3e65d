"""`ayni demo`: the synthetic federation is well formed, deterministic and logs in."""

import hashlib
import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from ayni.accounts.models import Role, RoleGrant, User
from ayni.audit.models import AuditEntry
from ayni.demo.generator import generate
from ayni.demo.plan import CATALOGUE, CONFEDERATION_DISTRICT, SCALES
from ayni.geo.models import District, Province
from ayni.lib.dni import parse_dni
from ayni.lib.text import fold
from ayni.orgs.models import Organisation, OrgKind, path_segment
from ayni.people.models import Membership, Person, Position
from ayni.rolls.dedupe import find_pairs
from ayni.rolls.models import Category, ExitReason, Household, Ration, RollEntry
from ayni.rolls.services import validate_entry
from ayni.rolls.tasks import records_under

pytestmark = pytest.mark.django_db

PASSWORD = "ayni-demo-2026"
FEDERATIONS = ("confederacion", "federacion-provincial", "federacion-distrital")


@pytest.fixture
def demo():
    call_command("demo", verbosity=0)


def test_plan_uses_real_ubigeo_codes():
    provinces = set(Province.objects.values_list("code", flat=True))
    districts = dict(District.objects.values_list("code", "province_id"))
    assert CONFEDERATION_DISTRICT in districts
    for spec in CATALOGUE.values():
        assert spec.province in provinces, spec.key
        for code in spec.districts or ():
            assert districts.get(code) == spec.province, (spec.key, code)
    national = SCALES["national"].federations
    assert len(national) == 58
    assert len({CATALOGUE[f.spec.key].province[:2] for f in national}) == 17


def test_small_scale_builds_a_consistent_tree(demo):
    orgs = {o.pk: o for o in Organisation.objects.select_related("kind", "district")}
    roots = [o for o in orgs.values() if o.parent_id is None]
    assert [r.kind_id for r in roots] == ["confederacion"]
    assert roots[0].path == path_segment(roots[0].pk) and roots[0].depth == 0
    allowed = {k.code: set(k.may_contain.values_list("code", flat=True)) for k in OrgKind.objects.all()}
    for org in orgs.values():
        if org.parent_id is None:
            continue
        parent = orgs[org.parent_id]
        assert org.path == parent.path + path_segment(org.pk)
        assert org.depth == parent.depth + 1
        assert org.kind_id in allowed[parent.kind_id], (parent.kind_id, org.kind_id)
        assert org.district is not None and org.address and org.founded_on
        if org.kind_id not in FEDERATIONS:
            # A base organisation works where its federation is, or in the same province.
            assert org.district.province_id == parent.district.province_id
        if org.status != Organisation.Status.ACTIVE:
            assert org.status_reason and org.status_changed_on <= timezone.localdate()

    by_kind = {}
    for org in orgs.values():
        by_kind[org.kind_id] = by_kind.get(org.kind_id, 0) + 1
    assert by_kind["federacion-provincial"] == 4
    assert by_kind["federacion-distrital"] == 10
    base = sum(n for kind, n in by_kind.items() if kind not in FEDERATIONS)
    assert base == 120
    assert by_kind["comedor-popular"] + by_kind["olla-comun"] > 80
    provincial = [o for o in orgs.values() if o.kind_id == "federacion-provincial"]
    assert len({o.district.department_id for o in provincial}) == 3
    assert "1501" in {o.district.province_id for o in provincial}
    assert any(o.ruos_number for o in orgs.values())
    assert {o.status for o in orgs.values()} >= {"active", "inactive"}


def test_people_have_valid_unique_dnis_and_plausible_data(demo):
    # The socias (members and boards); the people on the rolls are checked below.
    people = list(Person.objects.filter(memberships__isnull=False).distinct())
    assert len(people) >= 120 * 10
    with_dni = [p for p in people if p.dni]
    assert 0.85 < len(with_dni) / len(people) < 0.95
    assert Person.objects.exclude(dni=None).values("dni").distinct().count() == Person.objects.exclude(
        dni=None).count()
    assert any(p.dni_check.isdigit() for p in with_dni) and any(p.dni_check.isalpha() for p in with_dni)
    today = timezone.localdate()
    for p in people:
        if p.dni:
            assert parse_dni(f"{p.dni}{p.dni_check}").number == p.dni
        assert p.search_name == fold(f"{p.given_names} {p.paternal_surname} {p.maternal_surname}")
        assert 20 <= p.age(today) <= 75
        assert p.phone == "" or (len(p.phone) == 9 and p.phone.startswith("9"))
    assert sum(p.sex == "F" for p in people) / len(people) > 0.9
    spoken = set(Person.languages.through.objects.values_list("language_id", flat=True))
    assert {"castellano", "quechua"} <= spoken

    for org in Organisation.objects.exclude(kind__in=FEDERATIONS):
        assert 10 <= org.memberships.count() <= 30


def test_rolls_have_every_age_a_realistic_category_mix_and_valid_entries(demo):
    today = timezone.localdate()
    entries = list(RollEntry.objects.select_related("person", "category", "kitchen__kind"))
    assert not Membership.objects.filter(person__roll_entries__isnull=False).exists()  # eaters, not socias
    kitchens = Organisation.objects.filter(kind__is_kitchen=True, status="active")
    per_kitchen = Counter(e.kitchen_id for e in entries if e.until is None)
    for kitchen in kitchens:
        # 50–80 each, plus the few planted copies and people who moved in.
        assert 40 <= per_kitchen[kitchen.pk] <= 100, kitchen
    assert {e.kitchen_id for e in entries} <= set(kitchens.values_list("pk", flat=True))
    shares = Counter(e.category_id for e in entries)
    total = len(entries)
    assert set(shares) == set(Category.objects.values_list("code", flat=True))
    for code, (low, high) in {"nino-menor-6": (0.12, 0.35), "nino-escolar": (0.15, 0.40),
                              "adulto-mayor": (0.12, 0.30), "gestante-lactante": (0.02, 0.10),
                              "discapacidad": (0.02, 0.08), "pantbc": (0.003, 0.04), "riesgo": (0.02, 0.10),
                              "otro": (0.10, 0.30)}.items():
        assert low < shares[code] / total < high, (code, shares[code] / total)
    people = {e.person for e in entries}
    ages = [p.age(today) for p in people]
    assert min(ages) == 0 and max(ages) >= 85
    assert 0.25 < sum(p.sex == "M" for p in people) / len(people) < 0.5
    for e in entries:
        validate_entry(e, e.person, on=today)  # category fits the age, a social case has its reason…
        assert e.until is None or (e.since <= e.until <= today and e.exit_reason)
    rations = Counter(e.ration for e in entries)
    assert all(rations[r] / total > 0.05 for r in Ration.values)
    assert 0.85 < sum(e.has_consent for e in entries) / total < 0.97
    assert {e.consent_method for e in entries} == {"", "signed", "verbal"}
    assert 0.03 < sum(e.until is not None for e in entries) / total < 0.15
    assert Household.objects.count() > 0
    for household in Household.objects.prefetch_related("entries"):
        assert household.entries.filter(person=household.head).exists()
        assert household.entries.count() >= 2
    # Some people moved: one person, an entry closed at one kitchen and one open at another.
    moved = RollEntry.objects.filter(exit_reason=ExitReason.OTHER_KITCHEN).values_list("person_id", flat=True)
    assert moved and RollEntry.objects.filter(person_id__in=moved, until=None).count() == len(moved)


def test_planted_duplicates_are_about_2_percent_and_the_finder_finds_them():
    ctx = generate(scale="small", seed=3)
    planted = {(min(a, b), max(a, b)): mistake for a, b, mistake in ctx.roll_duplicates}
    people = ctx.counts["roll_people"]
    assert 0.015 < len(planted) / people < 0.025
    assert set(planted.values()) == {"swap", "dni_transposed", "no_dni", "birth_day", "accents", "typo",
                                     "maternal_initial", "day_month", "given_dropped", "dni_typo_and_name"}
    kitchens = dict(RollEntry.objects.values_list("person_id", "kitchen_id"))
    assert all(kitchens[a] != kitchens[b] for a, b in planted)  # across kitchens
    confederation = Organisation.objects.get(kind="confederacion")
    found = {(a, b) for a, b, *_rest in find_pairs(records_under(confederation))}
    assert len(set(planted) & found) / len(planted) >= 0.97
    assert len(set(planted) & found) / len(found) >= 0.9
    # The people were inserted with ids of their own: the next one saved still gets a fresh id.
    assert Person.objects.create(given_names="Nueva", paternal_surname="Persona").pk > max(kitchens)


def test_boards_are_current_expiring_or_lapsed(demo):
    today = timezone.localdate()
    current = Position.objects.current(today).filter(kind__group="board")
    for org in Organisation.objects.filter(status="active", kind__in=FEDERATIONS):
        assert current.filter(organisation=org, kind="presidenta").exists(), org
    # Everyone on a current board is a current member of that organisation.
    for pos in current.select_related("organisation"):
        assert Membership.objects.filter(
            person_id=pos.person_id, organisation_id=pos.organisation_id, since__lte=today,
        ).exclude(until__lt=today).exists()
    boards = current.filter(kind="presidenta")
    expiring = boards.filter(ends_on__lte=today + timezone.timedelta(days=60)).count()
    assert 0 < expiring < boards.count() / 4
    lapsed = Organisation.objects.filter(status="active").exclude(
        pk__in=boards.values("organisation_id")).count()
    assert lapsed > 0
    assert Position.objects.filter(kind__group="promoter").exists()


def test_demo_accounts_have_their_roles_and_log_in(demo):
    expected = {
        "admin": (Role.PLATFORM_ADMIN, "confederacion"),
        "nacional": (Role.NATIONAL_ADMIN, "confederacion"),
        "coordinadora": (Role.COORDINATOR, "federacion-provincial"),
        "coordinadora2": (Role.COORDINATOR, "federacion-provincial"),
        "coord.distrital": (Role.COORDINATOR, "federacion-distrital"),
        "dirigenta": (Role.LEADER, "comedor-popular"),
        "dirigenta2": (Role.LEADER, "comedor-popular"),
        "observadora": (Role.VIEWER, "confederacion"),
    }
    grants = {}
    for username, (role, kind) in expected.items():
        user = authenticate(None, username=username, password=PASSWORD)
        assert user is not None and user.username == username
        assert not user.must_change_password
        grant = RoleGrant.objects.select_related("organisation").get(user=user)
        assert (grant.role, grant.organisation.kind_id) == (role, kind)
        grants[username] = grant.organisation
    assert User.objects.get(username="admin").is_superuser
    assert authenticate(None, username="dirigenta", password="wrong") is None

    lima, arequipa = grants["coordinadora"], grants["coordinadora2"]
    assert lima.district.province_id == "1501"
    assert arequipa.district.department_id != lima.district.department_id
    assert grants["coord.distrital"].path.startswith(lima.path)
    assert grants["dirigenta"].path.startswith(grants["coord.distrital"].path)
    assert grants["dirigenta2"].path.startswith(arequipa.path)

    # The kitchen leader is her kitchen's presidenta and also logs in with her phone.
    leader = User.objects.select_related("person").get(username="dirigenta")
    assert leader.phone and leader.phone == leader.person.phone
    assert Position.objects.current().filter(
        person=leader.person, organisation=grants["dirigenta"], kind="presidenta").exists()
    assert authenticate(None, username=leader.phone, password=PASSWORD) == leader


def test_records_one_audit_entry():
    call_command("demo", verbosity=0)
    entries = list(AuditEntry.objects.all())
    assert [e.action for e in entries] == ["demo.generate"]
    assert entries[0].actor is None and entries[0].after["counts"]["people"] == Person.objects.count()


class _Rollback(Exception):
    pass


def _digest_of_run(seed: int) -> str:
    """Generate in a savepoint, fingerprint what was written, and roll it back."""
    digest = hashlib.sha256()
    try:
        with transaction.atomic():
            call_command("demo", seed=seed, verbosity=0)
            rows = [
                Organisation.objects.order_by("pk").values_list(
                    "name", "kind", "district", "address", "founded_on", "status", "ruos_number"),
                Person.objects.order_by("pk").values_list(
                    "given_names", "paternal_surname", "maternal_surname", "dni", "dni_check", "phone",
                    "birth_date"),
                Position.objects.order_by("pk").values_list("kind", "starts_on", "ends_on"),
                User.objects.order_by("username").values_list("username", "phone"),
            ]
            for queryset in rows:
                for row in queryset:
                    digest.update(repr(row).encode())
            raise _Rollback
    except _Rollback:
        pass
    assert not Organisation.objects.exists()
    return digest.hexdigest()


def test_same_seed_gives_the_same_data():
    first = _digest_of_run(1)
    assert _digest_of_run(1) == first
    assert _digest_of_run(2) != first


def test_if_empty_does_nothing_the_second_time(demo):
    counts = (Organisation.objects.count(), Person.objects.count(), User.objects.count())
    out = io.StringIO()
    call_command("demo", if_empty=True, stdout=out)
    assert "Ya hay datos" in out.getvalue()
    assert (Organisation.objects.count(), Person.objects.count(), User.objects.count()) == counts
    with pytest.raises(CommandError):
        call_command("demo", verbosity=0)
