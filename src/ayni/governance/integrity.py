"""The invariants of governance, recomputed from the rows: every motion's tally equals a recount
of its current ballots (or of the secretary's current hand count), each voter is counted once,
a secret ballot names nobody, and a closed motion's outcome is its majority rule applied to its
count. `governance_violations` is what `ayni check-integrity` runs; the tests use `recount` as
the oracle."""

import datetime
from collections import defaultdict

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from ayni.audit.models import AuditEntry
from ayni.governance.acta import sha256_of
from ayni.governance.models import (
    Acta,
    Agreement,
    Assembly,
    Attendance,
    DuesExemption,
    DuesMonth,
    DuesPayment,
    DuesRule,
    Election,
    HandCount,
    Motion,
    Participation,
    Proxy,
    Vote,
)
from ayni.governance.rules import decide
from ayni.people.models import Position

TALLY = ("yes", "no", "abstain", "voters")


def recount(motion_ids=None) -> dict[int, dict[str, int]]:
    """motion id → yes, no, abstain, voters, from the ballots and hand counts themselves."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TALLY, 0))
    votes = Vote.objects.filter(is_current=True)
    hands = HandCount.objects.filter(is_current=True)
    people = Participation.objects.all()
    if motion_ids is not None:
        votes, hands, people = (q.filter(motion_id__in=motion_ids) for q in (votes, hands, people))
    for row in votes.values("motion_id", "choice").annotate(w=Sum("weight")):
        out[row["motion_id"]][row["choice"]] += row["w"]
    for row in people.values("motion_id").annotate(n=Count("id")):
        out[row["motion_id"]]["voters"] = row["n"]
    for count in hands:
        out[count.motion_id] = {"yes": count.yes, "no": count.no, "abstain": count.abstain,
                                "voters": count.yes + count.no + count.abstain}
    return out


def tally_violations() -> list[str]:
    found = recount()
    out = []
    for motion in Motion.objects.values("pk", *TALLY).iterator(chunk_size=2000):
        expected = found.get(motion["pk"], dict.fromkeys(TALLY, 0))
        for field in TALLY:
            if motion[field] != expected[field]:
                out.append(_("moción %(pk)s: %(field)s guardado %(stored)s, recuento %(counted)s")
                           % {"pk": motion["pk"], "field": field, "stored": motion[field],
                              "counted": expected[field]})
    return out


def ballot_violations() -> list[str]:
    """Each participation has exactly one current ballot; a secret ballot names nobody; an open
    ballot's elector is on the roll of the motion's own assembly."""
    out = []
    current = dict(Vote.objects.filter(is_current=True).values("motion_id").annotate(n=Count("id"))
                   .values_list("motion_id", "n"))
    people = dict(Participation.objects.exclude(motion__ballot=Motion.Ballot.HANDS).values("motion_id")
                  .annotate(n=Count("id")).values_list("motion_id", "n"))
    for motion_id in sorted(set(current) | set(people)):
        if current.get(motion_id, 0) != people.get(motion_id, 0):
            out.append(_("moción %(pk)s: %(votes)s votos vigentes para %(people)s votantes")
                       % {"pk": motion_id, "votes": current.get(motion_id, 0), "people": people.get(motion_id, 0)})
    for pk in Vote.objects.filter(motion__ballot=Motion.Ballot.SECRET).filter(
            Q(elector__isnull=False) | Q(cast_at__isnull=False)).values_list("motion_id", flat=True).distinct():
        out.append(_("moción %(pk)s: un voto secreto guarda quién o cuándo votó") % {"pk": pk})
    stray = Vote.objects.filter(elector__isnull=False).exclude(elector__assembly_id=F("motion__item__assembly_id"))
    for pk in stray.values_list("motion_id", flat=True).distinct():
        out.append(_("moción %(pk)s: un voto de alguien fuera del padrón de su asamblea") % {"pk": pk})
    return out


def outcome_violations() -> list[str]:
    out = []
    closed = Motion.objects.filter(status=Motion.Status.CLOSED).exclude(outcome=Motion.Outcome.NO_QUORUM)
    for m in closed.only("pk", "majority", "yes", "no", "abstain", "outcome").iterator(chunk_size=2000):
        expected = decide(m.majority, yes=m.yes, no=m.no, abstain=m.abstain)
        if m.outcome != expected:
            out.append(_("moción %(pk)s: resultado «%(got)s», su conteo da «%(expected)s»")
                       % {"pk": m.pk, "got": m.outcome, "expected": expected})
    no_quorum = Motion.objects.filter(outcome=Motion.Outcome.NO_QUORUM, item__assembly__status="closed")
    for pk in no_quorum.values_list("pk", flat=True):
        out.append(_("moción %(pk)s: «sin quórum» en una asamblea que lo tuvo") % {"pk": pk})
    return out


def roll_violations() -> list[str]:
    """Attendance and proxies stay within their assembly's own roll."""
    out = []
    for pk in Attendance.objects.exclude(assembly_id=F("elector__assembly_id")).values_list("assembly_id", flat=True):
        out.append(_("asamblea %(pk)s: asistencia de alguien de otro padrón") % {"pk": pk})
    for pk in Proxy.objects.exclude(assembly_id=F("giver__assembly_id")).values_list("assembly_id", flat=True):
        out.append(_("asamblea %(pk)s: carta poder de alguien de otro padrón") % {"pk": pk})
    for pk in Proxy.objects.exclude(assembly_id=F("holder__assembly_id")).values_list("assembly_id", flat=True):
        out.append(_("asamblea %(pk)s: carta poder llevada por alguien de otro padrón") % {"pk": pk})
    return out


