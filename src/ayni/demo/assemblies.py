"""Demo governance: assemblies of every mode at the base and federation levels.

Past assemblies (held, or without quorum at the second call) with their attendance, a show of
hands and a nominal vote; consultations open today with secret ballots half cast; assemblies
convened for the coming days, including federation assemblies of delegates; agreements of the
adopted motions, done, pending and overdue. Votes come by web and by text message — those by
text with their raw message stored, as the gateway's path stores it. Some organisations agreed
monthly dues in a held assembly: their socias paid, some are behind, one is exempted, a couple
of payments reported by text wait for the treasurer. A past election made a board; an upcoming
one has its committee and two lists registered. Rows are written
directly (no text message goes out to the demo's phones, no audit entry per row: the demo has
its one); tallies and outcomes are computed from the very rows written, with the services' own
rules, so `ayni check-integrity` passes on a fresh demo.
"""

import datetime
from collections import Counter

from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.capture.models import Channel, Inbound, content_hash, sender_phone
from ayni.demo.context import DemoContext, Node
from ayni.governance import acta as actas
from ayni.governance.dues import add_months, month_start
from ayni.governance.models import (
    AgendaItem,
    Agreement,
    Assembly,
    Attendance,
    Candidate,
    CommitteeMember,
    DebateSummary,
    DecisionKind,
    DuesExemption,
    DuesMonth,
    DuesPayment,
    DuesRule,
    Election,
    Elector,
    HandCount,
    Motion,
    Participation,
    Slate,
    Vote,
)
from ayni.governance.rules import decide, quorum_needed, rule_for
from ayni.governance.services import delegate_weight, voter_key
from ayni.people.models import Person, Position

HELD, WITHOUT_QUORUM, CONSULTATIONS, UPCOMING, FEDERATIONS = 12, 3, 3, 4, 3
WITH_DUES = 5  # of the held assemblies, the last ones also agreed monthly dues
TEXT_WORDS = {"yes": "SI", "no": "NO", "abstain": "ABS"}
AGENDAS = [
    ["Informe de la junta directiva", "Balance económico", "Cuota de la socias"],
    ["Informe de la presidenta", "Compra de una cocina industrial"],
    ["Rendición de cuentas", "Faena de limpieza del local"],
]
CHOICES = ["yes", "yes", "yes", "no", "abstain"]


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _assembly(ctx: DemoContext, node: Node, *, mode: str, starts: datetime.datetime, agenda: list[str],
              ends: datetime.datetime | None = None, by_delegates: bool = False) -> Assembly:
    assembly = Assembly.objects.create(
        organisation=node.org, kind=Assembly.Kind.ORDINARY, mode=mode, starts_at=starts, ends_at=ends,
        place="" if mode in (Assembly.Mode.ONLINE, Assembly.Mode.ASYNC) else f"Local de {node.org.name}",
        link="https://reunion.example.org/ayni" if mode in (Assembly.Mode.ONLINE, Assembly.Mode.HYBRID) else "",
        by_delegates=by_delegates)
    # Convened with the statute's notice, as the service would have required.
    notice = datetime.timedelta(days=rule_for(node.org).notice_days + ctx.rng.randint(0, 5))
    convened = min(starts - notice, timezone.now() - datetime.timedelta(hours=1))
    Assembly.objects.filter(pk=assembly.pk).update(convened_at=convened)
    AgendaItem.objects.bulk_create([AgendaItem(assembly=assembly, number=i, title=t) for i, t in enumerate(agenda, 1)])
    ctx.counts[f"assemblies:{mode}"] += 1
    return assembly


def _roll(assembly: Assembly, node: Node, on: datetime.date) -> list[Elector]:
    people = sorted({m.person_id for m in node.current_members(on)})
    Elector.objects.bulk_create([Elector(assembly=assembly, person_id=p, number=i) for i, p in enumerate(people, 1)])
    Assembly.objects.filter(pk=assembly.pk).update(electorate_weight=len(people))
    assembly.electorate_weight = len(people)
    return list(Elector.objects.filter(assembly=assembly).order_by("number"))


