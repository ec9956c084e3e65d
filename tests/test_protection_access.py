"""Need-to-know: a case is read by its defensora and her federation's supervisor, and by no one
else — not the coordinator, the national board or the platform admin — except an admin through
break-glass (a written reason, a few hours, the supervisor told). Every read leaves an entry."""

import datetime
import re

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from ayni.accounts.models import Role
from ayni.accounts.scope import Can, Scope
from ayni.audit.models import AuditEntry
from ayni.capture.models import OutboundMessage
from ayni.protection import selectors
from ayni.protection.models import AccessEntry, Alert, BreakGlass
from ayni.protection.services import break_glass
from tests.protection_helpers import PLANTED_ALIAS, PLANTED_NAME, a_case, a_referral, grant, protection_world

pytestmark = pytest.mark.django_db

# Who reads a case of Dora's (kitchen in Villa El Salvador, Lima federation supervised by Sara).
READERS = {"dora": 200, "sara": 200, "delia": 404, "dina": 404, "coordinator": 404, "national": 404,
           "platform": 404, "leader": 404, "viewer": 404, "outsider": 404}


@pytest.fixture
def pw(world):
    return protection_world(world)


@pytest.mark.parametrize("who,expected", READERS.items())
def test_only_the_defensora_and_the_supervisor_read_a_case(client, pw, who, expected):
    case = a_case(pw)
    referral = a_referral(pw, case)
    client.force_login(getattr(pw, who))
    for url in (reverse("protection:case", kwargs={"pk": case.pk}),
                reverse("protection:referral_sheet", kwargs={"pk": case.pk, "rid": referral.pk})):
        response = client.get(url)
        assert response.status_code == expected, (who, url)
        body = response.content.decode()
        assert (PLANTED_ALIAS in body) is (expected == 200 and "hoja" not in url)
        if expected == 404:
            assert "Caso" not in body and PLANTED_NAME not in body
    listing = client.get(reverse("protection:index"))
    assert PLANTED_ALIAS not in listing.content.decode() or expected == 200


def test_a_guessed_case_number_is_not_found_like_a_real_one(client, pw):
    case = a_case(pw)
    client.force_login(pw.delia)
    real = client.get(reverse("protection:case", kwargs={"pk": case.pk}))
    guessed = client.get(reverse("protection:case", kwargs={"pk": case.pk + 999}))
    assert real.status_code == guessed.status_code == 404
    def same(response, pk):
        return re.sub(rb'value="[^"]{64}"', b"", response.content).replace(f"/{pk}/".encode(), b"/N/")

    assert same(real, case.pk) == same(guessed, case.pk + 999)


def test_there_is_no_case_export(client, pw):
    case = a_case(pw)
    client.force_login(pw.dora)
    assert client.get(f"/proteccion/caso/{case.pk}/exportar/").status_code == 404
    assert client.get(f"/proteccion/exportar/?caso={case.pk}").status_code == 404


def test_the_scope_decides_and_admin_rank_gives_nothing(pw):
    admin = Scope.for_user(pw.platform)
    assert not admin.holds(Can.PROTECT, pw.kitchen)
    assert not Scope.for_user(pw.coordinator).holds(Can.PROTECT, pw.kitchen)
    assert Scope.for_user(pw.dora).holds(Can.PROTECT, pw.kitchen)
    assert not admin.reads_case(defender_id=pw.dora.pk, supervisor_id=pw.sara.pk)
    assert not Scope.system("x").reads_case(defender_id=None, supervisor_id=None)
    # A supervisor who loses the defensora role loses her reading too.
    pw.sara.grants.filter(role=Role.DEFENDER).delete()
    assert not Scope.for_user(pw.sara).reads_case(defender_id=pw.dora.pk, supervisor_id=pw.sara.pk)