def audit_violations() -> list[str]:
    """Every assembly convened through the service has its audit entry (the demo writes its own
    in bulk, before its one `demo.generate` entry)."""
    since = (AuditEntry.objects.filter(action="demo.generate").order_by("-at").values_list("at", flat=True)
             .first())
    assemblies = Assembly.objects.all() if since is None else Assembly.objects.filter(convened_at__gt=since)
    audited = set(AuditEntry.objects.filter(action="gov.convene").values_list("object_id", flat=True))
    return [_("asamblea %(pk)s sin registro de auditoría") % {"pk": pk}
            for pk in assemblies.values_list("pk", flat=True) if str(pk) not in audited]


def agreement_violations() -> list[str]:
    """An agreement comes from an adopted motion of an assembly of its own organisation."""
    out = []
    wrong = Agreement.objects.exclude(motion__outcome=Motion.Outcome.ADOPTED)
    for pk in wrong.values_list("pk", flat=True):
        out.append(_("acuerdo %(pk)s: su moción no fue aprobada") % {"pk": pk})
    for pk in Agreement.objects.exclude(organisation_id=F("motion__item__assembly__organisation_id")).values_list(
            "pk", flat=True):
        out.append(_("acuerdo %(pk)s: de otra organización que su asamblea") % {"pk": pk})
    return out


def acta_violations() -> list[str]:
    """Every approved acta's stored content hashes to the SHA-256 printed on it, and each
    organisation's actas are numbered 1, 2, 3… with no gap and no draft holding a number."""
    out = []
    approved = Acta.objects.filter(status=Acta.Status.APPROVED).order_by("organisation_id", "number")
    expected: dict[int, int] = {}
    for acta in approved.only("pk", "organisation_id", "number", "content", "sha256").iterator(chunk_size=500):
        if sha256_of(acta.content) != acta.sha256:
            out.append(_("acta N.º %(n)s (organización %(org)s): su contenido ya no da el SHA-256 impreso en ella")
                       % {"n": acta.number, "org": acta.organisation_id})
        want = expected.get(acta.organisation_id, 0) + 1
        if acta.number != want:
            out.append(_("organización %(org)s: el acta N.º %(n)s no es correlativa (se esperaba el N.º %(want)s)")
                       % {"org": acta.organisation_id, "n": acta.number, "want": want})
        expected[acta.organisation_id] = acta.number
    for pk in Acta.objects.filter(status=Acta.Status.DRAFT, number__isnull=False).values_list("pk", flat=True):
        out.append(_("acta %(pk)s: un borrador con número") % {"pk": pk})
    return out


def governance_violations() -> list[str]:
    """Everything here, for `ayni check-integrity` under one heading."""
    return (tally_violations() + ballot_violations() + outcome_violations() + roll_violations()
            + audit_violations() + agreement_violations() + acta_violations())


def dues_violations() -> list[str]:
    """Every organisation's month equals the sum of its payments that count; every rule and
    exemption comes from a motion adopted by the organisation's own assembly."""
    out = []
    counted = defaultdict(lambda: [0, 0])
    counting = DuesPayment.objects.filter(confirmed_at__isnull=False, annulled_at__isnull=True)
    for row in (counting.values("organisation_id", "paid_on__year", "paid_on__month")
                .annotate(c=Sum("amount_cents"), n=Count("id"))):
        key = (row["organisation_id"], datetime.date(row["paid_on__year"], row["paid_on__month"], 1))
        counted[key] = [row["c"], row["n"]]
    stored = {(r.organisation_id, r.month): [r.collected_cents, r.payments] for r in DuesMonth.objects.all()}
    for key in sorted(set(counted) | set(stored), key=lambda k: (k[0], k[1])):
        have, want = stored.get(key, [0, 0]), counted.get(key, [0, 0])
        if have != want:
            out.append(_("cuotas de la organización %(org)s en %(month)s: guardado %(have)s céntimos en %(hn)s pagos, "
                         "recuento %(want)s en %(wn)s") % {"org": key[0], "month": key[1].strftime("%m/%Y"),
                                                           "have": have[0], "hn": have[1], "want": want[0],
                                                           "wn": want[1]})
    for model, label in ((DuesRule, _("cuota acordada")), (DuesExemption, _("exoneración"))):
        wrong = model.objects.exclude(motion__outcome=Motion.Outcome.ADOPTED, motion__item__assembly__organisation_id=F(
            "organisation_id"))
        for pk in wrong.values_list("pk", flat=True):
            out.append(_("%(what)s %(pk)s: no viene de una moción aprobada por su organización")
                       % {"what": label, "pk": pk})
    return out


def election_violations() -> list[str]:
    """An elected list's motion was adopted, and each of its candidates holds her position for
    the election's term in the registry."""
    out = []
    for election in Election.objects.filter(status=Election.Status.DECIDED).select_related("winner__motion"):
        if election.winner is None or election.winner.motion is None or \
                election.winner.motion.outcome != Motion.Outcome.ADOPTED:
            out.append(_("elección %(pk)s: la lista elegida no fue aprobada") % {"pk": election.pk})
            continue
        for candidate in election.winner.candidates.all():
            if not Position.objects.filter(organisation_id=election.organisation_id, person_id=candidate.person_id,
                                           kind_id=candidate.kind_id, starts_on=election.term_starts,
                                           ends_on=election.term_ends).exists():
                out.append(_("elección %(pk)s: %(kind)s electa sin su cargo en el registro")
                           % {"pk": election.pk, "kind": candidate.kind_id})
    return out