def _vote(ctx: DemoContext, motion: Motion, voters: list[Elector], when: datetime.datetime) -> None:
    """Ballots from `voters` (some changing their mind once), the tally from those very ballots."""
    secret = motion.ballot == Motion.Ballot.SECRET
    votes, tally = [], Counter()
    for elector in voters:
        choices = [ctx.rng.choice(CHOICES)]
        if ctx.rng.random() < 0.1:
            choices.append(ctx.rng.choice([c for c in ("yes", "no", "abstain") if c != choices[0]]))
        key = voter_key(motion, elector)
        for seq, choice in enumerate(choices, 1):
            votes.append(Vote(motion=motion, elector=None if secret else elector, voter_key=key, sequence=seq,
                              choice=choice, weight=elector.weight, is_current=seq == len(choices),
                              channel=ctx.rng.choice(["web", "web", "sms"]), cast_at=None if secret else when))
        tally[choices[-1]] += elector.weight
    Vote.objects.bulk_create(votes)
    _raw_texts(motion, [v for v in votes if v.channel == "sms"], {e.pk: e for e in voters}, when)
    Participation.objects.bulk_create([Participation(motion=motion, elector=e) for e in voters])
    motion.yes, motion.no, motion.abstain, motion.voters = tally["yes"], tally["no"], tally["abstain"], len(voters)
    ctx.counts["votes"] += len(votes)


def _raw_texts(motion: Motion, votes: list[Vote], electors: dict[int, Elector], when: datetime.datetime) -> None:
    """The raw messages of the ballots cast by text, stored and accepted as the gateway's path
    leaves them, so that a recount from the stored messages is possible. A secret ballot's vote
    row names nobody, so its text is matched by the voter key."""
    by_key = {voter_key(motion, e): e for e in electors.values()}
    phones = dict(Person.objects.filter(pk__in={e.person_id for e in electors.values()}).exclude(phone="")
                  .values_list("pk", "phone"))
    rows = []
    for vote in votes:
        elector = by_key.get(vote.voter_key)
        phone = phones.get(elector.person_id) if elector else None
        if not phone:
            continue
        sender = f"+51{phone}"
        payload = {"from": sender, "text": f"V {motion.pk} {TEXT_WORDS[vote.choice]}", "id": f"demo-{vote.pk}"}
        rows.append(Inbound(channel=Channel.SMS, kind=Inbound.Kind.MESSAGE, gateway="android", sender=sender,
                            phone=sender_phone(sender), client_id=payload["id"], payload=payload,
                            payload_hash=content_hash(payload), status=Inbound.Status.ACCEPTED, attempts=1,
                            result={"status": "accepted", "reply": "", "answered": False}, processed_at=when))
    Inbound.objects.bulk_create(rows)


def _close(motion: Motion, majority: str, when: datetime.datetime, has_quorum: bool = True) -> None:
    motion.status, motion.closed_at, motion.majority = Motion.Status.CLOSED, when, majority
    motion.outcome = (decide(majority, yes=motion.yes, no=motion.no, abstain=motion.abstain) if has_quorum
                      else Motion.Outcome.NO_QUORUM)
    motion.save()


