"""Family-farm producers, the purchases made from them, and the share of purchases from family
farming per municipality and programme per year against the legal target (Ley 31071)."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.economy.models import FamilyFarmTarget, Producer, Programme, Purchase
from ayni.evidence import cache as page_cache
from ayni.evidence.panels import Figure
from ayni.geo.models import District
from ayni.kitchens import services as kitchens
from ayni.kitchens.models import FoodItem, MovementKind, StockMovement
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
                    programme: str = Programme.KITCHEN, party: str = "") -> Purchase:
    """A purchase: for a kitchen, with the stock movement it feeds (the kitchens' one write path);
    a municipal programme's purchase is recorded without one. The municipality is the buyer's
    district."""
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
                                            party=producer.name if producer else party, confirm=True)
    purchase = Purchase.objects.create(buyer=buyer, programme=programme, municipality_id=buyer.district_id,
                                       producer=producer, family_farm=bool(producer and producer.is_family_farm),
                                       on=on, amount=amount, movement=movement)
    record(scope=scope, action="producer.purchase", obj=purchase, org_path=buyer.path, after=snapshot(purchase))
    # The family-farm share is on the dashboards kept in the cache: drawn afresh from the next view.
    page_cache.invalidate(buyer)
    return purchase


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


def family_farm_shares(scope: Scope, year: int) -> list[Share]:
    """Per municipality and programme: purchases in the year, the part from family farming, the
    target — of the purchases of buyers in the caller's sight. One grouped query."""
    targets = dict(FamilyFarmTarget.objects.values_list("year", "percent"))
    target = target_for(year, targets)
    # A date range, not `on__year`, so that the (on, municipality, programme) index serves it.
    rows = list(Purchase.objects.filter(scope.q(Can.VIEW, prefix="buyer__"), on__gte=datetime.date(year, 1, 1),
                                        on__lt=datetime.date(year + 1, 1, 1))
                .values("municipality_id", "programme")
                .annotate(total=Sum("amount"), family=Sum("amount", filter=Q(family_farm=True)))
                .order_by())
    # Grouped by the district's id alone (no join in the grouping); its name read once after.
    places = {pk: (name, code) for pk, name, code in District.objects.filter(
        pk__in={r["municipality_id"] for r in rows}).values_list("pk", "name", "code")}
    # Each label translated once (not once per row: that was most of the time), each name titled once.
    labels = {k: str(v) for k, v in Programme.choices}
    places = {pk: (name.title(), code) for pk, (name, code) in places.items()}
    shares = [Share(municipality=places[r["municipality_id"]][0],
                    municipality_code=places[r["municipality_id"]][1],
                    programme=labels.get(r["programme"], r["programme"]), total=r["total"] or 0,
                    family=r["family"] or 0, target=target) for r in rows]
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
    # Producers registered by the kitchen's own federations are hers to call too.
    known = Producer.objects.filter(scope.q(Can.VIEW, prefix="organisation__")
                                    | Q(organisation__in=kitchen.ancestors())).select_related("district")
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


def _in_selection(sel) -> QuerySet[Purchase]:
    """The purchases of a dashboard selection: buyers in sight under its organisation, in its
    place, in its months."""
    last = sel.last.replace(day=1)
    end = datetime.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    qs = Purchase.objects.filter(sel.on_path("buyer__"), on__gte=sel.first.replace(day=1), on__lt=end)
    if sel.place is not None:
        qs = qs.filter(municipality__code__startswith=sel.place.code)
    return qs


def _pct(family: int, total: int) -> float | None:
    return round(family * 100 / total, 1) if total else None


def panel_figure(sel):
    """The share of the selection's purchases from family farming, against the target of its last
    year, and the municipalities that buy most, each with its share (three queries)."""
    rows = list(_in_selection(sel).values("municipality_id").annotate(
        total=Sum("amount"), family=Sum("amount", filter=Q(family_farm=True))).order_by())
    if not rows:
        return None
    target = target_for(sel.last.year)
    total = sum(r["total"] or 0 for r in rows)
    family = sum(r["family"] or 0 for r in rows)
    meeting = sum(1 for r in rows if (r["family"] or 0) * 100 >= target * (r["total"] or 0))
    top = sorted(rows, key=lambda r: -(r["total"] or 0))[:12]
    names = dict(District.objects.filter(pk__in=[r["municipality_id"] for r in top]).values_list("pk", "name"))
    share = _pct(family, total)
    return Figure(
        headline=f"{share:.1f} %",
        label=_("de lo comprado vino de la agricultura familiar"),
        note=_("Meta de %(year)s (Ley 31071): %(target)s %%. La cumplen %(n)s de %(m)s municipalidades.")
        % {"year": sel.last.year, "target": floatformat(target, -2), "n": meeting, "m": len(rows)},
        bars_title=_("Compras a la agricultura familiar, por municipalidad (%)"),
        bars=[(names.get(r["municipality_id"], r["municipality_id"]).title(), _pct(r["family"] or 0, r["total"]))
              for r in top],
        bars_desc=_("Las municipalidades que más compran, con la parte de sus compras a la agricultura familiar."),
        unit=" %", decimals=1, link=reverse("economy:family_farming") + f"?anio={sel.last.year}")


def place_shares(sel, digits: int) -> dict[str, float | None]:
    """The share from family farming per department (2) or province (4) code: one grouped query."""
    rows = (_in_selection(sel).annotate(place=Substr("municipality_id", 1, digits)).values("place")
            .annotate(total=Sum("amount"), family=Sum("amount", filter=Q(family_farm=True))).order_by())
    return {r["place"]: _pct(r["family"] or 0, r["total"] or 0) for r in rows}
