"""The pages a secretary and a member use, end to end through the web forms."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ayni.governance.models import Assembly, Attendance, Motion, Vote
from ayni.governance.services import add_motion, record_attendance
from tests.conftest import make_user
from tests.governance_helpers import SYSTEM, Clock, convene, socias


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def test_a_secretary_convenes_takes_attendance_and_records_a_show_of_hands(client, world, clock):
    socias(world.kitchen, 3)
    client.force_login(world.leader)
    day = (timezone.localdate() + datetime.timedelta(days=9)).isoformat()
    url = reverse("governance:convene", kwargs={"pk": world.kitchen.pk})
    early = client.post(url, {"kind": "ordinary", "mode": "in_person", "day": timezone.localdate().isoformat(),
                              "time": "15:00", "place": "Local", "agenda": "Informe"})
    assert "días de anticipación" in early.content.decode() and not Assembly.objects.exists()
    response = client.post(url, {"kind": "ordinary", "mode": "in_person", "day": day, "time": "15:00",
                                 "place": "Local comunal", "agenda": "Informe\nCuotas"})
    assembly = Assembly.objects.get()
    target = {"pk": world.kitchen.pk, "assembly": assembly.pk}
    assert response.status_code == 302 and response["Location"] == reverse("governance:assembly", kwargs=target)
    clock.at(assembly.starts_at)
    client.post(reverse("governance:attendance", kwargs=target), {"how": "tap", "n": ["1", "2"]})
    page = client.post(reverse("governance:attendance", kwargs=target), {"how": "paper", "numeros": "2, 3 99"},
                       follow=True).content.decode()
    assert "número 99" in page and Attendance.objects.count() == 2
    client.post(reverse("governance:attendance", kwargs=target), {"how": "paper", "numeros": "3"})
    page = client.post(reverse("governance:quorum", kwargs=target), {"call": "first"}, follow=True).content.decode()
    assert "Hay quórum: 3 de 4" in page
    client.post(reverse("governance:motion_add", kwargs=target),
                {"item": assembly.agenda.first().pk, "text": "Aprobar el informe", "decision": "ordinary",
                 "ballot": "hands"})
    motion = Motion.objects.get()
    mtarget = {**target, "motion": motion.pk}
    client.post(reverse("governance:motion_open", kwargs=mtarget))
    too_many = client.post(reverse("governance:hands", kwargs=mtarget), {"yes": 4, "no": 1, "abstain": 0})
    assert "solo hay 3 presentes" in too_many.content.decode()
    client.post(reverse("governance:hands", kwargs=mtarget), {"yes": 2, "no": 1, "abstain": 0})
    client.post(reverse("governance:motion_close", kwargs=mtarget))
    page = client.get(reverse("governance:assembly", kwargs=target)).content.decode()
    assert "Aprobada" in page and "Quispe" in page
    client.post(reverse("governance:close", kwargs=target))
    assert Assembly.objects.get().status == Assembly.Status.CLOSED


def test_a_member_votes_from_her_phone_in_a_consultation(client, world, clock):
    assembly = convene(world.kitchen, mode=Assembly.Mode.ASYNC)
    motion = add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="¿Compramos una cocina?", ballot="secret")
    maria = make_user("maria", person=world.member)
    client.force_login(maria)
    clock.at(assembly.starts_at + datetime.timedelta(hours=1))
    home = client.get(reverse("governance:index")).content.decode()
    assert "¿Compramos una cocina?" in home and "aún no vota" in home
    url = reverse("governance:vote", kwargs={"motion": motion.pk})
    assert client.post(url, {"choice": "yes"}).status_code == 302
    page = client.post(url, {"choice": "yes"}, follow=True).content.decode()
    assert "Ya votó" in page
    client.post(url, {"choice": "no"})
    motion.refresh_from_db()
    assert (motion.yes, motion.no, motion.voters) == (0, 1, 1) and Vote.objects.count() == 2
    assert "ya votó" in client.get(reverse("governance:index")).content.decode()


def test_a_viewer_sees_the_count_but_no_name(client, world):
    assembly = convene(world.kitchen)
    client.force_login(world.viewer)
    page = client.get(reverse("governance:assembly", kwargs={"pk": world.kitchen.pk, "assembly": assembly.pk}))
    html = page.content.decode()
    assert page.status_code == 200 and "Socias en el padrón" in html and "Quispe" not in html


def test_the_assembly_page_reads_a_fixed_number_of_queries_however_long_the_roll(client, world, clock):
    def queries_for(n):
        org = world.kitchen if n == 5 else world.olla
        socias(org, n)
        assembly = convene(org)
        clock.at(assembly.starts_at)
        record_attendance(scope=SYSTEM, assembly=assembly, numbers=list(range(1, n // 2 + 1)), how="tap")
        client.force_login(world.coordinator)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("governance:assembly", kwargs={"pk": org.pk, "assembly": assembly.pk})
                              ).status_code == 200
        return len(ctx)

    assert queries_for(5) == queries_for(40)


def test_the_statute_form_writes_the_organisations_own_rules_and_leaves_the_kinds(client, world):
    from ayni.governance.models import StatuteRule
    from ayni.governance.rules import rule_for
    from ayni.governance.services import RULE_FIELDS

    client.force_login(world.leader)
    url = reverse("governance:rules", kwargs={"pk": world.kitchen.pk})
    data = {f: getattr(rule_for(world.kitchen), f) for f in RULE_FIELDS}
    response = client.post(url, {**data, "notice_days": 3, "proxies_allowed": "on"})
    assert response.status_code == 302
    assert StatuteRule.objects.get(organisation=world.kitchen).notice_days == 3
    assert StatuteRule.objects.get(kind_id="comedor-popular").notice_days == 7
    assert "3 días" in client.get(reverse("governance:assemblies", kwargs={"pk": world.kitchen.pk})).content.decode()
