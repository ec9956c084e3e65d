"""Demo governance: assemblies of every mode at the base and federation levels.

Past assemblies (held, or without quorum at the second call) with their attendance, a show of
hands and a nominal vote; consultations open today with secret ballots half cast; assemblies
convened for the coming days, including federation assemblies of delegates; agreements of the
adopted motions, done, pending and overdue. Rows are written
directly (no text message goes out to the demo's phones, no audit entry per row: the demo has
its one); tallies and outcomes are computed from the very rows written, with the services' own
rules, so `ayni check-integrity` passes on a fresh demo.
"""

import datetime
from collections import Counter

from django.utils import timezone

from ayni.demo.context import DemoContext, Node
from ayni.governance.models import (
    AgendaItem,
    Agreement,
    Assembly,
    Attendance,
    Elector,
    HandCount,
    Motion,
    Participation,
    Vote,
)
from ayni.governance.rules import decide, quorum_needed, rule_for
from ayni.governance.services import delegate_weight, voter_key

HELD, WITHOUT_QUORUM, CONSULTATIONS, UPCOMING, FEDERATIONS = 12, 3, 3, 4, 3
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
    Participation.objects.bulk_create([Participation(motion=motion, elector=e) for e in voters])
    motion.yes, motion.no, motion.abstain, motion.voters = tally["yes"], tally["no"], tally["abstain"], len(voters)
    ctx.counts["votes"] += len(votes)


def _close(motion: Motion, majority: str, when: datetime.datetime, has_quorum: bool = True) -> None:
    motion.status, motion.closed_at, motion.majority = Motion.Status.CLOSED, when, majority
    motion.outcome = (decide(majority, yes=motion.yes, no=motion.no, abstain=motion.abstain) if has_quorum
                      else Motion.Outcome.NO_QUORUM)
    motion.save()


def _held(ctx: DemoContext, node: Node, day: datetime.date, quorum: bool) -> None:
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
        return
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
        _held(ctx, node, ctx.today - datetime.timedelta(days=ctx.rng.randint(20, 200)), quorum=i >= WITHOUT_QUORUM)
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
    ctx.progress.update(1)
