"""Women's ventures (*emprendimientos*): the venture and the organisation it is a member of, the
women who earn from it, its sales and costs by month (optional), and the roll-up through the
tree — how many ventures, how many women earn from them, what they sell.

Money is whole céntimos, as in the savings ledger (`forms.cents` reads soles typed on a form,
`services.soles` writes them back)."""

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record, snapshot
from ayni.economy.models import Venture, VentureMember, VentureMonth
from ayni.orgs.models import Organisation
from ayni.people.models import Person


@transaction.atomic
def create_venture(
    *,
    scope: Scope,
    organisation: Organisation,
    name: str,
    activity: str,
    products: str = "",
    member_since: datetime.date | None = None,
) -> Venture:
    """A venture that joins an organisation (a federation, a base) as a member."""
    scope.require(Can.EDIT, organisation)
    venture = Venture(
        organisation=organisation,
        name=name.strip(),
        activity=activity,
        products=products.strip(),
        member_since=member_since,
    )
    if not venture.name:
        raise ValidationError({"name": _("Escriba el nombre del emprendimiento.")})
    venture.full_clean(exclude=["organisation"])
    venture.save()
    record(scope=scope, action="venture.create", obj=venture, org_path=organisation.path, after=snapshot(venture))
    return venture


@transaction.atomic
def add_venture_member(*, scope: Scope, venture: Venture, person: Person, since: datetime.date) -> VentureMember:
    """A woman who works in the venture. She must be a socia of the organisation's subtree."""
    scope.require(Can.EDIT, venture.organisation)
    if not person.memberships.filter(organisation__path__startswith=venture.organisation.path).exists():
        raise ValidationError(
            {
                "person": _("%(name)s no es socia de %(org)s ni de sus organizaciones.")
                % {"name": person.full_name, "org": venture.organisation.name}
            }
        )
    if since > timezone.localdate():
        raise ValidationError({"since": _("La fecha no puede ser futura.")})
    member, created = VentureMember.objects.get_or_create(venture=venture, person=person, defaults={"since": since})
    if not created:
        raise ValidationError({"person": _("%(name)s ya trabaja en este emprendimiento.") % {"name": person.full_name}})
    record(scope=scope, action="venture.member", obj=member, org_path=venture.organisation.path, after=snapshot(member))
    return member


@transaction.atomic
def record_month(*, scope: Scope, venture: Venture, month: datetime.date, sales: int, costs: int) -> VentureMonth:
    """The month's sales and costs (céntimos); a second entry for the same month corrects it,
    and the audit trail keeps what it said before."""
    scope.require(Can.EDIT, venture.organisation)
    month = month.replace(day=1)
    errors = {}
    if month > timezone.localdate():
        errors["month"] = _("El mes aún no empieza.")
    for field, value in (("sales", sales), ("costs", costs)):
        if value is None or value < 0:
            errors[field] = _("Escriba un monto de cero o más.")
    if errors:
        raise ValidationError(errors)
    row = VentureMonth.objects.select_for_update().filter(venture=venture, month=month).first()
    before = snapshot(row) if row else None
    if row is None:
        row = VentureMonth(venture=venture, month=month)
    row.sales, row.costs = int(sales), int(costs)
    row.save()
    record(
        scope=scope,
        action="venture.month",
        obj=row,
        org_path=venture.organisation.path,
        before=before,
        after=snapshot(row),
    )
    return row


# --- Scoped reads ---------------------------------------------------------------------------


def visible_ventures(scope: Scope) -> QuerySet[Venture]:
    return Venture.objects.filter(scope.q(Can.VIEW, prefix="organisation__")).select_related("organisation")


def ventures_under(scope: Scope, organisation: Organisation) -> QuerySet[Venture]:
    """The ventures of the organisation and of those under it, in the caller's sight."""
    return (
        visible_ventures(scope)
        .filter(organisation__path__startswith=organisation.path)
        .annotate(women=Count("members", filter=Q(members__until__isnull=True)))
        .order_by("name", "pk")
    )


def get_venture(scope: Scope, organisation: Organisation, pk) -> Venture:
    """One venture of the organisation's subtree, found only in the caller's sight (404 otherwise)."""
    try:
        return visible_ventures(scope).filter(organisation__path__startswith=organisation.path).get(pk=pk)
    except (Venture.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def members_of(venture: Venture) -> QuerySet[VentureMember]:
    """Names: the caller has checked VIEW_PERSONAL."""
    return venture.members.select_related("person").order_by("until", "person__paternal_surname", "person__given_names")


def women_who_may_join(scope: Scope, venture: Venture) -> QuerySet[Person]:
    """The current socias of the venture's organisation and those under it who are not in it yet,
    by name: only where the scope may see names."""
    scope.require(Can.VIEW_PERSONAL, venture.organisation)
    return (Person.objects.filter(memberships__organisation__path__startswith=venture.organisation.path,
                                  memberships__until__isnull=True)
            .exclude(ventures__venture=venture).order_by("paternal_surname", "given_names").distinct())


def months_of(venture: Venture, limit: int = 24) -> list[VentureMonth]:
    return list(venture.months.order_by("-month")[:limit])


def rollup(scope: Scope, *, under: str = "", months: int = 12, on: datetime.date | None = None) -> dict:
    """The ventures of the subtree in the caller's sight: how many work, how many women earn from
    them (each woman once, whatever the number of ventures), and their sales, costs and net over
    the last `months` months. Three grouped queries."""
    on = on or timezone.localdate()
    first = (on.replace(day=1) - datetime.timedelta(days=31 * (months - 1))).replace(day=1)
    ventures = visible_ventures(scope).filter(organisation__path__startswith=under)
    working = ventures.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))
    people = VentureMember.objects.filter(venture__in=working, until__isnull=True)
    money = VentureMonth.objects.filter(venture__in=ventures, month__gte=first, month__lte=on).aggregate(
        sales=Sum("sales"), costs=Sum("costs"), reporting=Count("venture", distinct=True)
    )
    by_activity = defaultdict(int)
    for activity, n in working.values_list("activity").annotate(n=Count("pk")).order_by():
        by_activity[activity] = n
    labels = dict(Venture.Activity.choices)
    sales, costs = money["sales"] or 0, money["costs"] or 0
    return {
        "ventures": working.count(),
        "women": people.filter(person__sex="F").values("person").distinct().count(),
        "people": people.values("person").distinct().count(),
        "sales": sales,
        "costs": costs,
        "net": sales - costs,
        "reporting": money["reporting"] or 0,
        "months": months,
        "since": first,
        "by_activity": sorted(((str(labels.get(k, k)), n) for k, n in by_activity.items()), key=lambda r: -r[1]),
    }


def venture_violations() -> list[str]:
    """A month is stored on its first day with sales and costs of zero or more; a member leaves
    after she joined."""
    out = [
        _("Emprendimiento %(v)s: el mes %(m)s no está guardado en su primer día.") % {"v": v, "m": m}
        for v, m in VentureMonth.objects.exclude(month__day=1).values_list("venture_id", "month")[:100]
    ]
    out += [
        _("Emprendimiento %(v)s: ventas o costos en negativo en %(m)s.") % {"v": v, "m": m}
        for v, m in VentureMonth.objects.filter(Q(sales__lt=0) | Q(costs__lt=0)).values_list("venture_id", "month")[
            :100
        ]
    ]
    out += [
        _("Emprendimiento %(v)s: una socia figura hasta antes de haber entrado.") % {"v": v}
        for v in VentureMember.objects.filter(until__lt=F("since")).values_list("venture_id", flat=True)[:100]
    ]
    return out
