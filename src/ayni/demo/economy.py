"""Demo economy: a hundred savings groups (banquitos) over two cycles — the first closed with
its share-out, the second open — with loans, some of them in arrears; women's ventures with their
socias and months; gardens whose harvests go into the kitchens' stock; family-farm producers and
purchases that put a few municipalities above the year's target and most below.

The groups' ledgers are written in bulk, row for row as the services write them (the loan limit,
the repayment split by `economy/ledger.py`), and the first cycles are shared out together by
`services.share_out_many`, so `ayni check-integrity` passes on a fresh demo. Gardens and
purchases go through their services (the kitchens' one stock write path). Audit entries are
taken back by the generator: the demo records its one."""

import datetime
from decimal import Decimal

from ayni.accounts.scope import Scope
from ayni.demo.context import DemoContext
from ayni.economy import gardens, ledger, producers, services
from ayni.economy.models import (
    Attendance,
    Cycle,
    Entry,
    EntryKind,
    GroupMember,
    Loan,
    Meeting,
    Programme,
    SavingsGroup,
    Venture,
    VentureMember,
    VentureMonth,
)
from ayni.kitchens.models import FoodItem

GROUPS, MEMBERS, CYCLE_DAYS = 100, 5, 180
GARDENS, PRODUCERS, PURCHASES, VENTURES = 10, 20, 150, 24
SCOPE = Scope.system("generador de datos de demostración")


def generate_economy(ctx: DemoContext) -> None:
    # Through the services (the ledger's rules); the generator takes back their audit entries.
    _groups(ctx)
    _gardens(ctx)
    _producers(ctx)
    _ventures(ctx)


def _cycle_rows(ctx, cycle, members, days: list[int], late: bool) -> tuple[list, list]:
    """A cycle's meetings (days back from today), in the order a treasurer writes them: every
    socia buys shares and pays the social fund; at the second meeting two of them borrow, within
    the rule's limit and the cash in the box; from the third they repay (interest first, as
    `services.repay` splits it) — but in a third of the groups the second one stops paying."""
    meetings = Meeting.objects.bulk_create([Meeting(cycle=cycle, on=ctx.today - datetime.timedelta(days=back))
                                            for back in days])
    rows: list[ledger.Row] = []
    entries, attendance, loans = [], [], []

    def post(meeting, member, kind, amount, shares=0, loan=None):
        rows.append(ledger.Row(kind=kind, amount=amount, shares=shares, member=member.pk,
                               loan=loan.pk if loan else None, on=meeting.on))
        entries.append(Entry(group_id=cycle.group_id, cycle=cycle, meeting=meeting, member=member, loan=loan,
                             kind=kind, amount=amount, shares=shares, on=meeting.on, channel=Entry.Channel.SYSTEM))

    for n, meeting in enumerate(meetings):
        for member in members:
            attendance.append(Attendance(meeting=meeting, member=member, present=ctx.rng.random() < 0.9))
            shares = ctx.rng.randint(cycle.shares_min, cycle.shares_max)
            post(meeting, member, EntryKind.SHARES, shares * cycle.share_value, shares)
            post(meeting, member, EntryKind.SOCIAL, cycle.social_fund)
        books = ledger.books(rows)
        if n == 1:
            for member in members[:2]:
                limit = ledger.cents(Decimal(books.members[member.pk].savings) * cycle.loan_multiple)
                lent = min(ctx.rng.choice([2000, 3000, 5000]), limit, books.box - books.social_fund)
                if lent > 0:
                    loan = Loan.objects.create(cycle=cycle, member=member, disbursed_on=meeting.on, principal=lent,
                                               term_months=3, interest_rate=cycle.interest_rate,
                                               interest_method=cycle.interest_method)
                    loans.append(loan)
                    post(meeting, member, EntryKind.LOAN, lent, loan=loan)
                    books = ledger.books(rows)
        elif n >= 2:
            for i, loan in enumerate(loans):
                if late and i == 1:
                    continue
                state = ledger.loan_state(services.loan_terms(loan), [r for r in rows if r.loan == loan.pk],
                                          meeting.on)
                if state.owed:
                    interest, principal = ledger.split_repayment(state, min(state.owed, 2500))
                    member = next(m for m in members if m.pk == loan.member_id)
                    if interest:
                        post(meeting, member, EntryKind.INTEREST, interest, loan=loan)
                    if principal:
                        post(meeting, member, EntryKind.REPAYMENT, principal, loan=loan)
        ctx.counts["savings:meetings"] += 1
    return entries, attendance


