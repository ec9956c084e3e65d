"""OAI-PMH 2.0 for the public experiences: every verb and error of the protocol, datestamps in
UTC, resumption tokens that stay put while experiences are published, and a real harvester
(Sickle) that collects them all over HTTP."""

import datetime
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from ayni.accounts.scope import Scope
from ayni.memory import oai, services
from ayni.memory.models import Experience
from tests.memory_helpers import SYSTEM, experience_for, published

pytestmark = pytest.mark.django_db

NS = {"o": oai.OAI, "dc": oai.DC, "oai_dc": oai.OAI_DC}
UTC_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ERRORS = {"badArgument", "badResumptionToken", "badVerb", "cannotDisseminateFormat", "idDoesNotExist",
          "noRecordsMatch", "noMetadataFormats", "noSetHierarchy"}
# The children each verb's element may hold, in the order the protocol's schema sets.
ORDER = {
    "Identify": ["repositoryName", "baseURL", "protocolVersion", "adminEmail", "earliestDatestamp",
                 "deletedRecord", "granularity"],
    "ListMetadataFormats": ["metadataFormat"],
    "ListSets": ["set", "resumptionToken"],
    "GetRecord": ["record"],
    "ListIdentifiers": ["header", "resumptionToken"],
    "ListRecords": ["record", "resumptionToken"],
}
DC_ELEMENTS = {"title", "creator", "subject", "description", "publisher", "contributor", "date", "type", "format",
               "identifier", "source", "language", "relation", "coverage", "rights"}


def valid(content: bytes):
    """Parse the response and check it against the protocol's structure (OAI-PMH.xsd, written
    out here): root, responseDate, request, then an error list or the verb's element with its
    children in order; every datestamp to the second in UTC; Dublin Core only with its 15."""
    root = etree.fromstring(content)
    assert root.tag == f"{{{oai.OAI}}}OAI-PMH"
    assert root.get(f"{{{oai.XSI}}}schemaLocation") == f"{oai.OAI} {oai.OAI_SCHEMA}"
    children = [etree.QName(c).localname for c in root]
    assert children[:2] == ["responseDate", "request"]
    assert UTC_STAMP.match(root.findtext("o:responseDate", namespaces=NS))
    rest = root[2:]
    if children[2] == "error":
        assert all(etree.QName(e).localname == "error" and e.get("code") in ERRORS for e in rest)
        return root
    assert len(rest) == 1
    verb = etree.QName(rest[0]).localname
    kids = [etree.QName(k).localname for k in rest[0]]
    order = ORDER[verb]
    assert kids == sorted(kids, key=order.index), f"{verb}: {kids}"
    assert kids.count("resumptionToken") <= 1 and (not kids or kids[-1] == "resumptionToken"
                                                   or "resumptionToken" not in kids)
    for stamp in root.iter(f"{{{oai.OAI}}}datestamp"):
        assert UTC_STAMP.match(stamp.text)
    for header in root.iter(f"{{{oai.OAI}}}header"):
        assert [etree.QName(k).localname for k in header][:2] == ["identifier", "datestamp"]
    for record in root.iter(f"{{{oai.OAI}}}record"):
        parts = [etree.QName(k).localname for k in record]
        deleted = record.find("o:header", NS).get("status") == "deleted"
        assert parts == (["header"] if deleted else ["header", "metadata"])
    for dc in root.iter(f"{{{oai.OAI_DC}}}dc"):
        assert {etree.QName(k).localname for k in dc} <= DC_ELEMENTS
        assert all(etree.QName(k).namespace == oai.DC for k in dc)
    return root


