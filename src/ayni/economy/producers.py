"""Family-farm producers, the purchases made from them, and the share of purchases from family
farming per municipality and programme per year against the legal target (Ley 31071)."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.economy.models import FamilyFarmTarget, Producer, Programme, Purchase, PurchaseRollup
from ayni.evidence import cache as page_cache
from ayni.evidence.panels import Figure
from ayni.geo.models import District
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import FiguresRevision, FoodItem, MovementKind, StockMovement, month_start
from ayni.kitchens.summaries import ROLLUP_PATH_LENGTH, rollup_path
from ayni.lib.db import add_to_rows
from ayni.lib.drawn import digest
from ayni.orgs.models import Organisation


@transaction.atomic
def register_producer(*, scope: Scope, organisation: Organisation, name: str, kind: str, district,
                      products, family_farm_registration: str = "") -> Producer:
    scope.require(Can.EDIT, organisation)
    producer = Producer(organisation=organisation, name=name.strip(), kind=kind, district=district,
                        family_farm_registration=family_farm_registration.strip())
    producer.full_clean(exclude=["organisation"])
    producer.save()
    producer.products.set(products)
    record(scope=scope, action="producer.create", obj=producer, org_path=organisation.path, after=snapshot(producer))
    return producer


@transaction.atomic
def record_purchase(*, scope: Scope, buyer: Organisation, producer: Producer | None, item: FoodItem,
                    on: datetime.date, quantity: Decimal, unit_price: Decimal,
                    programme: str = Programme.KITCHEN, party: str = "", confirm: bool = True) -> Purchase:
    """A purchase: for a kitchen, with the stock movement it feeds (the kitchens' one write path);
    a municipal programme's purchase is recorded without one. The municipality is the buyer's
    district. `confirm=False` (the purchase form) lets the stock service ask about an unusual
    amount (`NeedsConfirmation`) instead of saving it."""
    scope.require(Can.EDIT, buyer)
    if buyer.district_id is None:
        raise ValidationError(_("La organización compradora no tiene distrito: regístrelo primero."))
    if quantity is None or quantity <= 0 or unit_price is None or unit_price <= 0:
        raise ValidationError(_("Indique la cantidad y el precio unitario, mayores que cero."))
    amount = int((quantity * unit_price * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    movement = None
    if buyer.kind.is_kitchen:
        movement = kitchens.record_movement(scope=scope, kitchen=buyer, item=item, date=on,
                                            kind=MovementKind.PURCHASE, quantity=quantity, unit_price=unit_price,
                                            party=producer.name if producer else party, confirm=confirm)
    purchase = Purchase.objects.create(buyer=buyer, programme=programme, municipality_id=buyer.district_id,
                                       producer=producer, family_farm=bool(producer and producer.is_family_farm),
                                       on=on, amount=amount, movement=movement)
    _move_rollup(purchase, buyer.path, +1)
    record(scope=scope, action="producer.purchase", obj=purchase, org_path=buyer.path, after=snapshot(purchase))
    return purchase


@transaction.atomic
def cancel_purchase(*, scope: Scope, purchase: Purchase) -> None:
    """Take back a purchase typed by mistake, with the stock movement it fed (refused, like any
    change to the stock, in a month the kitchen has closed): its roll-up row moves back by the
    same amount in the same transaction."""
    buyer = purchase.buyer
    scope.require(Can.EDIT, buyer)
    try:  # locked: two phones cancelling the same purchase take it back once
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
    except Purchase.DoesNotExist:
        raise ValidationError(_("Esta compra ya fue anulada.")) from None
    movement = purchase.movement
    record(scope=scope, action="producer.purchase.delete", obj=purchase, org_path=buyer.path,
           before=snapshot(purchase))
    _move_rollup(purchase, buyer.path, -1)
    purchase.delete()
    if movement is not None:
        kitchens.delete_movement(scope=scope, movement=movement)


@transaction.atomic
def correct_purchase(*, scope: Scope, purchase: Purchase, producer: Producer | None, on: datetime.date,
                     quantity: Decimal, unit_price: Decimal, party: str | None = None,
                     confirm: bool = True) -> Purchase:
    """A purchase recorded wrongly (the seller, the day, the quantity or the price): taken back
    and recorded again as it should have been, in one transaction, so the stock, the share and
    the roll-up never show half of it. The food and the programme stay; `party` (a seller who is
    not registered) stays too unless given. `confirm=False` (the correction page) lets an unusual
    quantity be asked about, and then nothing has changed."""
    movement = purchase.movement
    item = movement.item if movement is not None else None
    if producer is not None:
        party = ""
    elif party is None:
        party = movement.party if movement is not None else ""
    buyer, programme = purchase.buyer, purchase.programme
    cancel_purchase(scope=scope, purchase=purchase)
    return record_purchase(scope=scope, buyer=buyer, producer=producer, item=item, on=on, quantity=quantity,
                           unit_price=unit_price, programme=programme, party=party, confirm=confirm)


def _rollup_key(path: str, purchase: Purchase) -> dict:
    return {"path": rollup_path(path), "municipality_id": purchase.municipality_id, "programme": purchase.programme,
            "month": month_start(purchase.on)}


def _move_rollup(purchase: Purchase, buyer_path: str, sign: int) -> None:
    """Add (sign +1) or take back (-1) one purchase in its roll-up row, in the caller's
    transaction: the row is created the first time (a savepoint catches the one another
    transaction created meanwhile) and otherwise changed only with `F()`, never read and written
    back, so two kitchens buying at once both count. The dashboards kept in the cache are drawn
    afresh from the next view (`evidence.cache`)."""
    _add_to_rollup(_rollup_key(buyer_path, purchase), {
        "purchases": sign, "total": sign * purchase.amount, "family": sign * purchase.amount if purchase.family_farm
        else 0})


ROLLUP_KEY = ("path", "municipality_id", "programme", "month")


def _add_to_rollup(key: dict, delta: dict) -> None:
    # The house's one upsert of running totals (lib/db.py): one statement, the row created the
    # first time, the sums done by the database on the row it holds.
    page_cache.invalidate(key["path"])
    add_to_rows(PurchaseRollup, ROLLUP_KEY, {tuple(key[k] for k in ROLLUP_KEY): delta},
                ("purchases", "total", "family"))


def follow_moved_subtree(sender, organisation, old_path: str, new_path: str, **kwargs) -> None:
    """A subtree moved (`orgs.signals.subtree_moved`, in the move's transaction): the purchases of
    its buyers move from the roll-up cells they were filed under to the ones they are in now. A
    buyer's old path is the old prefix and the same tail."""
    if not (old_path and new_path) or old_path == new_path:
        return
    rows = (Purchase.objects.filter(buyer__path__startswith=new_path).annotate(month=TruncMonth("on"))
            .values("buyer__path", "municipality_id", "programme", "month")
            .annotate(n=Count("pk"), t=Sum("amount"), f=Sum("amount", filter=Q(family_farm=True))).order_by())
    for r in rows:
        was, now = rollup_path(old_path + r["buyer__path"][len(new_path):]), rollup_path(r["buyer__path"])
        if was == now:
            continue
        rest = {"municipality_id": r["municipality_id"], "programme": r["programme"], "month": r["month"]}
        moved = {"purchases": r["n"], "total": r["t"] or 0, "family": r["f"] or 0}
        _add_to_rollup({"path": was, **rest}, {k: -v for k, v in moved.items()})
        _add_to_rollup({"path": now, **rest}, moved)


def recomputed_rollup() -> dict[tuple, tuple[int, int, int]]:
    """The roll-up as the purchases say it should be: (path, municipality, programme, month) ->
    (purchases, total, family). One grouped query."""
    rows = (Purchase.objects.annotate(cell=Substr("buyer__path", 1, ROLLUP_PATH_LENGTH), month=TruncMonth("on"))
            .values("cell", "municipality_id", "programme", "month")
            .annotate(n=Count("pk"), t=Sum("amount"), f=Sum("amount", filter=Q(family_farm=True))).order_by())
    return {(r["cell"], r["municipality_id"], r["programme"], r["month"]): (r["n"], r["t"] or 0, r["f"] or 0)
            for r in rows}


@transaction.atomic
def rebuild_rollup() -> int:
    """Write the roll-up again from the purchases (after a bulk load that went around the
    services, or to repair it): every cell's revision moves, so no kept page shows the old one."""
    PurchaseRollup.objects.all().delete()
    rows = [PurchaseRollup(path=path, municipality_id=m, programme=prog, month=month, purchases=n, total=t, family=f)
            for (path, m, prog, month), (n, t, f) in recomputed_rollup().items()]
    PurchaseRollup.objects.bulk_create(rows, batch_size=2000)
    for path in {r.path for r in rows}:
        page_cache.invalidate(path)
    return len(rows)


def rollup_violations() -> list[str]:
    """Every roll-up row equal to a recomputation from the purchases (for `ayni check-integrity`);
    a row taken back to nothing by cancellations is equal to no purchases."""
    expected = recomputed_rollup()
    out = []
    for row in PurchaseRollup.objects.values_list("path", "municipality_id", "programme", "month", "purchases",
                                                  "total", "family").iterator(chunk_size=5000):
        key, kept = row[:4], row[4:]
        if expected.pop(key, (0, 0, 0)) != kept:
            out.append(_("Compras de %(path)s en %(m)s, %(month)s: el acumulado no coincide con las compras.")
                       % {"path": key[0], "m": key[1], "month": key[3].strftime("%m/%Y")})
    out += [_("Compras de %(path)s en %(m)s, %(month)s: faltan en el acumulado.")
            % {"path": key[0], "m": key[1], "month": key[3].strftime("%m/%Y")} for key in expected]
    return out[:100]


def _whole_cells(scope: Scope) -> bool:
    """Whether every path the scope sees is a whole subtree no deeper than a roll-up row's path,
    so that the roll-up rows it sees hold exactly the purchases of the buyers it sees."""
    if scope.is_system or scope.is_platform_admin:
        return True
    return all(subtree and len(path) <= ROLLUP_PATH_LENGTH for path, subtree in scope.reach(Can.VIEW))


def target_for(year: int, targets: dict[int, Decimal] | None = None) -> Decimal:
    targets = targets if targets is not None else dict(FamilyFarmTarget.objects.values_list("year", "percent"))
    earlier = [y for y in targets if y <= year]
    return targets[max(earlier)] if earlier else Decimal(0)


@dataclass(frozen=True)
class Share:
    municipality: str
    municipality_code: str
    programme: str
    total: int
    family: int
    target: Decimal

    @property
    def percent(self) -> Decimal:
        return (Decimal(self.family) * 100 / self.total).quantize(Decimal("0.1"), ROUND_HALF_UP) if self.total else \
            Decimal(0)

    @property
    def meets(self) -> bool:
        return self.family * 100 >= self.target * self.total


def _grouped(qs: QuerySet, fields: tuple[str, ...], rollup: bool) -> QuerySet:
    """Purchases or roll-up rows grouped by `fields`, with the total `t` and the part from
    family farming `f`; groups with nothing left (cancelled purchases) are left out."""
    if rollup:
        sums = {"t": Sum("total"), "f": Sum("family")}
    else:
        sums = {"t": Sum("amount"), "f": Sum("amount", filter=Q(family_farm=True))}
    return qs.values(*fields).annotate(**sums).filter(t__gt=0).order_by()


def family_farm_shares(scope: Scope, year: int) -> list[Share]:
    """Per municipality and programme: purchases in the year, the part from family farming, the
    target — of the purchases of buyers in the caller's sight. One grouped query, on the roll-up
    (a few rows per municipality and month) when the caller's sight is made of whole cells, on
    the purchases of her few buyers otherwise.

    The national list (some 3,700 rows) is the same for everyone who sees the same cells, so it
    is kept in the cache under the revision of those cells (`kitchens.FiguresRevision`, which
    every purchase, correction and cancellation moves in its own transaction, as
    `evidence.cache` does for the dashboards): the next read after any of them computes it again."""
    targets = dict(FamilyFarmTarget.objects.values_list("year", "percent"))
    rollup = _whole_cells(scope)
    if not rollup:
        return _shares(scope, year, targets, rollup)
    revision = FiguresRevision.objects.filter(scope.q(Can.VIEW)).aggregate(cells=Count("pk"), n=Sum("n"))
    reach = sorted(scope.reach(Can.VIEW)) if not scope.is_platform_admin else ["*"]
    key = "economy:family-farm-shares:" + digest(get_language(), reach, year, sorted(targets.items()),
                                                 revision["cells"], revision["n"])
    shares = cache.get(key)
    if shares is None:
        shares = _shares(scope, year, targets, rollup)
        cache.set(key, shares, page_cache.PAGE_TTL)
    return shares


def _shares(scope: Scope, year: int, targets: dict, rollup: bool) -> list[Share]:
    target = target_for(year, targets)
    first, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    if rollup:
        qs = PurchaseRollup.objects.filter(scope.q(Can.VIEW), month__gte=first, month__lt=end)
    else:  # a date range, not `on__year`, so that the (on, municipality, programme) index serves it
        qs = Purchase.objects.filter(scope.q(Can.VIEW, prefix="buyer__"), on__gte=first, on__lt=end)
    rows = list(_grouped(qs, ("municipality_id", "programme"), rollup).values_list(
        "municipality_id", "programme", "t", "f"))
    # The names of all districts in one read with no list of ids in it: a list of 1,900 ids in
    # `pk__in` cost more to build than the grouped query itself.
    places = dict(District.objects.values_list("pk", "name")) if rows else {}
    # Each label translated once (not once per row: that was most of the time), each name titled once.
    labels = {k: str(v) for k, v in Programme.choices}
    titled = {pk: places[pk].title() for pk in {r[0] for r in rows}}
    shares = [Share(municipality=titled[m], municipality_code=m, programme=labels.get(prog, prog), total=t,
                    family=f or 0, target=target) for m, prog, t, f in rows]
    return sorted(shares, key=lambda s: (s.municipality, s.programme))


def share_chart(shares: list[Share], target: Decimal) -> SafeString:
    """Horizontal bars, one per municipality and programme, with the target as a line: inline SVG."""
    row, width, label_w = 22, 320, 0
    height = row * len(shares) + 24
    x_target = label_w + width * float(target) / 100
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + 60} {height}" role="img" '
             f'aria-label="{escape(_("Porcentaje de compras a la agricultura familiar frente a la meta"))}" '
             f'class="chart" width="100%">']
    for i, s in enumerate(shares):
        y = i * row + 4
        w = width * float(s.percent) / 100
        fill = "#2e7d32" if s.meets else "#c62828"
        parts.append(f'<rect x="0" y="{y}" width="{w:.1f}" height="{row - 8}" fill="{fill}">'
                     f'<title>{escape(s.municipality)} · {escape(s.programme)}: {s.percent} %</title></rect>')
        parts.append(f'<text x="{w + 4:.1f}" y="{y + row - 10}" font-size="11">{s.percent} %</text>')
    parts.append(f'<line x1="{x_target:.1f}" x2="{x_target:.1f}" y1="0" y2="{height - 18}" stroke="#333" '
                 f'stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{x_target:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">'
                 f'{escape(_("meta %(p)s %%") % {"p": floatformat(target, -2)})}</text></svg>')
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above


