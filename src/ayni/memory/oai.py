"""OAI-PMH 2.0 (https://www.openarchives.org/OAI/openarchivesprotocol.html): the public
experiences in unqualified Dublin Core, so libraries and repositories can harvest the library.

- Six verbs; each topic tag is a set (flat, no hierarchy).
- Datestamps to the second, in UTC (`Experience.oai_stamp`, moved whenever what a harvester sees
  of an experience changes). An experience once public and then withdrawn or narrowed to the
  network is answered as deleted (`deletedRecord` persistent), so harvesters drop their copy.
- Lists are cut in pages with a resumption token: the token is signed (a forged or altered one is
  `badResumptionToken`), expires after a day, and carries where the list stands — the last
  (datestamp, id) sent — and the upper bound frozen at the first request, so experiences
  published while a harvester pages through neither shift the pages nor change
  `completeListSize`; they are caught by the next incremental harvest (`from`).
"""

import datetime
import xml.etree.ElementTree as ET

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from ayni.memory.models import Experience, Topic

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
PREFIXES = (("", OAI), ("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI))


def _serialise(root) -> bytes:
    # ElementTree's prefixes are one registry for the whole process, and other code takes the
    # default one for itself (pyxform, for the XForms namespace): ours are set again each time.
    for prefix, uri in PREFIXES:
        ET.register_namespace(prefix, uri)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")

PAGE_SIZE = 50
TOKEN_SECONDS = 24 * 3600
TOKEN_SALT = "ayni.memory.oai"  # noqa: S105 -- a signing salt, not a secret
FORMATS = {"oai_dc": (OAI_DC_SCHEMA, OAI_DC)}
# Dublin Core wants ISO 639 codes; the registry names languages by word.
ISO_639 = {"castellano": "spa", "quechua": "que", "aimara": "aym", "ashaninka": "cni", "awajun": "agr",
           "shipibo": "shp"}

VERBS = {  # verb: (required, optional, exclusive)
    "Identify": (set(), set(), None),
    "ListMetadataFormats": (set(), {"identifier"}, None),
    "ListSets": (set(), set(), "resumptionToken"),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), None),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
}


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _q(tag: str, ns: str = OAI) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent, tag: str, text=None, ns: str = OAI, **attrs):
    element = ET.SubElement(parent, _q(tag, ns), {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datestamp(text: str) -> tuple[datetime.datetime, bool]:
    """(the moment, whether it was given to the day). Both granularities the repository supports."""
    for fmt, day in (("%Y-%m-%d", True), ("%Y-%m-%dT%H:%M:%SZ", False)):
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.UTC), day
        except ValueError:
            continue
    raise OAIError("badArgument", f"Illegal date '{text}': use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC).")


def repository_id(request) -> str:
    return getattr(settings, "AYNI_OAI_REPOSITORY_ID", "") or request.get_host().split(":")[0]


def identifier(request, experience_pk: int) -> str:
    return f"oai:{repository_id(request)}:experiencia/{experience_pk}"


def _pk_from(request, ident: str) -> int | None:
    prefix = f"oai:{repository_id(request)}:experiencia/"
    tail = ident[len(prefix):] if ident.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


def harvestable() -> QuerySet[Experience]:
    """Every experience a harvester may know of: public now, or public once (then deleted)."""
    return Experience.objects.filter(harvested=True, oai_stamp__isnull=False)


# --- Arguments ---------------------------------------------------------------------------------

def _arguments(request) -> tuple[str, dict[str, str]]:
    source = request.POST if request.method == "POST" else request.GET
    verb_values = source.getlist("verb")
    if len(verb_values) != 1 or verb_values[0] not in VERBS:
        raise OAIError("badVerb", "Illegal or missing verb." if len(verb_values) < 2 else "The verb is repeated.")
    verb = verb_values[0]
    args = {}
    for key in source:
        if key == "verb":
            continue
        values = source.getlist(key)
        if len(values) != 1:
            raise OAIError("badArgument", f"The argument '{key}' is repeated.")
        args[key] = values[0]
    required, optional, exclusive = VERBS[verb]
    if exclusive and exclusive in args:
        if set(args) != {exclusive}:
            raise OAIError("badArgument", f"'{exclusive}' is an exclusive argument.")
        return verb, args
    allowed = required | optional
    extra = set(args) - allowed
    if extra:
        raise OAIError("badArgument", f"Illegal arguments: {', '.join(sorted(extra))}.")
    missing = required - set(args)
    if missing:
        raise OAIError("badArgument", f"Missing arguments: {', '.join(sorted(missing))}.")
    return verb, args


# --- The response --------------------------------------------------------------------------------

def respond(request) -> HttpResponse:
    now = timezone.now().replace(microsecond=0)
    root = ET.Element(_q("OAI-PMH"), {_q("schemaLocation", XSI): f"{OAI} {OAI_SCHEMA}"})
    _sub(root, "responseDate", stamp(now))
    base = request.build_absolute_uri(reverse("memory:oai"))
    request_element = _sub(root, "request", base)
    try:
        verb, args = _arguments(request)
        # The request is echoed with its arguments only when they are legal (the spec's rule).
        request_element.set("verb", verb)
        for key, value in args.items():
            request_element.set(key, value)
        body = ET.Element(_q(verb))
        HANDLERS[verb](request, body, args, now)
        root.append(body)  # only once it is whole: an error answers instead of it
    except OAIError as error:
        if error.code in ("badVerb", "badArgument"):
            request_element.attrib.clear()
        _sub(root, "error", error.message, code=error.code)
    content = _serialise(root)
    response = HttpResponse(content, content_type="text/xml; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def identify(request, body, args, now):
    earliest = harvestable().order_by("oai_stamp").values_list("oai_stamp", flat=True).first()
    _sub(body, "repositoryName", getattr(settings, "AYNI_OAI_REPOSITORY_NAME", "")
         or "Ayni — biblioteca de experiencias de las organizaciones de mujeres")
    _sub(body, "baseURL", request.build_absolute_uri(reverse("memory:oai")))
    _sub(body, "protocolVersion", "2.0")
    _sub(body, "adminEmail", getattr(settings, "AYNI_OAI_ADMIN_EMAIL", "") or settings.SERVER_EMAIL)
    _sub(body, "earliestDatestamp", stamp(earliest or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)))
    _sub(body, "deletedRecord", "persistent")
    _sub(body, "granularity", "YYYY-MM-DDThh:mm:ssZ")


def list_metadata_formats(request, body, args, now):
    if "identifier" in args:
        _one(request, args["identifier"])
    for prefix, (schema, namespace) in FORMATS.items():
        element = _sub(body, "metadataFormat")
        _sub(element, "metadataPrefix", prefix)
        _sub(element, "schema", schema)
        _sub(element, "metadataNamespace", namespace)


def list_sets(request, body, args, now):
    if "resumptionToken" in args:
        raise OAIError("badResumptionToken", "ListSets is answered whole; there is no token to resume.")
    topics = list(Topic.objects.filter(experiences__harvested=True).distinct().order_by("slug"))
    if not topics:  # the protocol's list holds at least one set
        raise OAIError("noSetHierarchy", "No experience with a topic has been published yet.")
    for topic in topics:
        element = _sub(body, "set")
        _sub(element, "setSpec", topic.slug)
        _sub(element, "setName", topic.name)


def _one(request, ident: str) -> Experience:
    pk = _pk_from(request, ident)
    experience = harvestable().filter(pk=pk).first() if pk else None
    if experience is None:
        raise OAIError("idDoesNotExist", f"No record has the identifier '{ident}'.")
    return experience


def _format(prefix: str) -> None:
    if prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", f"The metadata format '{prefix}' is not served here; use oai_dc.")


def get_record(request, body, args, now):
    _format(args["metadataPrefix"])
    experience = _one(request, args["identifier"])
    experience = _with_relations(Experience.objects.filter(pk=experience.pk))[0]
    _record(request, _sub(body, "record"), experience, with_metadata=True)


def _with_relations(qs):
    return list(qs.select_related("organisation", "language")
                .prefetch_related("topics", "districts__department", "organisations"))


def _header(request, parent, experience: Experience):
    header = _sub(parent, "header", **({"status": "deleted"} if not experience.is_public else {}))
    _sub(header, "identifier", identifier(request, experience.pk))
    _sub(header, "datestamp", stamp(experience.oai_stamp))
    for topic in experience.topics.all():
        _sub(header, "setSpec", topic.slug)
    return header


def _record(request, parent, experience: Experience, *, with_metadata: bool):
    _header(request, parent, experience)
    if with_metadata and experience.is_public:
        metadata = _sub(parent, "metadata")
        dc = ET.SubElement(metadata, _q("dc", OAI_DC), {_q("schemaLocation", XSI): f"{OAI_DC} {OAI_DC_SCHEMA}"})
        for tag, value in dublin_core(request, experience):
            if value:
                _sub(dc, tag, value, ns=DC)


def dublin_core(request, experience: Experience) -> list[tuple[str, str]]:
    """The fifteen elements that apply: what a library catalogue needs to find and cite it."""
    fields = [("title", experience.title), ("creator", experience.organisation.name)]
    fields += [("subject", t.name) for t in experience.topics.all()]
    fields += [("description", experience.starting_point[:1000]), ("description", experience.arrival[:2000])]
    fields += [("publisher", "Ayni")]
    fields += [("contributor", o.name) for o in experience.organisations.all()]
    fields += [("date", experience.published_at.astimezone(datetime.UTC).date().isoformat()
                if experience.published_at else ""),
               ("type", "Text"), ("format", "text/html"),
               ("identifier", request.build_absolute_uri(reverse("memory:experience", args=[experience.pk]))),
               ("language", ISO_639.get(experience.language_id, ""))]
    fields += [("coverage", f"{d.name}, {d.department.name}, Perú".title()) for d in experience.districts.all()]
    return fields


# --- Lists and their resumption tokens -------------------------------------------------------------

def _list(request, body, args, now, *, with_metadata: bool):
    verb = "ListRecords" if with_metadata else "ListIdentifiers"
    if "resumptionToken" in args:
        state = _read_token(args["resumptionToken"])
        if state.get("verb", verb) != verb:
            raise OAIError("badResumptionToken", f"This resumption token continues {state['verb']}, not {verb}.")
    else:
        _format(args["metadataPrefix"])
        state = {**_first_state(args, now), "verb": verb}
    qs = _frozen(state)
    if state["after"]:
        after_stamp, after_pk = _dt(state["after"][0]), state["after"][1]
        qs = qs.filter(Q(oai_stamp__gt=after_stamp) | Q(oai_stamp=after_stamp, pk__gt=after_pk))
    page = _with_relations(qs.order_by("oai_stamp", "pk")[:PAGE_SIZE + 1]) if with_metadata else \
        list(qs.prefetch_related("topics").order_by("oai_stamp", "pk")[:PAGE_SIZE + 1])
    if not page and state["cursor"] == 0:
        raise OAIError("noRecordsMatch", "No record matches the request.")
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    for experience in page:
        if with_metadata:
            _record(request, _sub(body, "record"), experience, with_metadata=True)
        else:
            _header(request, body, experience)
    if state["cursor"] == 0 and not more:
        return  # the whole list in one response: no token (the spec's rule)
    attrs = {"completeListSize": state["total"], "cursor": state["cursor"]}
    if more:
        last = page[-1]
        token = signing.dumps({**state, "after": [last.oai_stamp.isoformat(), last.pk],
                               "cursor": state["cursor"] + len(page)}, salt=TOKEN_SALT, compress=True)
        attrs["expirationDate"] = stamp(now + datetime.timedelta(seconds=TOKEN_SECONDS))
        _sub(body, "resumptionToken", token, **attrs)
    else:
        _sub(body, "resumptionToken", None, **attrs)  # empty: the list is complete


def _dt(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def _first_state(args, now) -> dict:
    start, before = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), now + datetime.timedelta(seconds=1)
    day_from = day_until = None
    if "from" in args:
        start, day_from = parse_datestamp(args["from"])
    if "until" in args:
        until, day_until = parse_datestamp(args["until"])
        # Inclusive: to the end of that day, or of that second.
        before = min(before, until + (datetime.timedelta(days=1) if day_until else datetime.timedelta(seconds=1)))
    if day_from is not None and day_until is not None and day_from != day_until:
        raise OAIError("badArgument", "'from' and 'until' must have the same granularity.")
    if "from" in args and "until" in args and start > parse_datestamp(args["until"])[0]:
        raise OAIError("badArgument", "'from' is later than 'until'.")
    state = {"prefix": args["metadataPrefix"], "from": start.isoformat(), "before": before.isoformat(),
             "now": now.isoformat(), "top": harvestable().order_by("-pk").values_list("pk", flat=True).first() or 0,
             "set": args.get("set", ""), "after": None, "cursor": 0}
    state["total"] = _frozen(state).count()
    return state


def _frozen(state) -> QuerySet[Experience]:
    """The list as it stood at the first request: up to its `until`, and in the second of that
    request only the experiences that existed then (those stamped later in the same second come
    with the next harvest, whose `from` is this response's date)."""
    qs = harvestable().filter(oai_stamp__gte=_dt(state["from"]), oai_stamp__lt=_dt(state["before"]))
    qs = qs.filter(Q(oai_stamp__lt=_dt(state["now"])) | Q(pk__lte=state["top"]))
    return qs.filter(topics__slug=state["set"]) if state["set"] else qs


def _read_token(token: str) -> dict:
    try:
        state = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise OAIError("badResumptionToken", "The resumption token has expired; start the list again.") from None
    except signing.BadSignature:
        raise OAIError("badResumptionToken", "The resumption token is not valid.") from None
    if not isinstance(state, dict) or not {"prefix", "from", "before", "now", "top", "set", "after", "cursor",
                                                    "total"} <= set(state):
        raise OAIError("badResumptionToken", "The resumption token is not valid.")
    return state


def list_identifiers(request, body, args, now):
    _list(request, body, args, now, with_metadata=False)


def list_records(request, body, args, now):
    _list(request, body, args, now, with_metadata=True)


HANDLERS = {
    "Identify": identify, "ListMetadataFormats": list_metadata_formats, "ListSets": list_sets,
    "GetRecord": get_record, "ListIdentifiers": list_identifiers, "ListRecords": list_records,
}