def _held(ctx: DemoContext, node: Node, day: datetime.date, quorum: bool) -> tuple[Assembly, list[Elector]] | None:
    rule = rule_for(node.org)
    starts = _at(day, 15)
    assembly = _assembly(ctx, node, mode=Assembly.Mode.IN_PERSON, starts=starts, agenda=ctx.rng.choice(AGENDAS))
    roll = _roll(assembly, node, day)
    needed = quorum_needed(rule.quorum_first, len(roll))
    share = ctx.rng.uniform(0.6, 0.9) if quorum else 0.0
    present = ctx.rng.sample(roll, max(needed, round(len(roll) * share)) if quorum else 0)
    Attendance.objects.bulk_create([Attendance(assembly=assembly, elector=e, how=ctx.rng.choice(
        [Attendance.How.TAP, Attendance.How.NUMBER, Attendance.How.PAPER])) for e in present])
    end = starts + datetime.timedelta(hours=2)
    if not quorum:
        # Nobody came at either call: recorded without quorum, adopting nothing.
        Assembly.objects.filter(pk=assembly.pk).update(status=Assembly.Status.NO_QUORUM, quorum_present=0,
                                                       closed_at=starts + datetime.timedelta(minutes=45))
        ctx.counts["assemblies:no_quorum"] += 1
        return None
    items = list(assembly.agenda.all())
    hands = Motion.objects.create(item=items[0], text="Aprobar el informe", ballot=Motion.Ballot.HANDS,
                                  opened_at=starts)
    yes = ctx.rng.randint(len(present) // 2 + 1, len(present))
    HandCount.objects.create(motion=hands, yes=yes, no=len(present) - yes, abstain=0)
    hands.yes, hands.no, hands.abstain, hands.voters = yes, len(present) - yes, 0, len(present)
    _close(hands, rule.majority_ordinary, end)
    nominal = Motion.objects.create(item=items[-1], text=f"Acordar: {items[-1].title.lower()}",
                                    ballot=Motion.Ballot.OPEN, opened_at=starts)
    _vote(ctx, nominal, present, starts + datetime.timedelta(hours=1))
    _close(nominal, rule.majority_ordinary, end)
    if nominal.outcome == Motion.Outcome.ADOPTED:
        # Some agreements done, some pending, some already overdue.
        deadline = day + datetime.timedelta(days=ctx.rng.randint(10, 240))
        done = deadline < ctx.today and ctx.rng.random() < 0.5
        Agreement.objects.create(organisation=node.org, motion=nominal, text=nominal.text,
                                 responsible_id=ctx.rng.choice(present).person_id, deadline=deadline,
                                 status=Agreement.Status.DONE if done else Agreement.Status.PENDING,
                                 done_on=deadline if done else None)
        ctx.counts["agreements"] += 1
    Assembly.objects.filter(pk=assembly.pk).update(status=Assembly.Status.CLOSED, quorum_call=Assembly.Call.FIRST,
                                                   quorum_present=len(present), closed_at=end)
    return assembly, present


def _consultation(ctx: DemoContext, node: Node) -> None:
    starts = _at(ctx.today - datetime.timedelta(days=1), 8)
    assembly = _assembly(ctx, node, mode=Assembly.Mode.ASYNC, starts=starts, ends=starts + datetime.timedelta(days=5),
                         agenda=["Consulta a las socias"])
    roll = _roll(assembly, node, ctx.today)
    motion = Motion.objects.create(item=assembly.agenda.get(), text="¿Aprobamos la cuota extraordinaria de S/ 5?",
                                   ballot=Motion.Ballot.SECRET)
    voters = ctx.rng.sample(roll, len(roll) * 2 // 5)
    _vote(ctx, motion, voters, starts)
    motion.save()
    Attendance.objects.bulk_create([Attendance(assembly=assembly, elector=e, how=Attendance.How.VOTE) for e in voters])


def _delegates(ctx: DemoContext, node: Node, day: datetime.date) -> None:
    rule = rule_for(node.org)
    members = [c for c in node.children if c.is_active]
    weights = {c.pk: delegate_weight(rule, c.org, ctx.today) for c in members}
    assembly = _assembly(ctx, node, mode=Assembly.Mode.HYBRID, starts=_at(day, 10), agenda=ctx.rng.choice(AGENDAS),
                         by_delegates=True)
    Assembly.objects.filter(pk=assembly.pk).update(
        electorate_weight=sum(rule.delegates_per_member * w for w in weights.values()))
    electors, number = [], 0
    for child in members[:2]:  # the first member organisations already accredited theirs
        people = sorted({m.person_id for m in child.current_members(ctx.today)})
        for person_id in people[:rule.delegates_per_member]:
            number += 1
            electors.append(Elector(assembly=assembly, person_id=person_id, number=number, delegate_of=child.org,
                                    weight=weights[child.pk]))
    Elector.objects.bulk_create(electors)


def generate_assemblies(ctx: DemoContext) -> None:
    base = [n for n in ctx.base_nodes if n.is_active and len(n.current_members(ctx.today)) >= 5]
    for i, node in enumerate(base[:HELD + WITHOUT_QUORUM]):
        held = _held(ctx, node, ctx.today - datetime.timedelta(days=ctx.rng.randint(20, 200)),
                     quorum=i >= WITHOUT_QUORUM)
        if held is not None and i >= HELD + WITHOUT_QUORUM - WITH_DUES:
            _dues(ctx, node, *held)
    for node in base[HELD + WITHOUT_QUORUM:HELD + WITHOUT_QUORUM + CONSULTATIONS]:
        _consultation(ctx, node)
    for node in base[:UPCOMING]:
        rule = rule_for(node.org)
        day = ctx.today + datetime.timedelta(days=rule.notice_days + ctx.rng.randint(1, 10))
        assembly = _assembly(ctx, node, mode=ctx.rng.choice([Assembly.Mode.IN_PERSON, Assembly.Mode.HYBRID]),
                             starts=_at(day, 16), agenda=ctx.rng.choice(AGENDAS))
        _roll(assembly, node, ctx.today)
    federations = [n for n in ctx.kind_nodes("federacion-distrital", "federacion-provincial")
                   if n.is_active and sum(c.is_active for c in n.children) >= 2]
    for node in federations[:FEDERATIONS]:
        _delegates(ctx, node, ctx.today + datetime.timedelta(days=rule_for(node.org).notice_days + 3))
    used = {n.pk for n in base[:HELD + WITHOUT_QUORUM + CONSULTATIONS]}
    rest = [n for n in base if n.pk not in used and len(n.current_members(ctx.today)) >= 8]
    # A board elected a few months ago (where the old one had lapsed, if any did), and an
    # election on the way where the board's term is about to end.
    lapsed = sorted(rest, key=lambda n: (bool(n.board), n.pk))
    if lapsed:
        _election_held(ctx, lapsed[0], ctx.today - datetime.timedelta(days=ctx.rng.randint(30, 90)))
    expiring = sorted((n for n in rest[1:] if n is not (lapsed[0] if lapsed else None)),
                      key=lambda n: (n.board_ends_on or datetime.date.max, n.pk))
    if expiring:
        _election_upcoming(ctx, expiring[0])
    ctx.progress.update(1)


# --- Dues -----------------------------------------------------------------------------------------

def _dues(ctx: DemoContext, node: Node, assembly: Assembly, present: list[Elector]) -> None:
    """The assembly also agreed monthly dues (by a show of hands): since the next month, its
    socias paid month by month — most up to date, some behind, a few never — one is exempted, and
    two payments reported by text wait for the treasurer."""
    rule = rule_for(node.org)
    starts = assembly.starts_at
    amount = ctx.rng.choice([300, 500, 1000])
    item = assembly.agenda.order_by("number").last()
    motion = Motion.objects.create(item=item, text=f"Cuota mensual de S/ {amount / 100:.2f} por socia",
                                   ballot=Motion.Ballot.HANDS, opened_at=starts)
    HandCount.objects.create(motion=motion, yes=len(present), no=0, abstain=0)
    motion.yes, motion.no, motion.abstain, motion.voters = len(present), 0, 0, len(present)
    _close(motion, rule.majority_ordinary, starts + datetime.timedelta(hours=2))
    first = add_months(month_start(timezone.localdate(starts)), 1)
    DuesRule.objects.create(organisation=node.org, amount_cents=amount, period=DuesRule.Period.MONTHLY,
                            starts_on=first, motion=motion)
    members = {m.person_id: m for m in node.current_members(ctx.today)}
    excused = ctx.rng.choice(sorted(members))
    DuesExemption.objects.create(organisation=node.org, person_id=excused, from_month=first, reason="Enfermedad",
                                 motion=motion)
    payments = []
    for person_id, member in sorted(members.items()):
        if person_id == excused:
            continue
        months, month = [], max(first, month_start(member.since))
        while add_months(month, 1) <= ctx.today:
            months.append(month)
            month = add_months(month, 1)
        luck = ctx.rng.random()
        paid = months if luck < 0.6 else months[:max(0, len(months) - ctx.rng.randint(1, 3))] if luck < 0.85 \
            else months[:ctx.rng.randint(0, 1)]
        for month in paid:
            day = min(ctx.today, month + datetime.timedelta(days=ctx.rng.randint(0, 27)))
            when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
            payments.append(DuesPayment(organisation=node.org, person_id=person_id, amount_cents=amount, paid_on=day,
                                        channel=ctx.rng.choice(["web", "web", "sms"]), confirmed_at=when))
    for person_id in ctx.rng.sample(sorted(set(members) - {excused}), min(2, len(members) - 1)):
        payments.append(DuesPayment(organisation=node.org, person_id=person_id, amount_cents=amount,
                                    paid_on=ctx.today, channel="sms"))  # reported, not yet confirmed
    DuesPayment.objects.bulk_create(payments)
    collected = Counter()
    count = Counter()
    for p in payments:
        if p.confirmed_at is not None:
            collected[month_start(p.paid_on)] += p.amount_cents
            count[month_start(p.paid_on)] += 1
    DuesMonth.objects.bulk_create([DuesMonth(organisation=node.org, month=m, collected_cents=c, payments=count[m])
                                   for m, c in sorted(collected.items())])
    ctx.counts["dues_payments"] += len(payments)


# --- Board elections -----------------------------------------------------------------------------

BOARD = ("presidenta", "secretaria", "tesorera")


def _committee_and_slates(ctx: DemoContext, election: Election, people: list[int], lists: int) -> list[Slate]:
    chosen = ctx.rng.sample(people, 2 + 3 * lists)
    CommitteeMember.objects.bulk_create([
        CommitteeMember(election=election, person_id=chosen[0], role="Presidenta del comité electoral"),
        CommitteeMember(election=election, person_id=chosen[1], role="Secretaria del comité electoral")])
    slates = []
    for n in range(lists):
        slate = Slate.objects.create(election=election, number=n + 1, name=["Unidad", "Renovación"][n % 2])
        Candidate.objects.bulk_create([Candidate(slate=slate, kind_id=code, person_id=chosen[2 + 3 * n + i])
                                       for i, code in enumerate(BOARD)])
        slates.append(slate)
    return slates


def _election_held(ctx: DemoContext, node: Node, day: datetime.date) -> None:
    """An election with a single list, held months ago by secret ballot: adopted, its candidates
    hold the board for two years (the outgoing terms ended the day before)."""
    rule = rule_for(node.org)
    starts = _at(day, 15)
    assembly = _assembly(ctx, node, mode=Assembly.Mode.IN_PERSON, starts=starts,
                         agenda=["Informe de la junta saliente", "Elección de la junta directiva"])
    roll = _roll(assembly, node, day)
    present = ctx.rng.sample(roll, max(quorum_needed(rule.quorum_first, len(roll)), round(len(roll) * 0.8)))
    Attendance.objects.bulk_create([Attendance(assembly=assembly, elector=e, how=Attendance.How.PAPER)
                                    for e in present])
    item = assembly.agenda.get(number=2)
    term_ends = day.replace(year=day.year + 2) - datetime.timedelta(days=1)
    election = Election.objects.create(organisation=node.org, item=item, term_starts=day, term_ends=term_ends,
                                       status=Election.Status.VOTING)
    [slate] = _committee_and_slates(ctx, election, [e.person_id for e in present], 1)
    names = dict(Person.objects.filter(pk__in=[c.person_id for c in slate.candidates.all()]).values_list(
        "pk", "given_names"))
    motion = Motion.objects.create(item=item, decision=DecisionKind.ELECTION, ballot=Motion.Ballot.SECRET,
                                   opened_at=starts, text=f"Elegir a la Lista 1 «Unidad» ({', '.join(names.values())})")
    slate.motion = motion
    slate.save(update_fields=["motion"])
    # A single list is usually carried: most of the room for it.
    _vote(ctx, motion, present, starts + datetime.timedelta(hours=1))
    end = starts + datetime.timedelta(hours=3)
    _close(motion, rule.majority_election, end)
    if motion.outcome == Motion.Outcome.ADOPTED:
        handover = day - datetime.timedelta(days=1)
        Position.objects.filter(organisation=node.org, kind_id__in=BOARD, ends_on__gte=day,
                                starts_on__lte=handover).update(ends_on=handover)
        Position.objects.filter(organisation=node.org, kind_id__in=BOARD, starts_on__gte=day).delete()
        Position.objects.bulk_create([
            Position(organisation=node.org, person_id=c.person_id, kind_id=c.kind_id, starts_on=day, ends_on=term_ends,
                     elected_by=f"Elección del {day:%d/%m/%Y}, Lista 1 «Unidad»") for c in slate.candidates.all()])
        election.status, election.winner = Election.Status.DECIDED, slate
        node.board = {c.kind_id: c.person_id for c in slate.candidates.all()}
        node.board_starts_on, node.board_ends_on = day, term_ends
    else:
        election.status = Election.Status.VOID
    election.decided_at = end
    election.save(update_fields=["status", "winner", "decided_at"])
    Assembly.objects.filter(pk=assembly.pk).update(status=Assembly.Status.CLOSED, quorum_call=Assembly.Call.FIRST,
                                                   quorum_present=len(present), closed_at=end)
    ctx.counts["elections"] += 1


def _election_upcoming(ctx: DemoContext, node: Node) -> None:
    """The board's term ends soon: an assembly convened to elect the next, its committee named
    and two lists registered."""
    rule = rule_for(node.org)
    day = ctx.today + datetime.timedelta(days=rule.notice_days + ctx.rng.randint(2, 8))
    assembly = _assembly(ctx, node, mode=Assembly.Mode.HYBRID, starts=_at(day, 16),
                         agenda=["Informe de la junta saliente", "Elección de la junta directiva"])
    roll = _roll(assembly, node, ctx.today)
    term_starts = max(day, (node.board_ends_on or day) + datetime.timedelta(days=1))
    election = Election.objects.create(organisation=node.org, item=assembly.agenda.get(number=2),
                                       term_starts=term_starts,
                                       term_ends=term_starts.replace(year=term_starts.year + 2)
                                       - datetime.timedelta(days=1))
    _committee_and_slates(ctx, election, [e.person_id for e in roll], 2)
    ctx.counts["elections"] += 1


# --- Actas ----------------------------------------------------------------------------------------

DEBATES = [
    "La presidenta presentó el punto. Intervinieron varias socias con preguntas y propuestas; se aclararon las "
    "dudas y se pasó a votar.",
    "La tesorera leyó las cifras y respondió las consultas. Se pidió que el informe se publique en el local.",
    "Se debatió la propuesta; algunas socias pidieron más tiempo para consultarlo en sus comedores.",
]


def generate_actas(ctx: DemoContext) -> None:
    """The acta of every assembly already held (with quorum or without), in the order they were
    held, each with the debate of its points, approved through the one service (its organisation's
    next number, frozen and hashed), so that a new user finds a libro de actas to open and print."""
    system = Scope.system("demo: libro de actas")
    held = (Assembly.objects.filter(status__in=[Assembly.Status.CLOSED, Assembly.Status.NO_QUORUM], acta__isnull=True)
            .select_related("organisation").order_by("starts_at", "pk"))
    for assembly in held:
        DebateSummary.objects.bulk_create([DebateSummary(item=item, text=ctx.rng.choice(DEBATES))
                                           for item in assembly.agenda.all()])
        actas.approve_acta(scope=system, acta=actas.start_acta(scope=system, assembly=assembly))
        ctx.counts["actas"] += 1
    ctx.progress.update(1)
