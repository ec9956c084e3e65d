"""Demo leadership: two schools with modules and sessions, attendance by every channel (the list,
a scanned card, a typed number, the phone's outbox through capture, a photographed paper list),
certificates for those who completed (one revoked, one showing her name), trajectories with
consent and representation won, and boards whose terms end within six months.

Written through the services (the volumes are small: two schools of a few dozen women), so
completion, credentials and status lists are exactly what the product would have made, and
`ayni check-integrity` passes on a fresh demo.
"""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ayni.accounts.models import User
from ayni.accounts.scope import Scope
from ayni.capture import inbound
from ayni.capture.models import Channel, Inbound
from ayni.demo.context import DemoContext, Node
from ayni.leadership import equity, services
from ayni.leadership.models import Attendance, Enrolment, Representation
from ayni.people.models import Language, Position

SYSTEM = Scope.system("generador de datos de demostración")
SCHOOLS = [
    {"name": "Escuela de Formación Política Feminista", "topic": "Liderazgo y participación política",
     "modules": ["Nuestros derechos", "Organización y democracia interna", "Incidencia ante el municipio"],
     "sessions": 6, "women": 24, "mode": "in_person", "languages": ["es"]},
    {"name": "Taller de gestión de comedores", "topic": "Gestión, nutrición y rendición de cuentas",
     "modules": ["Costos de la ración", "Nutrición y menú", "Rendición de cuentas"],
     "sessions": 4, "women": 18, "mode": "mixed", "languages": ["es", "qu"]},
]
CHANNELS = [Attendance.How.LIST, Attendance.How.CARD, "outbox", Attendance.How.NUMBER, Attendance.How.PAPER,
            Attendance.How.LIST]
OFFICES = [("councillor", "Regidora de la Municipalidad Distrital"), ("committee", "Comité de Vaso de Leche"),
           ("candidate", "Candidata a regidora"),
           ("roundtable", "Mesa de Concertación para la Lucha contra la Pobreza")]


def _at(day: datetime.date, hour: int = 15) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _photo() -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 160), "white").save(buffer, "JPEG")
    return SimpleUploadedFile("lista-firmada.jpg", buffer.getvalue(), content_type="image/jpeg")


def _women(ctx: DemoContext, organiser: Node, n: int) -> list[int]:
    people, seen = [], set()
    for node in organiser.walk():
        for member in node.current_members(ctx.today):
            if member.sex == "F" and member.person_id not in seen:
                seen.add(member.person_id)
                people.append(member.person_id)
    ctx.rng.shuffle(people)
    return people[:n]


def _mark(ctx, session, numbers, how, user):
    if not numbers:
        return
    if how == "outbox":  # kept on the facilitator's phone, sent when the signal came back
        inbound.submit(channel=Channel.OUTBOX, scope=SYSTEM, kitchen=session.programme.organisation,
                       kind=Inbound.Kind.ATTENDANCE, client_id=f"demo-{session.pk}",
                       payload={"session": session.pk, "numbers": ",".join(map(str, numbers)), "how": "list"})
    elif how == Attendance.How.PAPER:
        services.enter_paper_list(scope=SYSTEM, session=session, photo=_photo(), numbers=numbers)
    else:
        services.mark_attendance(scope=SYSTEM, session=session, numbers=numbers, how=how)
    ctx.counts[f"leadership:attendance:{how}"] += len(numbers)