def _groups(ctx: DemoContext) -> None:
    """A hundred groups over two cycles, written in bulk (the ledger's rows as the services write
    them), the first cycles shared out together through `services.share_out_many`."""
    kitchens = [n for n in ctx.base_nodes if n.org.kind.is_kitchen and len(n.members) >= MEMBERS]
    # Then other base organisations and the federations (a committee of theirs keeps the group).
    kitchens += [n for n in ctx.base_nodes if not n.org.kind.is_kitchen and len(n.members) >= MEMBERS]
    kitchens += [n for n in ctx.federation_nodes if len(n.members) >= MEMBERS]
    kitchens += [n for n in ctx.base_nodes if 3 <= len(n.members) < MEMBERS]
    kitchens = kitchens[:GROUPS]
    start = ctx.today - datetime.timedelta(days=2 * CYCLE_DAYS + 20)
    groups = SavingsGroup.objects.bulk_create([SavingsGroup(organisation=node.org,
                                                            name=f"Banquito {node.org.name}"[:120])
                                               for node in kitchens])
    firsts = Cycle.objects.bulk_create([Cycle(group=g, number=1, starts_on=start,
                                              ends_on=start + datetime.timedelta(days=CYCLE_DAYS),
                                              share_value=ctx.rng.choice([500, 1000]), shares_max=3)
                                        for g in groups])
    members = {}
    for group, node in zip(groups, kitchens, strict=True):
        members[group.pk] = [GroupMember(group=group, person_id=m.person_id, joined_on=start)
                             for m in node.members[:MEMBERS]]
    GroupMember.objects.bulk_create([m for ms in members.values() for m in ms])
    late = {g.pk: ctx.rng.random() < 0.3 for g in groups}  # a third have someone behind on her loan
    entries, attendance = [], []
    for cycle in firsts:
        e, a = _cycle_rows(ctx, cycle, members[cycle.group_id], [2 * CYCLE_DAYS + 10 - 40 * k for k in range(4)],
                           late[cycle.group_id])
        entries += e
        attendance += a
    Entry.objects.bulk_create(entries, batch_size=5000)
    services.share_out_many(scope=SCOPE, cycles=firsts, on=ctx.today - datetime.timedelta(days=CYCLE_DAYS))
    ctx.counts["savings:share_outs"] += len(firsts)
    seconds = Cycle.objects.bulk_create([
        Cycle(group_id=c.group_id, number=2, starts_on=ctx.today - datetime.timedelta(days=170),
              ends_on=ctx.today + datetime.timedelta(days=190), **{f: getattr(c, f) for f in Cycle.RULE_FIELDS})
        for c in firsts])
    entries = []
    for cycle in seconds:
        e, a = _cycle_rows(ctx, cycle, members[cycle.group_id], [160, 120, 80], late[cycle.group_id])
        entries += e
        attendance += a
    Entry.objects.bulk_create(entries, batch_size=5000)
    Attendance.objects.bulk_create(attendance, batch_size=5000)
    ctx.counts["savings:groups"] += len(groups)


