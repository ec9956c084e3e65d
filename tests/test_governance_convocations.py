"""Every member with an account sees on her home page the assemblies she is convened to: date,
place or mode, agenda, and the link to vote while a consultation is open — found only through her
own place on a roll, in a fixed number of queries."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ayni.governance import services
from ayni.governance.models import Assembly
from tests.conftest import make_user
from tests.governance_helpers import SYSTEM, Clock, convene, socias


def test_her_home_page_lists_her_convocations_with_agenda_and_the_vote_link(client, world, monkeypatch):
    in_person = convene(world.kitchen, agenda=("Informe económico", "Elección del comité"))
    consultation = convene(world.kitchen, mode=Assembly.Mode.ASYNC, days=12, agenda=("Compra de la cocina",))
    motion = services.add_motion(scope=SYSTEM, item=consultation.agenda.first(), text="¿Compramos una cocina?")
    convene(world.olla)  # she is not on this one's roll
    maria = make_user("maria", person=world.member)
    client.force_login(maria)
    home = client.get(reverse("core:home")).content.decode()
    assert "Asambleas a las que está convocada" in home
    assert "Informe económico" in home and "Elección del comité" in home and "Local comunal" in home
    assert in_person.starts_at.astimezone().strftime("%d/%m/%Y") in home
    assert "Olla Común Los Jardines" not in home
    vote = reverse("governance:vote", kwargs={"motion": motion.pk})
    assert vote not in home  # the window is not open yet
    Clock(monkeypatch).at(consultation.starts_at + datetime.timedelta(hours=1))
    home = client.get(reverse("core:home")).content.decode()
    assert vote in home and "Votar la moción" in home


def test_someone_on_no_roll_sees_no_convocation(client, world):
    convene(world.kitchen)
    client.force_login(world.viewer)
    assert "Asambleas a las que está convocada" not in client.get(reverse("core:home")).content.decode()


def test_the_home_page_reads_a_fixed_number_of_queries_however_many_convocations(client, world, monkeypatch):
    maria = make_user("maria", person=world.member)
    client.force_login(maria)
    socias(world.kitchen, 3)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("core:home")).status_code == 200
        return len(ctx)

    first = convene(world.kitchen, mode=Assembly.Mode.ASYNC)
    services.add_motion(scope=SYSTEM, item=first.agenda.first(), text="Una")
    Clock(monkeypatch).at(first.starts_at - datetime.timedelta(days=9, hours=23))
    one = queries()
    for days in (11, 12, 13):
        a = convene(world.kitchen, mode=Assembly.Mode.ASYNC, days=days)
        services.add_motion(scope=SYSTEM, item=a.agenda.first(), text="Otra")
    assert queries() == one
