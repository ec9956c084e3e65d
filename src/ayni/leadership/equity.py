"""Equity of access (*equidad en el acceso*): who gets trained, by region, rural or urban district,
language, age band and level of organisation, against who is in the membership of a federation.

Read with one grouped query per dimension over the federation's current memberships; a woman
counts as trained when she has been enrolled in any programme. A district is rural when fewer
than 150 people live per km² (INEI's census line is by population centre, which the district
table does not carry; density is the nearest figure it has).
"""

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, F, FloatField, IntegerField, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ayni.leadership.models import Enrolment
from ayni.orgs.models import Organisation
from ayni.people.models import Language, Membership

RURAL_DENSITY = 150.0
LEVELS = {1: gettext_lazy("Confederación"), 2: gettext_lazy("Federación provincial"),
          3: gettext_lazy("Federación distrital"), 4: gettext_lazy("Organización de base")}
AGE_BANDS = [(18, 29), (30, 44), (45, 59), (60, 200)]
DIMENSIONS = [("region", gettext_lazy("Región")), ("area", gettext_lazy("Rural o urbano")),
              ("language", gettext_lazy("Idioma")), ("age", gettext_lazy("Edad")),
              ("level", gettext_lazy("Nivel de organización"))]


@dataclass
class Row:
    label: str
    members: int
    trained: int

    @property
    def share(self) -> float:
        return 100.0 * self.trained / self.members if self.members else 0.0


def _members(federation: Organisation, on: datetime.date):
    # Who was trained is one uncorrelated subquery, read once per query (SQLite keeps it as an
    # ephemeral index, PostgreSQL as a hashed subplan), not a lookup per membership row.
    trained = Enrolment.objects.filter(status=Enrolment.Status.ENROLLED).values("person_id")
    return (Membership.objects.filter(organisation__path__startswith=federation.path, since__lte=on)
            .filter(Q(until__isnull=True) | Q(until__gte=on))
            .annotate(trained=Case(When(person_id__in=trained, then=Value(True)), default=Value(False),
                                   output_field=BooleanField())))


def _grouped(query, key) -> list[tuple]:
    return list(query.values(key).annotate(members=Count("person", distinct=True),
                                           trained_n=Count("person", filter=Q(trained=True), distinct=True))
                .values_list(key, "members", "trained_n").order_by(key))


def table(federation: Organisation, on: datetime.date | None = None) -> dict[str, list[Row]]:
    """Rows per dimension: members and trained, for the federation's subtree. The caller has
    checked that the scope sees the federation (figures only, no names)."""
    on = on or timezone.localdate()
    base = _members(federation, on)
    out: dict[str, list[Row]] = {}
    out["region"] = [Row(name or _("Sin distrito"), m, t)
                     for name, m, t in _grouped(base, "organisation__district__department__name")]
    density = Case(When(organisation__district__area_km2__gt=0, then=Cast(F("organisation__district__population"),
                                                                           FloatField())
                        / F("organisation__district__area_km2")), default=Value(None), output_field=FloatField())
    area = base.annotate(density=density).annotate(
        area=Case(When(density__isnull=True, then=Value(0)), When(density__lt=RURAL_DENSITY, then=Value(1)),
                  default=Value(2), output_field=IntegerField()))
    area_names = {0: _("Sin dato"), 1: _("Rural"), 2: _("Urbano")}
    out["area"] = [Row(str(area_names[a]), m, t) for a, m, t in _grouped(area, "area")]
    languages = dict(Language.objects.values_list("code", "name"))
    out["language"] = [Row(languages.get(code, _("Sin dato")), m, t)
                       for code, m, t in _grouped(base, "person__languages")]
    whens = [When(person__birth_date__lte=on.replace(year=on.year - low),
                  person__birth_date__gt=on.replace(year=on.year - high - 1), then=Value(n))
             for n, (low, high) in enumerate(AGE_BANDS)]
    aged = base.annotate(band=Case(*whens, default=Value(-1), output_field=IntegerField()))
    band_names = {n: (f"{low}–{high}" if high < 200 else f"{low} +") for n, (low, high) in enumerate(AGE_BANDS)}
    band_names[-1] = _("Sin dato")
    out["age"] = [Row(str(band_names[b]), m, t) for b, m, t in _grouped(aged, "band")]
    out["level"] = [Row(str(LEVELS.get(level, level)), m, t)
                    for level, m, t in _grouped(base, "organisation__kind__level")]
    return out


def total(rows: dict[str, list[Row]]) -> Row:
    level = rows.get("level", [])
    return Row(_("Total"), sum(r.members for r in level), sum(r.trained for r in level))
