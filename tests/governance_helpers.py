"""Pieces for governance tests: socias on a roll, a convened assembly, a clock to move."""

import datetime

from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.governance import services
from ayni.governance.models import Assembly
from ayni.people.services import register_person

SYSTEM = Scope.system("preparación de la prueba")


def socias(org, n, since=None):
    """n new socias of `org`, registered well before any convocation."""
    since = since or timezone.localdate() - datetime.timedelta(days=400)
    return [register_person(scope=SYSTEM, organisation=org, given_names=f"Socia {i}",
                            paternal_surname=f"Prueba{i:03}", since=since, phone=f"9{i:08}") for i in range(1, n + 1)]


def in_days(days, hour=15):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def convene(org, *, mode=Assembly.Mode.IN_PERSON, days=10, window_days=3, agenda=("Informe", "Cuotas"),
            scope=SYSTEM, **extra):
    starts = in_days(days)
    fields = {"place": "Local comunal"} if mode in (Assembly.Mode.IN_PERSON, Assembly.Mode.HYBRID) else {}
    if mode in (Assembly.Mode.ONLINE, Assembly.Mode.HYBRID):
        fields["link"] = "https://meet.example/x"
    if mode == Assembly.Mode.ASYNC:
        fields["ends_at"] = starts + datetime.timedelta(days=window_days)
    return services.convene_assembly(scope=scope, organisation=org, kind=Assembly.Kind.ORDINARY, mode=mode,
                                     starts_at=starts, agenda=list(agenda), **{**fields, **extra})


class Clock:
    """Moves `timezone.now` (and so `localdate`) for the services under test."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def at(self, moment):
        self.monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment


def in_session(assembly, clock, numbers=None):
    """Attendance of `numbers` (all by default) and quorum at the first call."""
    clock.at(assembly.starts_at + datetime.timedelta(minutes=5))
    numbers = numbers or list(assembly.electors.values_list("number", flat=True))
    services.record_attendance(scope=SYSTEM, assembly=assembly, numbers=numbers, how="tap")
    services.check_quorum(scope=SYSTEM, assembly=assembly, call=Assembly.Call.FIRST)
    assembly.refresh_from_db()
    return assembly


def gov_assembly(w, org=None):
    """A convened assembly with one motion (for the access matrix): the kitchen's, or `org`'s."""
    assembly = convene(org or w.kitchen)
    motion = services.add_motion(scope=SYSTEM, item=assembly.agenda.first(), text="Aprobar el informe",
                                 ballot="hands")
    return {"pk": assembly.organisation_id, "assembly": assembly.pk, "motion": motion.pk}


def gov_agreement(w):
    """An agreement of the kitchen (for the access matrix), on a motion marked adopted."""
    from ayni.governance.models import Agreement, Motion

    target = gov_assembly(w)
    Motion.objects.filter(pk=target["motion"]).update(status="closed", outcome="adopted", majority="simple", yes=1,
                                                      voters=1)
    agreement = Agreement.objects.create(organisation=w.kitchen, motion_id=target["motion"], text="Pintar el local",
                                         responsible=w.member, deadline=timezone.localdate())
    return {"pk": w.kitchen.pk, "agreement": agreement.pk}


def gov_payment(w):
    """A dues payment of the kitchen's socia (for the access matrix)."""
    from decimal import Decimal

    from ayni.governance import dues

    payment = dues.record_payment(scope=SYSTEM, organisation=w.kitchen, person=w.member, amount=Decimal("5"),
                                  paid_on=timezone.localdate())
    return {"pk": w.kitchen.pk, "payment": payment.pk}


def gov_election(w):
    """A board election on a kitchen assembly with one list (for the access matrix)."""
    from ayni.governance import elections
    from ayni.people.models import PositionKind

    assembly = convene(w.kitchen)
    other = register_person(scope=SYSTEM, organisation=w.kitchen, given_names="Comité", paternal_surname="Electoral",
                            since=timezone.localdate())
    election = elections.call_election(scope=SYSTEM, item=assembly.agenda.first(),
                                       term_starts=timezone.localdate(assembly.starts_at),
                                       term_ends=timezone.localdate(assembly.starts_at) + datetime.timedelta(days=730),
                                       committee=[(other, "Presidenta del comité")])
    elections.register_slate(scope=SYSTEM, election=election, name="Unidad",
                             candidates=[(PositionKind.objects.get(code="presidenta"), w.member)])
    return {"pk": w.kitchen.pk, "election": election.pk}
def gov_signed_page(w):
    """A signed attendance sheet of a kitchen's assembly (for the access matrix)."""
    from ayni.files.services import keep
    from ayni.governance.models import Assembly, SignedPage

    target = gov_assembly(w)
    stored, _new = keep(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page = SignedPage.objects.create(assembly=Assembly.objects.get(pk=target["assembly"]), kind="attendance",
                                     file=stored, numbers=[1])
    return {"pk": target["pk"], "assembly": target["assembly"], "page": page.pk}
