"""Quechua (`qu`) for the kitchen leader: the switch without JavaScript, her pages and her text
replies in Quechua, the Quechua keywords (mixed with Spanish words) and the registry's language
choosing the language of a reply. Only the network edge (`gateways._post`) is replaced."""

import datetime
import json

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.db.models import F
from django.urls import reverse

from ayni.capture import gateways, sms
from ayni.capture.models import OutboundMessage
from ayni.kitchens.models import DailyReport, StockMovement
from ayni.people.models import Language, Person
from tests.conftest import PASSWORD
from tests.kitchens import TODAY

pytestmark = pytest.mark.django_db

SECRET = "secreto-de-la-pasarela"
ROSA = "+51912345678"  # world.leader's account phone
CATALOGUE = settings.BASE_DIR / "locale" / "qu" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def network(monkeypatch, settings):
    settings.AYNI_SMS_GATEWAY_SECRET = SECRET
    settings.AYNI_SMS_GATEWAY_URL = "https://gateway.example/message"
    settings.AYNI_SMS_GATEWAY = "android"
    sent = []
    monkeypatch.setattr(gateways, "_post", lambda url, data, headers: sent.append(json.loads(data)["message"]))
    return sent


def text(client, body, ident):
    # A burst gets one answer (capture.messages.REPLY_GAP): each text here comes a minute later.
    OutboundMessage.objects.update(created_at=F("created_at") - datetime.timedelta(minutes=1))
    return client.post(reverse("capture:webhook", kwargs={"gateway": "android"}),
                       json.dumps({"event": "sms:received", "id": ident, "payload": {"phoneNumber": ROSA,
                                                                                      "message": body}}),
                       content_type="application/json", HTTP_X_AYNI_SECRET=SECRET)


def quechua(client):
    """The footer's switch: a plain form post, no JavaScript."""
    response = client.post(reverse("set_language"), {"language": "qu", "next": "/"})
    assert response.status_code == 302


def test_the_login_page_offers_quechua_and_switches_to_it_without_javascript(client):
    page = client.get("/cuenta/ingresar/").content.decode()
    assert 'name="language" value="qu"' in page and ">Runasimi<" in page
    quechua(client)
    page = client.get("/cuenta/ingresar/").content.decode()
    assert '<html lang="qu">' in page and "Ayniman yaykuy" in page and ">Yaykuy<" in page


def test_her_home_and_daily_report_are_in_quechua_and_the_confirmation_too(client, world):
    quechua(client)
    client.post("/cuenta/ingresar/", {"username": "rosa", "password": PASSWORD})
    home = client.get("/").content.decode()
    assert "Allillanchu" in home and "Kunan punchaw willay" in home
    url = reverse("kitchens:report", kwargs={"pk": world.kitchen.pk, "day": TODAY.isoformat()})
    form = client.get(url).content.decode()
    assert "Yanusqa raciones" in form and "Punchaw willayta waqaychay" in form
    response = client.post(url, {"rations_prepared": 90, "served_paying": 60, "served_subsidised": 20,
                                 "served_free": 10, "price_per_ration": "3.00", "cash_received": "180",
                                 "cooks_count": 2, "version": 0}, follow=True)
    assert "punchaw willay waqaychasqañam" in response.content.decode()
    assert DailyReport.objects.get(kitchen=world.kitchen, date=TODAY).served_paying == 60


def test_the_registry_language_picks_her_interface_until_she_switches(client, world):
    person = Person.objects.create(given_names="Rosa", paternal_surname="Quispe")
    person.languages.set([Language.objects.get(code="quechua")])
    world.leader.person = person
    world.leader.save()
    client.post("/cuenta/ingresar/", {"username": "rosa", "password": PASSWORD})
    home = client.get("/").content.decode()
    assert '<html lang="qu">' in home and "Allillanchu" in home
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert "Hola" in client.get("/").content.decode()
    client.force_login(world.coordinator)  # bilingual or not in the registry: Spanish
    client.cookies.pop("django_language")
    assert '<html lang="es">' in client.get("/").content.decode()


def test_a_text_with_a_quechua_keyword_is_answered_in_quechua(client, world, network):
    assert text(client, "MIKUY 120 30 10", "q-1").status_code == 204
    saved = DailyReport.objects.get(kitchen=world.kitchen, date=TODAY)
    assert (saved.served_paying, saved.served_subsidised, saved.served_free) == (120, 30, 10)
    assert "160 raciones" in network[0] and "pagaq" in network[0] and "Añay" in network[0]


def test_a_quechua_text_with_spanish_words_works_and_is_answered_in_quechua(client, world, network):
    text(client, "chaskiy arroz 50 kilos", "q-2")
    line = StockMovement.objects.get(kitchen=world.kitchen)
    assert (line.item_id, line.delta) == ("arroz", 50)
    assert "chaskisqa" in network[0]
    text(client, "TUKUY qullqi 3", "q-3")  # a word for no food: the mistake named in Quechua
    assert "mikunataqa manam riqsinichu" in network[1]
    text(client, "YANAPAY", "q-4")
    assert "MIKUY 120 30 10" in network[2] and "CHASKIY ARROZ 50" in network[2]


def test_the_registry_language_chooses_the_reply_language(client, world, network):
    text(client, "R 10 0 0", "s-1")
    assert "raciones (10 pagantes" in network[0]  # Spanish keyword, bilingual or unknown: Spanish
    person = Person.objects.create(given_names="Rosa", paternal_surname="Quispe", phone="912345678")
    person.languages.set([Language.objects.get(code="quechua")])
    world.leader.person = person
    world.leader.save()
    text(client, "R 11 0 0", "s-2")
    assert "pagaq" in network[1]  # she speaks Quechua and not Spanish: Quechua, whatever keyword
    person.languages.add(Language.objects.get(code="castellano"))
    text(client, "R 12 0 0", "s-3")
    assert "pagantes" in network[2]


def test_reply_language_rules():
    assert sms.reply_language("Mikuy 1 2 3") == "qu"
    assert sms.reply_language("wichqay mana gas kanchu") == "qu"
    assert sms.reply_language("R 1 2 3") == "es"
    assert sms.reply_language("R 1 2 3", {"quechua"}) == "qu"
    assert sms.reply_language("R 1 2 3", {"quechua", "castellano"}) == "es"
    assert sms.reply_language(None) == "es"


def test_every_text_reply_and_help_has_a_quechua_proposal_marked_for_review():
    """The replies a leader reads on her phone are all translated — the kitchen's, and those to her
    votes, attendance, dues and savings texts — each marked as a proposal that a native speaker has
    still to review (docs/glosario-qu.md)."""
    catalogue = read_po(CATALOGUE.open("rb"))
    replying = ("capture/sms.py", "capture/messages.py", "governance/texts.py", "economy/texts.py")
    texts = [m for m in catalogue if m.id and any(path in replying for path, _line in m.locations)]
    assert len(texts) >= 80
    for message in texts:
        assert message.string, message.id
        assert any(c.startswith("revisar") for c in message.user_comments), message.id
        for placeholder in ("%(", ):
            assert message.id.count(placeholder) == message.string.count(placeholder), message.id