def test_every_read_leaves_an_entry_shown_to_the_supervisor(client, pw):
    case = a_case(pw)
    client.force_login(pw.dora)
    client.get(reverse("protection:index"))
    client.get(reverse("protection:case", kwargs={"pk": case.pk}))
    parts = list(AccessEntry.objects.filter(case_number=case.pk, reader=pw.dora).values_list("part", flat=True))
    assert sorted(parts) == ["case", "list"]
    client.force_login(pw.sara)
    page = client.get(reverse("protection:case", kwargs={"pk": case.pk})).content.decode()
    assert "Quién leyó este caso" in page and "Dora" in page
    reads = client.get(reverse("protection:reads")).content.decode()
    assert "Dora" in reads and str(case.pk) in reads
    client.force_login(pw.dora)  # the defensora does not see the log of who read
    assert client.get(reverse("protection:reads")).status_code == 404


def test_break_glass_needs_a_reason_expires_and_tells_the_supervisor(client, pw):
    case = a_case(pw)
    client.force_login(pw.platform)
    url = reverse("protection:case", kwargs={"pk": case.pk})
    assert client.get(url).status_code == 404
    short = client.post(reverse("protection:glass"), {"case_number": case.pk, "reason": "urgente", "hours": 2})
    assert short.status_code == 200 and "20 caracteres" in short.content.decode()
    assert not BreakGlass.objects.exists()
    response = client.post(reverse("protection:glass"), {
        "case_number": case.pk, "reason": "La fiscalía pide confirmar la fecha de la derivación hoy.", "hours": 2})
    assert response.status_code == 302
    page = client.get(url)
    assert page.status_code == 200 and PLANTED_ALIAS in page.content.decode()
    entry = AccessEntry.objects.get(case_number=case.pk, reader=pw.platform)
    assert entry.break_glass and entry.outside_territory
    alert = Alert.objects.get(kind=Alert.Kind.BREAK_GLASS, federation=pw.lima)
    assert PLANTED_ALIAS not in alert.text and PLANTED_NAME not in alert.text
    sms = OutboundMessage.objects.get(to="922222222")  # Sara's phone: a neutral text
    assert "caso" not in sms.body.lower() and PLANTED_ALIAS not in sms.body
    # Break-glass reads, never writes.
    assert client.get(reverse("protection:case_edit", kwargs={"pk": case.pk})).status_code == 404
    # It ends by itself.
    BreakGlass.objects.update(until=timezone.now() - datetime.timedelta(minutes=1))
    assert client.get(url).status_code == 404


def test_break_glass_is_for_admins_only(pw):
    case = a_case(pw)
    with pytest.raises(Http404):
        break_glass(scope=Scope.for_user(pw.national), case_number=case.pk, reason="x" * 30, hours=1)


def test_many_cases_read_in_an_hour_raise_an_alert(pw, settings):
    from ayni.protection import access

    cases = [a_case(pw, alias=f"A{i}") for i in range(4)]
    scope = Scope.for_user(pw.dora)
    old = access.UNUSUAL_CASES
    access.UNUSUAL_CASES = 3
    try:
        for case in cases:
            selectors.read_case(scope, case.pk)
    finally:
        access.UNUSUAL_CASES = old
    assert Alert.objects.filter(kind=Alert.Kind.UNUSUAL, reader=pw.dora).count() == 1


def test_a_read_outside_her_territory_raises_an_alert(pw):
    """Sara supervises Lima; a case recorded in Lima by a defensora granted there, read by Sara
    — inside. Dora reassigned a case of another district would read outside hers."""
    grant(pw.dora, Role.DEFENDER, pw.kitchen)
    case = a_case(pw)
    selectors.read_case(Scope.for_user(pw.sara), case.pk)
    assert not Alert.objects.filter(kind=Alert.Kind.UNUSUAL).exists()
    case.organisation = pw.kitchen_other
    case.save(update_fields=["organisation"])
    selectors.read_case(Scope.for_user(pw.dora), case.pk)
    assert Alert.objects.filter(kind=Alert.Kind.UNUSUAL, reader=pw.dora).exists()


def test_the_audit_trail_says_a_case_changed_never_what_it_says(pw):
    case = a_case(pw)
    a_referral(pw, case)
    for entry in AuditEntry.objects.filter(action__startswith="protection."):
        text = f"{entry.object_label} {entry.before} {entry.after} {entry.reason}"
        assert PLANTED_ALIAS not in text and PLANTED_NAME not in text and "mercado" not in text