def _gardens(ctx: DemoContext) -> None:
    crops = {"papa": "Papa", "zanahoria": "Zanahoria"}
    items = list(FoodItem.objects.filter(code__in=crops))
    if not items:
        return
    kitchens = [n for n in ctx.base_nodes if n.org.kind.is_kitchen]
    for node in kitchens[:GARDENS]:
        garden = gardens.create_garden(scope=SCOPE, organisation=node.org, name=f"Biohuerto de {node.org.name}"[:120],
                                       kind=ctx.rng.choice(["community", "family"]), area_m2=ctx.rng.randint(50, 800),
                                       crops=", ".join(crops.values()), kitchens_supplied=[node.org])
        for back in (ctx.today.day - 1, 0):  # in the open month: earlier ones are validated and closed
            gardens.record_harvest(scope=SCOPE, garden=garden, kitchen=node.org, item=ctx.rng.choice(items),
                                   date=ctx.today - datetime.timedelta(days=back),
                                   quantity=Decimal(ctx.rng.randint(5, 40)))
            ctx.counts["gardens:harvests"] += 1


def _producers(ctx: DemoContext) -> None:
    items = list(FoodItem.objects.filter(code__in=["papa", "arroz", "menestras", "huevos"]))
    kitchens = [n for n in ctx.base_nodes if n.org.kind.is_kitchen and n.org.district_id]
    if not items or not kitchens:
        return
    made = []
    for i in range(PRODUCERS):
        node = kitchens[i % len(kitchens)]
        made.append(producers.register_producer(
            scope=SCOPE, organisation=node.parent.org if node.parent else node.org, name=f"Productora {i + 1:03}",
            kind="person" if i % 4 else "association", district=node.org.district,
            products=ctx.rng.sample(items, 2), family_farm_registration=f"REGAF-{i + 1:05}" if i % 3 else ""))
    # A few municipalities buy mostly from family farms; most buy little from them.
    keen = set(sorted({k.org.district_id for k in kitchens})[::4])
    for n in range(PURCHASES):
        node = kitchens[n % len(kitchens)]
        family = [p for p in made if p.is_family_farm]
        others = [p for p in made if not p.is_family_farm]
        chance = 0.6 if node.org.district_id in keen else 0.03
        producer = ctx.rng.choice(family if ctx.rng.random() < chance else others)
        producers.record_purchase(scope=SCOPE, buyer=node.org, producer=producer, item=ctx.rng.choice(items),
                                  on=ctx.today - datetime.timedelta(days=ctx.rng.randint(0, ctx.today.day - 1)),
                                  quantity=Decimal(ctx.rng.randint(5, 50)), unit_price=Decimal("3.50"),
                                  programme=ctx.rng.choice([Programme.KITCHEN, Programme.PCA]))
        ctx.counts["producers:purchases"] += 1


def _ventures(ctx: DemoContext) -> None:
    """Women's ventures, members of the federation above a kitchen, with three to six of its
    socias each and, for most, their sales and costs of the last six months (in bulk)."""
    kitchens = [n for n in ctx.base_nodes if n.parent is not None and len(n.members) >= 6]
    picked = kitchens[-VENTURES:]
    names = ["Panadería", "Tejidos", "Catering", "Artesanías", "Bodega", "Crianza de cuyes"]
    activities = ["food", "textiles", "catering", "crafts", "trade", "farming"]
    made = Venture.objects.bulk_create([
        Venture(organisation=node.parent.org, name=f"{names[i % 6]} {node.org.name}"[:120], activity=activities[i % 6],
                member_since=ctx.today - datetime.timedelta(days=ctx.rng.randint(60, 900)))
        for i, node in enumerate(picked)])
    members, months = [], []
    this_month = ctx.today.replace(day=1)
    for venture, node in zip(made, picked, strict=True):
        for m in node.members[: ctx.rng.randint(3, 6)]:
            members.append(VentureMember(venture=venture, person_id=m.person_id,
                                         since=ctx.today - datetime.timedelta(days=ctx.rng.randint(30, 600))))
        if ctx.rng.random() < 0.75:
            month = this_month
            for _k in range(6):
                month = (month - datetime.timedelta(days=1)).replace(day=1)
                sales = ctx.rng.randint(80_000, 600_000)
                months.append(VentureMonth(venture=venture, month=month, sales=sales,
                                           costs=sales * ctx.rng.randint(45, 85) // 100))
    VentureMember.objects.bulk_create(members, ignore_conflicts=True)
    VentureMonth.objects.bulk_create(months)
    ctx.counts["ventures"] += len(made)