def ask(client, **params):
    response = client.get(reverse("memory:oai"), params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    return valid(response.content)


def error_of(root) -> str | None:
    found = root.find("o:error", NS)
    return found.get("code") if found is not None else None


def test_identify(world, client):
    published(world)
    root = ask(client, verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:baseURL", namespaces=NS) == "http://testserver/oai"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert UTC_STAMP.match(identify.findtext("o:earliestDatestamp", namespaces=NS))
    assert root.find("o:request", NS).get("verb") == "Identify"


def test_list_metadata_formats_and_sets(world, client):
    experience = published(world, topics="gas, huerto")
    root = ask(client, verb="ListMetadataFormats")
    assert root.findtext(".//o:metadataPrefix", namespaces=NS) == "oai_dc"
    ident = f"oai:testserver:experiencia/{experience.pk}"
    assert error_of(ask(client, verb="ListMetadataFormats", identifier=ident)) is None
    assert error_of(ask(client, verb="ListMetadataFormats", identifier="oai:testserver:experiencia/999")) \
        == "idDoesNotExist"
    specs = [s.text for s in ask(client, verb="ListSets").iterfind(".//o:setSpec", NS)]
    assert specs == ["gas", "huerto"]


def test_get_record_in_dublin_core_and_only_public_ones(world, client):
    experience = published(world, title="El gas lo paga la municipalidad", topics="gas")
    network = published(world, audience="network", title="Solo para la red")
    draft = experience_for(world, title="Borrador")
    root = ask(client, verb="GetRecord", identifier=f"oai:testserver:experiencia/{experience.pk}",
               metadataPrefix="oai_dc")
    dc = root.find(".//oai_dc:dc", NS)
    assert dc.findtext("dc:title", namespaces=NS) == "El gas lo paga la municipalidad"
    assert dc.findtext("dc:creator", namespaces=NS) == "Comedor Popular Santa Rosa"
    assert dc.findtext("dc:language", namespaces=NS) == "spa"
    assert dc.findtext("dc:subject", namespaces=NS) == "gas"
    assert dc.findtext("dc:identifier", namespaces=NS) == f"http://testserver/experiencias/{experience.pk}/"
    assert "Villa El Salvador" in dc.findtext("dc:coverage", namespaces=NS)
    for hidden in (network, draft):
        root = ask(client, verb="GetRecord", identifier=f"oai:testserver:experiencia/{hidden.pk}",
                   metadataPrefix="oai_dc")
        assert error_of(root) == "idDoesNotExist"
    root = ask(client, verb="GetRecord", identifier=f"oai:testserver:experiencia/{experience.pk}",
               metadataPrefix="marc21")
    assert error_of(root) == "cannotDisseminateFormat"


@pytest.mark.parametrize("params,code", [
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": "ListRecords"}, "badArgument"),  # metadataPrefix is required
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "color": "red"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01", "until": "2024-02-01T00:00:00Z"},
     "badArgument"),  # two granularities
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-01", "until": "2024-01-01"},
     "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "inventado"}, "badResumptionToken"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_ead"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2001-01-01"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "no-existe"}, "noRecordsMatch"),
    ({"verb": "GetRecord", "identifier": "oai:testserver:experiencia/1"}, "badArgument"),
    ({"verb": "Identify", "identifier": "x"}, "badArgument"),
])
def test_protocol_errors(world, client, params, code):
    published(world)
    root = ask(client, **params)
    assert error_of(root) == code
    if code in ("badVerb", "badArgument"):
        assert root.find("o:request", NS).attrib == {}  # the request is echoed bare


def test_a_repeated_argument_is_bad(world, client):
    response = client.get(reverse("memory:oai") + "?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert error_of(valid(response.content)) == "badArgument"


def test_arguments_may_come_by_post(world, client):
    published(world)
    response = client.post(reverse("memory:oai"), {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert len(valid(response.content).findall(".//o:header", NS)) == 1


def _at(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_from_and_until_select_by_datestamp_in_utc(world, client, monkeypatch):
    base = datetime.datetime(2026, 3, 10, 12, 0, 0, tzinfo=datetime.UTC)
    for hours in (0, 24, 48):
        _at(monkeypatch, base + datetime.timedelta(hours=hours))
        published(world, title=f"A las {hours}")
    monkeypatch.undo()

    def titles(**params):
        root = ask(client, verb="ListRecords", metadataPrefix="oai_dc", **params)
        return sorted(t.text for t in root.iterfind(".//dc:title", NS))

    assert titles(**{"from": "2026-03-11"}) == ["A las 24", "A las 48"]
    assert titles(until="2026-03-11") == ["A las 0", "A las 24"]  # a day's until takes the whole day
    assert titles(**{"from": "2026-03-11T12:00:00Z", "until": "2026-03-11T12:00:00Z"}) == ["A las 24"]
    root = ask(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2026-03-11T12:00:01Z",
                                                                        "until": "2026-03-12T11:59:59Z"})
    assert error_of(root) == "noRecordsMatch"


def _harvest(client, verb="ListIdentifiers", **params):
    """Every page of a list: (identifiers, the resumption tokens' attributes)."""
    root = ask(client, verb=verb, metadataPrefix="oai_dc", **params)
    seen, tokens = [], []
    while True:
        seen += [h.text for h in root.iterfind(".//o:header/o:identifier", NS)]
        token = root.find(f".//o:{verb}/o:resumptionToken", NS)
        if token is None:
            return seen, tokens
        tokens.append(dict(token.attrib))
        if not token.text:
            return seen, tokens
        root = ask(client, verb=verb, resumptionToken=token.text)


def test_resumption_tokens_page_through_with_cursor_size_and_expiry(world, client, monkeypatch):
    monkeypatch.setattr(oai, "PAGE_SIZE", 3)
    made = [published(world, title=f"Experiencia {i}") for i in range(8)]
    seen, tokens = _harvest(client, verb="ListRecords")
    assert seen == [f"oai:testserver:experiencia/{e.pk}" for e in made]
    assert [t["cursor"] for t in tokens] == ["0", "3", "6"]
    assert all(t["completeListSize"] == "8" for t in tokens)
    assert all(UTC_STAMP.match(t["expirationDate"]) for t in tokens[:-1]) and "expirationDate" not in tokens[-1]


def test_a_list_stays_put_while_experiences_are_published(world, client, monkeypatch):
    monkeypatch.setattr(oai, "PAGE_SIZE", 2)
    first = [published(world, title=f"Antes {i}") for i in range(5)]
    root = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.find(".//o:resumptionToken", NS)
    # Published while the harvester pages through: not in this list, in the next harvest.
    later = timezone.now() + datetime.timedelta(seconds=5)
    _at(monkeypatch, later)
    newer = [published(world, title=f"Durante {i}") for i in range(3)]
    seen = [h.text for h in root.iterfind(".//o:identifier", NS)]
    while token is not None and token.text:
        assert token.get("completeListSize") == "5"
        root = ask(client, verb="ListIdentifiers", resumptionToken=token.text)
        seen += [h.text for h in root.iterfind(".//o:identifier", NS)]
        token = root.find(".//o:resumptionToken", NS)
    assert seen == [f"oai:testserver:experiencia/{e.pk}" for e in first]
    again, _tokens = _harvest(client, **{"from": oai.stamp(later)})
    assert again == [f"oai:testserver:experiencia/{e.pk}" for e in newer]


def test_an_altered_or_expired_token_is_bad(world, client, monkeypatch):
    monkeypatch.setattr(oai, "PAGE_SIZE", 1)
    published(world, title="Una")
    published(world, title="Otra")
    token = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc").find(".//o:resumptionToken", NS).text
    assert error_of(ask(client, verb="ListIdentifiers", resumptionToken=token[:-2] + "xx")) == "badResumptionToken"
    assert error_of(ask(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"  # another list's
    assert error_of(ask(client, verb="ListIdentifiers", resumptionToken=token)) is None
    real = time.time()
    monkeypatch.setattr(time, "time", lambda: real + oai.TOKEN_SECONDS + 60)
    assert error_of(ask(client, verb="ListIdentifiers", resumptionToken=token)) == "badResumptionToken"


def test_a_withdrawn_experience_is_announced_as_deleted(world, client):
    experience = published(world)
    services.withdraw_experience(scope=Scope.for_user(world.coordinator), experience=experience, reason="Error")
    root = ask(client, verb="ListRecords", metadataPrefix="oai_dc")
    header = root.find(".//o:record/o:header", NS)
    assert header.get("status") == "deleted" and root.find(".//o:metadata", NS) is None
    root = ask(client, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=f"oai:testserver:experiencia/{experience.pk}")
    assert root.find(".//o:header", NS).get("status") == "deleted"


def test_no_sets_until_an_experience_with_a_topic_is_public(world, client):
    assert error_of(ask(client, verb="ListSets")) == "noSetHierarchy"


def test_a_draft_never_reaches_a_harvester(world, client):
    experience_for(world)
    draft = Experience.objects.get()
    services.submit_experience(scope=SYSTEM, experience=draft)
    assert error_of(ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")) == "noRecordsMatch"


@pytest.mark.django_db(transaction=True)
def test_a_real_harvester_collects_every_public_experience(live_server, monkeypatch):
    from sickle import Sickle

    from tests.conftest import build_world

    world = build_world()
    monkeypatch.setattr(oai, "PAGE_SIZE", 4)
    made = [published(world, title=f"Cosecha {i}", topics="gas, huerto" if i % 2 else "gas") for i in range(10)]
    published(world, audience="network", title="Solo la red")
    harvester = Sickle(f"{live_server.url}/oai")
    assert harvester.Identify().repositoryName.startswith("Ayni")
    records = list(harvester.ListRecords(metadataPrefix="oai_dc"))
    assert [r.metadata["title"][0] for r in records] == [e.title for e in made]
    assert all(r.metadata["language"] == ["spa"] for r in records)
    huerto = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set="huerto"))
    assert len(huerto) == 5
    one = harvester.GetRecord(identifier=records[3].header.identifier, metadataPrefix="oai_dc")
    assert one.metadata["title"] == ["Cosecha 3"]
    assert {s.setSpec for s in harvester.ListSets()} == {"gas", "huerto"}