def test_the_supervisor_gets_a_weekly_summary_of_who_read_what_once_a_week(pw):
    from ayni.protection.services import weekly_summaries

    case = a_case(pw)
    selectors.read_case(Scope.for_user(pw.dora), case.pk)
    assert weekly_summaries() == 1
    summary = Alert.objects.get(kind=Alert.Kind.SUMMARY, federation=pw.lima)
    assert "dora: 1 lecturas de 1 casos" in summary.text and PLANTED_ALIAS not in summary.text
    assert weekly_summaries() == 0
    assert weekly_summaries(now=timezone.now() + datetime.timedelta(days=8)) == 1


# Every URL of a case, for every role, the defensoras' included (the access matrix in
# tests/test_access.py has the rows of the other personas): the assigned defensora and the
# supervisor reach each one, everybody else finds nothing, and each read leaves an entry.
CASE_URLS = ["case", "case_edit", "referral_add", "referral_edit", "referral_sheet", "step_add", "file_add", "file"]
LOGGED = {"case": AccessEntry.Part.CASE, "case_edit": AccessEntry.Part.CASE,
          "referral_sheet": AccessEntry.Part.SHEET, "file": AccessEntry.Part.FILE}


@pytest.mark.parametrize("who", READERS)
def test_every_case_url_for_every_role(client, pw, who):
    from ayni.protection.services import add_file
    from tests.protection_helpers import PDF

    case = a_case(pw, kind="land")
    referral = a_referral(pw, case)
    item = add_file(scope=Scope.for_user(pw.dora), case=case, label="title", content=PDF)
    client.force_login(getattr(pw, who))
    for name in CASE_URLS:
        kwargs = {"pk": case.pk}
        if name.startswith("referral_") and name != "referral_add":
            kwargs["rid"] = referral.pk
        if name == "file":
            kwargs["fid"] = item.pk
        before = AccessEntry.objects.filter(reader=getattr(pw, who), case_number=case.pk).count()
        response = client.get(reverse(f"protection:{name}", kwargs=kwargs))
        assert response.status_code == READERS[who], (who, name)
        logged = AccessEntry.objects.filter(reader=getattr(pw, who), case_number=case.pk)
        if READERS[who] == 200 and name in LOGGED:
            assert logged.count() == before + 1 and logged.latest("pk").part == LOGGED[name], (who, name)
        elif READERS[who] == 404:
            assert logged.count() == before == 0, (who, name)


# The pages that are not one case, for the defensoras: Dora (defensora), Sara (defensora and
# supervisor of Lima), Delia (defensora beside Dora), Dina (defensora in Cusco).
OTHER_URLS = {
    "index": {"dora": 200, "sara": 200, "delia": 200, "dina": 200},
    "case_new": {"dora": 200, "sara": 200, "delia": 200, "dina": 200},
    "reads": {"dora": 404, "sara": 200, "delia": 404, "dina": 404},
    "glass": {"dora": 404, "sara": 404, "delia": 404, "dina": 404},
    "supervisors": {"dora": 404, "sara": 404, "delia": 404, "dina": 404},
    "directory": {"dora": 200, "sara": 200, "delia": 200, "dina": 200},
    "incidents": {"dora": 404, "sara": 200, "delia": 404, "dina": 404},
    "incidents_export": {"dora": 404, "sara": 200, "delia": 404, "dina": 404},
}


@pytest.mark.parametrize("who", ["dora", "sara", "delia", "dina"])
def test_the_other_protection_pages_for_each_defensora(client, pw, who):
    client.force_login(getattr(pw, who))
    for name, expected in OTHER_URLS.items():
        assert client.get(reverse(f"protection:{name}")).status_code == expected[who], (who, name)
    # Counts are for who may view the federation: a defensora alone does not.
    assert client.get(reverse("protection:counts", kwargs={"pk": pw.lima.pk})).status_code == 404
