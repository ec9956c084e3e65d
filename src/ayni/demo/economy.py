"""Demo economy: savings groups (banquitos) over two cycles — the first closed with its
share-out, the second open — with loans, some of them in arrears; gardens whose harvests go
into the kitchens' stock; family-farm producers and purchases that put a few municipalities
above the year's target and most below. Written through the economy's own services, so the
ledger, the share-outs and the stock are exactly what the pages would have written and
`ayni check-integrity` passes on a fresh demo. Their audit entries are taken back: the demo
records its one."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError

from ayni.accounts.scope import Scope
from ayni.demo.context import DemoContext
from ayni.economy import gardens, ledger, producers, services
from ayni.economy.models import GroupMember, Programme
from ayni.kitchens.models import FoodItem

GROUPS, MEMBERS, CYCLE_DAYS = 30, 5, 180
GARDENS, PRODUCERS, PURCHASES = 10, 20, 150
SCOPE = Scope.system("generador de datos de demostración")


def _meetings(ctx, cycle, members, days: list[int], loans: bool):
    late = ctx.rng.random() < 0.3  # a third of the groups have someone behind on her loan
    for n, back in enumerate(days):
        meeting = services.hold_meeting(scope=SCOPE, cycle=cycle, on=ctx.today - datetime.timedelta(days=back))
        for member in members:
            services.buy_shares(scope=SCOPE, meeting=meeting, member=member, shares=ctx.rng.randint(1, 3))
        if loans and n == 1:
            books = ledger.books(services.rows_of(cycle))
            for member in members[:2]:
                limit = min(int(books.members[member.pk].savings * cycle.loan_multiple), books.box - books.social_fund)
                books.totals["loan"] += (lent := min(ctx.rng.choice([2000, 3000, 5000]), limit))
                if lent > 0:
                    services.disburse_loan(scope=SCOPE, meeting=meeting, member=member, principal=lent,
                                           term_months=3)
        elif loans and n >= 2:
            for i, member in enumerate(members[:2]):
                if late and i == 1:
                    continue
                owed = sum(s.owed for s in services.loan_states(cycle, meeting.on, member=member))
                if owed:
                    services.repay(scope=SCOPE, meeting=meeting, member=member, amount=min(owed, 2500))
        ctx.counts["savings:meetings"] += 1


def generate_economy(ctx: DemoContext) -> None:
    # Through the services (the ledger's rules); the generator takes back their audit entries.
    _groups(ctx)
    _gardens(ctx)
    _producers(ctx)


def _groups(ctx: DemoContext) -> None:
    kitchens = [n for n in ctx.base_nodes if n.org.kind.is_kitchen and len(n.members) >= MEMBERS]
    for node in kitchens[:GROUPS]:
        start = ctx.today - datetime.timedelta(days=2 * CYCLE_DAYS + 20)
        group = services.create_group(scope=SCOPE, organisation=node.org, name=f"Banquito {node.org.name}"[:120],
                                      starts_on=start, ends_on=start + datetime.timedelta(days=CYCLE_DAYS),
                                      share_value=ctx.rng.choice([500, 1000]), shares_max=3)
        members = [GroupMember.objects.create(group=group, person_id=m.person_id, joined_on=start)
                   for m in node.members[:MEMBERS]]
        first = group.cycles.get()
        _meetings(ctx, first, members, [2 * CYCLE_DAYS + 10 - 40 * k for k in range(4)], loans=True)
        try:
            services.share_out(scope=SCOPE, cycle=first, on=ctx.today - datetime.timedelta(days=CYCLE_DAYS))
            ctx.counts["savings:share_outs"] += 1
        except ValidationError:
            continue
        second = services.open_cycle(scope=SCOPE, group=group, starts_on=ctx.today - datetime.timedelta(days=170),
                                     ends_on=ctx.today + datetime.timedelta(days=190))
        _meetings(ctx, second, members, [160, 120, 80], loans=True)
        ctx.counts["savings:groups"] += 1


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