def _school(ctx: DemoContext, organiser: Node, plan: dict, facilitator: User | None) -> list[Enrolment]:
    sessions_n = plan["sessions"]
    starts = ctx.today - datetime.timedelta(days=7 * sessions_n + 3)
    programme = services.create_programme(
        scope=SYSTEM, organisation=organiser.org, name=plan["name"], topic=plan["topic"], mode=plan["mode"],
        place=f"Local de {organiser.org.name}", starts_on=starts, ends_on=ctx.today + datetime.timedelta(days=30),
        places=plan["women"] + 6, languages=Language.objects.filter(code__in=plan["languages"]),
        for_organisations=[organiser.org])
    modules = [services.add_module(scope=SYSTEM, programme=programme, title=title,
                                   is_final=i == len(plan["modules"]) - 1) for i, title in enumerate(plan["modules"])]
    sessions = []
    for i in range(sessions_n):
        module = modules[min(i * len(modules) // sessions_n, len(modules) - 1)] if i < sessions_n - 1 else modules[-1]
        sessions.append(services.add_session(scope=SYSTEM, programme=programme, module=module,
                                             starts_at=_at(starts + datetime.timedelta(days=7 * i + 2)),
                                             place=programme.place, facilitators=[facilitator] if facilitator else []))
    # One more session still to come: its list is ready, nobody can be marked yet.
    services.add_session(scope=SYSTEM, programme=programme, module=modules[-1],
                         starts_at=_at(ctx.today + datetime.timedelta(days=10)), place=programme.place,
                         facilitators=[facilitator] if facilitator else [])
    people = _women(ctx, organiser, plan["women"] + 4)
    from ayni.people.models import Person

    enrolments = []
    for n, person in enumerate(Person.objects.filter(pk__in=people).order_by("pk")):
        enrolments.append(services.invite(scope=SYSTEM, programme=programme, person=person, enrol=n < plan["women"]))
    enrolled = [e for e in enrolments if e.status == Enrolment.Status.ENROLLED]
    for i, session in enumerate(sessions):
        present = [e.person_id for e in enrolled if ctx.rng.random() < 0.85]
        _mark(ctx, session, present, CHANNELS[i % len(CHANNELS)], facilitator)
    ctx.counts["leadership:programmes"] += 1
    return [Enrolment.objects.get(pk=e.pk) for e in enrolled]


def _boards_near_term_end(ctx: DemoContext) -> None:
    """Some boards end within six months, so the succession list has work (the boards step spreads
    terms over years)."""
    soon = ctx.today + datetime.timedelta(days=183)
    if Position.objects.filter(kind__group="board", ends_on__gte=ctx.today, ends_on__lte=soon).count() >= 5:
        return
    nodes = [n for n in ctx.base_nodes if n.is_active and n.board]
    for node in nodes[:8]:
        ends = ctx.today + datetime.timedelta(days=ctx.rng.randint(20, 170))
        Position.objects.filter(organisation=node.org, kind__group="board", ends_on__gte=ctx.today).update(ends_on=ends)
        node.board_ends_on = ends


def generate_leadership(ctx: DemoContext) -> None:
    provincial = ctx.by_kind.get("federacion-provincial", [])
    lima = next((n for n in provincial if n.key == "lima-sur"), provincial[0] if provincial else ctx.confederation)
    facilitator = User.objects.filter(username="coordinadora").first()
    _boards_near_term_end(ctx)
    completed = []
    for organiser, plan in ((lima, SCHOOLS[0]), (ctx.confederation, SCHOOLS[1])):
        completed += [e for e in _school(ctx, organiser, plan, facilitator) if e.completed_on]
    certificates = []
    for n, enrolment in enumerate(completed):
        certificates.append(services.issue_certificate(scope=SYSTEM, enrolment=enrolment, show_name=n % 3 == 0))
    if certificates:
        services.revoke_certificate(scope=SYSTEM, certificate=certificates[-1],
                                    reason="Emitido por error: la asistencia se corrigió")
    ctx.counts["leadership:certificates"] += len(certificates)
    for n, enrolment in enumerate(completed[:6]):
        home = enrolment.organisation
        services.record_consent(scope=SYSTEM, person=enrolment.person, organisation=home,
                                given_on=ctx.today - datetime.timedelta(days=30),
                                how="Firmado en la ficha de inscripción")
        if n < len(OFFICES):
            kind, office = OFFICES[n]
            services.record_representation(scope=SYSTEM, person=enrolment.person, organisation=home, kind=kind,
                                           office=office, territory=home.district,
                                           starts_on=ctx.today - datetime.timedelta(days=400 - 30 * n),
                                           ends_on=None if kind == "candidate" else ctx.today
                                           + datetime.timedelta(days=700))
    ctx.counts["leadership:representations"] = Representation.objects.count()
    # The socias were loaded in bulk, past the signals that keep the equity roll-up: built here
    # in one grouped pass, so the first national table is read from it.
    equity.rebuild_under("")
    ctx.progress.update(1)