def visible_producers(scope: Scope) -> QuerySet[Producer]:
    return Producer.objects.filter(scope.q(Can.VIEW, prefix="organisation__")).select_related("district")


def producers_for(scope: Scope, kitchen: Organisation) -> QuerySet[Producer]:
    """The producers a kitchen may buy from: those in the caller's sight, and those registered by
    the kitchen's own federations (hers to call too, though their other records are not hers)."""
    return Producer.objects.filter(scope.q(Can.VIEW, prefix="organisation__")
                                   | Q(organisation__in=kitchen.ancestors())).select_related("district")


def producers_of(scope: Scope, organisation: Organisation) -> QuerySet[Producer]:
    """The producers an organisation registered, in the caller's sight."""
    return visible_producers(scope).filter(organisation=organisation).prefetch_related("products")


def purchases_of(scope: Scope, buyer: Organisation) -> QuerySet[Purchase]:
    """A buyer's purchases in the caller's sight, latest first."""
    return (Purchase.objects.filter(scope.q(Can.VIEW, prefix="buyer__"), buyer=buyer)
            .select_related("producer", "movement__item").order_by("-on", "-pk"))


def get_purchase(scope: Scope, buyer: Organisation, pk) -> Purchase:
    """One purchase of the buyer, found only in the caller's sight (404 otherwise)."""
    try:
        return purchases_of(scope, buyer).get(pk=pk)
    except (Purchase.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def month_figures(buyer: Organisation, day: datetime.date) -> dict:
    """The buyer's purchases in the month of `day`: how many, their total and the part from
    family farming (céntimos), and that part in %. One query."""
    first = day.replace(day=1)
    end = datetime.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    row = Purchase.objects.filter(buyer=buyer, on__gte=first, on__lt=end).aggregate(
        n=Count("pk"), t=Sum("amount"), f=Sum("amount", filter=Q(family_farm=True)))
    total, family = row["t"] or 0, row["f"] or 0
    return {"month": first, "purchases": row["n"], "total": total, "family": family,
            "percent": (Decimal(family) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP) if total else None}


def usual_choices(buyer: Organisation) -> dict:
    """What the purchase form starts from: the producer the buyer bought from last and the food
    it has bought most often (ids, or None)."""
    last = (Purchase.objects.filter(buyer=buyer, producer__isnull=False).order_by("-on", "-pk")
            .values_list("producer_id", flat=True).first())
    most = (StockMovement.objects.filter(kitchen=buyer, kind=MovementKind.PURCHASE).values("item")
            .annotate(n=Count("pk")).order_by("-n", "item").values_list("item", flat=True).first())
    return {"producer": last, "item": most}


def nearby_producers(scope: Scope, kitchen: Organisation, limit_items: int = 5) -> list[dict]:
    """For a kitchen: the items it buys most (by value, last 12 months), and for each the
    producers of it in its district, then its province — family farmers first."""
    since = timezone.localdate() - datetime.timedelta(days=365)
    top = list(StockMovement.objects.filter(kitchen=kitchen, kind=MovementKind.PURCHASE, date__gte=since)
               .values("item").annotate(value=Sum("value"), n=Count("id")).order_by("-value")[:limit_items])
    items = FoodItem.objects.in_bulk([t["item"] for t in top])
    if kitchen.district_id is None:
        return [{"item": items[t["item"]], "producers": []} for t in top]
    province = kitchen.district.province_id
    known = producers_for(scope, kitchen)
    out = []
    for t in top:
        producers = (known.filter(products=t["item"], district__province_id=province)
                     .order_by("-family_farm_registration", "name").distinct())
        near = sorted(producers[:20], key=lambda p: (p.district_id != kitchen.district_id, not p.is_family_farm,
                                                     p.name))
        out.append({"item": items[t["item"]], "producers": near[:5]})
    return out


def get_kitchen(scope: Scope, pk) -> Organisation:
    try:
        return Organisation.objects.filter(scope.q(Can.VIEW), kind__is_kitchen=True).select_related(
            "district").get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- On the evidence dashboard, map and brief (registered in apps.py through evidence/panels.py) ---

PANEL_KEY = "agricultura-familiar"


def _in_selection(sel, fields: tuple[str, ...], **annotations) -> QuerySet:
    """The purchases of a dashboard selection (buyers in sight under its organisation, in its
    place, in its months), grouped by `fields` with their total `t` and family part `f`: from
    the roll-up rows when the selection is made of whole cells (`sel.uses_rollup`, as for the
    kitchens' figures), from the purchases otherwise."""
    last = sel.last.replace(day=1)
    end = datetime.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    if sel.uses_rollup:
        qs = PurchaseRollup.objects.filter(sel.on_path(), month__gte=sel.first.replace(day=1), month__lt=end)
    else:
        qs = Purchase.objects.filter(sel.on_path("buyer__"), on__gte=sel.first.replace(day=1), on__lt=end)
    if sel.place is not None:  # the district's code is its id: no join
        qs = qs.filter(municipality__code__startswith=sel.place.code)
    return _grouped(qs.annotate(**annotations), fields, sel.uses_rollup)


def _pct(family: int, total: int) -> float | None:
    return round(family * 100 / total, 1) if total else None


def panel_figure(sel):
    """The share of the selection's purchases from family farming, against the target of its last
    year, and the municipalities that buy most, each with its share (three queries)."""
    rows = [{"municipality_id": r["municipality_id"], "total": r["t"], "family": r["f"] or 0}
            for r in _in_selection(sel, ("municipality_id",))]
    if not rows:
        return None
    target = target_for(sel.last.year)
    total = sum(r["total"] for r in rows)
    family = sum(r["family"] for r in rows)
    meeting = sum(1 for r in rows if r["family"] * 100 >= target * r["total"])
    top = sorted(rows, key=lambda r: -r["total"])[:12]
    names = dict(District.objects.filter(pk__in=[r["municipality_id"] for r in top]).values_list("pk", "name"))
    share = _pct(family, total)
    return Figure(
        headline=f"{share:.1f} %",
        label=_("de lo comprado vino de la agricultura familiar"),
        note=_("Meta de %(year)s (Ley 31071): %(target)s %%. La cumplen %(n)s de %(m)s municipalidades.")
        % {"year": sel.last.year, "target": floatformat(target, -2), "n": meeting, "m": len(rows)},
        bars_title=_("Compras a la agricultura familiar, por municipalidad (%)"),
        bars=[(names.get(r["municipality_id"], r["municipality_id"]).title(), _pct(r["family"], r["total"]))
              for r in top],
        bars_desc=_("Las municipalidades que más compran, con la parte de sus compras a la agricultura familiar."),
        unit=" %", decimals=1, link=reverse("economy:family_farming") + f"?anio={sel.last.year}")


def place_shares(sel, digits: int) -> dict[str, float | None]:
    """The share from family farming per department (2) or province (4) code: one grouped query."""
    rows = _in_selection(sel, ("place",), place=Substr("municipality_id", 1, digits))
    return {r["place"]: _pct(r["f"] or 0, r["t"]) for r in rows}
