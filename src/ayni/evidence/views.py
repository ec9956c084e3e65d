"""Evidence pages: authorise, parse the selection, call the selectors, render."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ayni.accounts.scope import Can
from ayni.evidence import cache as page_cache
from ayni.evidence import charts, maps, opendata, panels, selectors, services, tables
from ayni.evidence.forms import PublicProfileForm, SelectionForm
from ayni.evidence.models import PublicProfile
from ayni.evidence.rows import delivery_rows, subunit_rows
from ayni.geo.models import Country
from ayni.kitchens import selectors as kitchen_selectors
from ayni.kitchens.forms import MonthRangeForm, month_param, recent_months
from ayni.kitchens.kept import kept_part
from ayni.kitchens.models import month_start
from ayni.lib import exports, pdf, replicas
from ayni.lib.views import form_page, to
from ayni.orgs.access import requires
from ayni.orgs.selectors import get_organisation, scope_roots


def selection_from(request) -> tuple[selectors.Selection, SelectionForm, str]:
    """The selection a request asks for, within the user's scope (404 for an organisation out of
    sight or an unknown place). Without an organisation it is the user's own top one."""
    scope = request.scope
    if scope.is_anonymous or not (scope.grants or scope.is_platform_admin):
        raise PermissionDenied(_("Su cuenta no tiene un rol asignado."))
    form = SelectionForm(request.GET or None)
    first, last = form.months()
    org_pk = form.value("org")
    if org_pk:
        org = get_organisation(scope, org_pk)
    else:
        roots = list(scope_roots(scope)[:2])
        org = roots[0] if len(roots) == 1 else None
    code = (request.GET.get("lugar") or "").strip()
    place = selectors.get_place(code) if code else None
    if code and place is None:
        raise Http404(_("Lugar no encontrado."))
    by = form.value("por", "geo" if place is not None else "org")
    return selectors.Selection(scope=scope, org=org, place=place, first=first, last=last), form, by


def _title(sel: selectors.Selection) -> str:
    parts = [sel.org.name if sel.org else _("Todo lo que puede ver")]
    if sel.place is not None:
        parts.append(sel.place.name.title())
    return " · ".join(parts)


def _month_label(month) -> str:
    return date_format(month, "M y")


def dashboard_charts(data: dict) -> dict:
    """The dashboard's charts, shared by the page and the PDF brief."""
    trend = data["trend"]
    labels = [_month_label(t["month"]) for t in trend]
    units = data["subunits"][:15]
    return {
        "rations": charts.stacked_bar_chart(
            _("Raciones servidas por mes, por tipo"), labels,
            [(_("Pagantes"), [t["served_paying"] for t in trend]),
             (_("Subsidiadas"), [t["served_subsidised"] for t in trend]),
             (_("Gratuitas (casos sociales)"), [t["served_free"] for t in trend])],
            desc=_("Columnas apiladas: raciones pagantes, subsidiadas y gratuitas de cada mes.")),
        "completeness": charts.line_chart(
            _("Partes diarios recibidos (%)"), labels,
            [(_("Partes completos"), [t["completeness_pct"] for t in trend])], unit=" %", decimals=1,
            desc=_("Porcentaje de los días que las cocinas activas debían reportar y reportaron, cada mes.")),
        "cost": charts.line_chart(
            _("Costo por ración y subsidio por ración (S/)"), labels,
            [(_("Costo"), [t["cost_per_ration"] for t in trend]),
             (_("Subsidio"), [t["subsidy_per_ration"] for t in trend])],
            decimals=2, desc=_("Lo que cuesta una ración en alimentos frente al subsidio recibido por ración.")),
        "deliveries": charts.bar_chart(
            _("Entregas del Estado con retraso, por municipalidad (%)"),
            [(d["name"], d["late_pct"]) for d in data["deliveries"][:12]], unit=" %", decimals=1,
            desc=_("Parte de las entregas programadas que llegaron tarde o aún no llegan.")),
        "subunits": charts.bar_chart(
            _("Partes completos por unidad (%)"),
            [(u.name, u.figures["completeness_pct"]) for u in units], unit=" %", decimals=1,
            desc=_("Las unidades que menos reportan, primero.")),
        "free": charts.bar_chart(
            _("Raciones gratuitas por unidad (%)"),
            sorted(((u.name, u.figures["free_pct"]) for u in units), key=lambda r: -(r[1] or 0)),
            unit=" %", decimals=1, desc=_("Parte de las raciones servidas a casos sociales, sin pago.")),
    }


def panel_charts(sel: selectors.Selection) -> list[dict]:
    """The panels registered by the domains above evidence (`evidence/panels.py`), with their bars
    drawn: shared by the dashboard and the brief."""
    out = []
    for indicator, figure in panels.panels_for(sel):
        chart = charts.bar_chart(figure.bars_title, list(figure.bars), unit=figure.unit, decimals=figure.decimals,
                                 desc=figure.bars_desc) if figure.bars else ""
        out.append({"indicator": indicator, "figure": figure, "chart": chart})
    return out


def dashboard_body(sel: selectors.Selection, by: str, qs: str) -> str:
    """The dashboard's figures, charts and tables as HTML: the same for every viewer of the same
    figures, so the page keeps it once (`evidence.cache`)."""
    data = selectors.dashboard(sel, by)
    return render_to_string("evidence/_dashboard_body.html", {
        "sel": sel, "by": by, "qs": qs, **data,
        "charts": dashboard_charts(data), "panels": panel_charts(sel),
        # The long tables, row by row in Python: the template engine's loop over them was most of
        # a page drawn afresh (evidence/rows.py). The whole body is kept, so they are not apart.
        "subunit_rows": subunit_rows(data["subunits"], sel, qs),
        "delivery_rows": delivery_rows(data["deliveries"], qs),
    })


# Where the kept heading has the link to publish the figures: hers alone (who may edit the organisation).
PUBLISH_MARK = "<!--ayni:publicar-->"


def dashboard_head(sel: selectors.Selection, form: SelectionForm, by: str, qs: str) -> str:
    """The dashboard's heading and the form to change the selection, as HTML: the same for every
    viewer of the same selection who typed the same values in the form, so it is kept with the
    body (one cache read for the whole page but its layout)."""
    return render_to_string("evidence/_dashboard_head.html", {
        "sel": sel, "form": form, "by": by, "qs": qs, "title": _title(sel), "publish_mark": mark_safe(PUBLISH_MARK),
    })


def _typed(request, form: SelectionForm):
    """What the selection's form shows of what she typed (a bound form shows it as typed)."""
    if not form.is_bound:
        return None
    return [request.GET.get(field.name) for field in form.visible_fields()]


@login_required
@replicas.heavy_read
def dashboard(request):
    """Any subtree and any place, for any range of months: the figures, the trend, the sub-units."""
    sel, form, by = selection_from(request)
    qs = sel.querystring()
    page = page_cache.kept("dashboard", sel, lambda: dashboard_head(sel, form, by, qs) + dashboard_body(sel, by, qs),
                           by, _typed(request, form))
    publish = ""
    if sel.org is not None and not sel.org.kind.is_kitchen and request.scope.holds(Can.EDIT, sel.org):
        publish = format_html(' <a class="button secondary" href="{}">{}</a>',
                              reverse("evidence:public_settings", args=[sel.org.pk]), _("Datos abiertos"))
    return render(request, "evidence/dashboard.html", {
        "sel": sel, "by": by, "qs": qs, "title": _title(sel),
        # Rendered by our templates, which escape what they show; the link is escaped above.
        "body": mark_safe(page.replace(PUBLISH_MARK, publish, 1)),  # noqa: S308
    })


@login_required
@replicas.heavy_read
def kitchens(request):
    """The list behind a figure: the selection's kitchens, one row each, within scope."""
    sel, _form, _by = selection_from(request)
    view = request.GET.get("ver", "todas")
    if view not in selectors.KITCHEN_LISTS:
        view = "todas"
    title = _title(sel)

    def draw() -> str:
        return render_to_string("evidence/_kitchens_body.html", {
            "sel": sel, "qs": sel.querystring(), "title": title, "view": view,
            "rows": selectors.kitchen_rows(sel, view), "views": selectors.KITCHEN_LISTS,
        })

    # One row per kitchen, the same for every viewer of the same figures: kept as the dashboard
    # is (evidence/cache.py), under the revision of the cells it covers.
    body = page_cache.kept("kitchens", sel, draw, view)
    return render(request, "evidence/kitchens.html", {
        "title": title, "body": mark_safe(body),  # noqa: S308 - rendered by the template above
    })


EXPORTS = ("unidades", "meses", "entregas", "cocinas", "alertas")


def export_table(sel: selectors.Selection, name: str, by: str) -> tuple[list[str], list[list]]:
    if name == "unidades":
        return tables.subunits_table(selectors.subunits(sel, by))
    if name == "meses":
        return tables.trend_table(selectors.trend(sel, sel.kitchens().count()))
    if name == "entregas":
        return tables.deliveries_table(selectors.deliveries(sel))
    if name == "cocinas":
        return tables.kitchens_table(selectors.kitchen_rows(sel, "todas", limit=5000))
    return tables.alerts_table(selectors.food_alerts(sel))


CONTENT_TYPES = {"csv": exports.CSV_CONTENT_TYPE, "xlsx": exports.XLSX_CONTENT_TYPE}


def file_response(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


@login_required
@replicas.heavy_read
def export(request, table, fmt):
    """Any dashboard table as CSV or XLSX, for the same selection. Aggregates and kitchen names
    only: no personal data leaves through here."""
    if table not in EXPORTS or fmt not in CONTENT_TYPES:
        raise Http404
    sel, _form, by = selection_from(request)
    headers, rows = export_table(sel, table, by)
    stamp = timezone.localdate().isoformat()
    content = exports.csv_bytes(headers, rows) if fmt == "csv" else exports.xlsx_bytes(table, headers, rows)
    return file_response(content, fmt, f"ayni-{table}-{stamp}")


def map_body(sel: selectors.Selection, level: str, key: str, qs: str) -> str:
    """The map page's maps, the country maps and the table of needy places as HTML: drawn from
    the places' indicators, the selection's active kitchens and the domains' layers (aggregates
    only), the same for every viewer of the same figures, so the page keeps it once
    (`evidence.cache`, as the dashboard's body)."""
    layers = panels.map_layers()  # the layers of the domains above evidence
    need, coverage = maps.map_data(level, key if key in maps.NEED else "pobreza", sel.kitchens())
    if key in layers:
        need = maps.layer_data(level, layers[key], layers[key].places(sel, maps.LEVELS[level][2]))
    return render_to_string("evidence/_map_body.html", {
        "qs": qs, "need": need, "layer": key in layers,
        "need_map": maps.choropleth(need), "coverage_map": maps.choropleth(coverage),
        "gaps": [] if key in layers else maps.need_without_coverage(need, coverage),
        # Kitchens in another country (a network of networks): that country's first level, from its pack.
        "country_maps": [(country, maps.country_map(country.code, sel.kitchens(),
                                                    title=_("Cocinas activas en %(pais)s") % {"pais": country.name}))
                         for country in Country.objects.filter(
                             code__in=sel.kitchens().exclude(country="PE").values("country")).order_by("code")],
    })


@login_required
@replicas.heavy_read
def map_page(request):
    """Need beside coverage: a need indicator and the kitchens per inhabitant, by department or
    province, for the kitchens of the selection, and the needy places with the fewest kitchens."""
    sel, _form, _by = selection_from(request)
    level = request.GET.get("nivel", "departamento")
    if level not in maps.LEVELS:
        level = "departamento"
    key = request.GET.get("indicador", "pobreza")
    layers = panels.map_layers()
    if key not in maps.NEED and key not in layers:
        key = "pobreza"
    qs = sel.querystring()
    title = _title(sel)

    def draw() -> str:
        # The heading and the choice of indicator and level are the same for every viewer of the
        # selection too: kept with the maps (one cache read for the page but its layout).
        return render_to_string("evidence/_map_head.html", {
            "sel": sel, "qs": qs, "title": title, "level": level, "indicator": key, "levels": maps.LEVELS,
            "indicators": [(k, maps.INDICATORS[k].label) for k in maps.NEED] + [(k, i.label)
                                                                               for k, i in layers.items()],
        }) + map_body(sel, level, key, qs)

    body = page_cache.kept("map", sel, draw, level, key)
    return render(request, "evidence/map.html", {
        "title": title,
        "body": mark_safe(body),  # noqa: S308 - rendered by our templates, which escape what they show
    })


def render_brief(request, sel: selectors.Selection, by: str) -> bytes:
    """The A4 brief as PDF bytes: the dashboard's figures, charts, the map, the tables, notes
    and an honest statement of how complete the data is."""
    data = selectors.dashboard(sel, by)
    need, coverage = maps.map_data("departamento", "pobreza", sel.kitchens())
    html = render(request, "evidence/brief.html", {
        "sel": sel, "title": _title(sel), "generated": timezone.localtime(), **data,
        "charts": dashboard_charts(data), "need_map": maps.choropleth(need),
        "coverage_map": maps.choropleth(coverage), "panels": panel_charts(sel),
        "panel_maps": [(i, maps.choropleth(maps.layer_data("departamento", i, i.places(sel, 2))))
                       for i in panels.map_layers().values()],
        "subunit_table": tables.subunits_table(data["subunits"]),
        "delivery_table": tables.deliveries_table(data["deliveries"]),
    }).content.decode()
    return pdf.html_to_pdf(html, base_url=request.build_absolute_uri("/"))


@login_required
@replicas.heavy_read
def brief(request):
    sel, _form, by = selection_from(request)
    response = HttpResponse(render_brief(request, sel, by), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ayni-informe-{timezone.localdate().isoformat()}.pdf"'
    return response


# --- Open data -------------------------------------------------------------------------------------

def _public_request(request, pk):
    """The published organisation, the calendar year (any range asked for is snapped to one:
    see opendata) and the level of the table by place."""
    with replicas.primary():  # published or not is decided on the primary, never by a lagging replica
        org = opendata.published(pk)
    if org is None:
        raise Http404(_("Esta organización no publica datos abiertos."))
    year = opendata.requested_year(request.GET, timezone.localdate())
    level = request.GET.get("nivel", "departamento")
    if level not in maps.LEVELS:
        level = "departamento"
    return org, year, level


@replicas.heavy_read
def public_page(request, pk):
    """A federation's open-data page: no login, aggregated figures and the map only."""
    org, year, level = _public_request(request, pk)
    data = opendata.public_figures(org, year, level)
    need, coverage = opendata.coverage_map(org, level, data)
    months = data["months"]
    labels = [_month_label(datetime.date.fromisoformat(m["month"] + "-01")) for m in months]
    rations = charts.stacked_bar_chart(
        _("Raciones servidas por mes, por tipo"), labels,
        [(_("Pagantes"), [m["served_paying"] for m in months]),
         (_("Subsidiadas"), [m["served_subsidised"] for m in months]),
         (_("Gratuitas (casos sociales)"), [m["served_free"] for m in months])],
        desc=_("Un mes en blanco saldría de menos de 3 cocinas, o permitiría calcular uno que sí."))
    latest = opendata.requested_year({}, timezone.localdate())
    return render(request, "evidence/public.html", {
        "org": org, "data": data, "level": level, "levels": maps.LEVELS, "rations": rations,
        "need_map": maps.choropleth(need), "coverage_map": maps.choropleth(coverage),
        "profile": org.public_profile, "qs": f"año={year}&nivel={level}", "year": year,
        "years": range(latest, max(opendata.FIRST_YEAR, latest - 4) - 1, -1),
    })


@replicas.heavy_read
def public_data(request, pk, fmt):
    """The same figures as the public page, as JSON or CSV (schema: docs/open-data.md)."""
    if fmt not in ("json", "csv"):
        raise Http404
    org, year, level = _public_request(request, pk)
    data = opendata.public_figures(org, year, level)
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
    else:
        response = HttpResponse(exports.csv_bytes(opendata.CSV_COLUMNS, opendata.csv_rows(data)),
                                content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="ayni-datos-abiertos-{org.pk}.csv"'
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


@requires(Can.EDIT, on="pk")
@require_http_methods(["GET", "POST"])
def public_settings(request, org):
    """The federation's board switches its open-data page on or off (an organisation that can
    be published: not a single kitchen, whose totals would be one kitchen's books)."""
    if org.kind.is_kitchen:
        raise Http404
    profile = PublicProfile.objects.filter(organisation=org).first()
    form = PublicProfileForm(request.POST or None, initial={"enabled": bool(profile and profile.enabled),
                                                            "note": profile.note if profile else ""})
    return form_page(
        request, form, action=lambda data: services.set_public_profile(scope=request.scope, organisation=org, **data),
        success=_("Guardado."), then=to("evidence:public_settings", pk=org.pk),
        template="evidence/public_settings.html", context={"org": org, "profile": profile},
    )


@requires(Can.VIEW, on="pk")
@replicas.heavy_read
def overview(request, org):
    """Any organisation's kitchens: totals for a range of months, report completeness, cost per
    ration against the subsidy, deliveries promised vs received — the totals and deliveries read
    through the evidence dashboard's selection, so both pages give the same figures. Routed as
    `kitchens:overview`; it lives here because it reads the evidence layer."""
    scope = request.scope
    form = MonthRangeForm(request.GET or None)
    first, last = form.months()
    this_month = month_start(timezone.localdate())
    shown = month_param(request.GET.get("mes", ""), this_month)
    today = timezone.localdate()
    sel = selectors.Selection(scope=scope, org=org, place=None, first=first, last=last)

    def draw() -> str:
        return render_to_string("kitchens/_overview_body.html", {
            "first": first, "last": last,
            "totals": selectors.sums(sel),
            "costs": kitchen_selectors.cost_by_kitchen(scope, org, first, last),
            "deliveries": selectors.deliveries_by_item(sel),
            "completeness": kitchen_selectors.completeness(scope, org, shown, today), "shown": shown,
            "months": recent_months(today, 12),
        })

    # The same for everyone who sees the same kitchens under `org`: kept per revision of their
    # figures (kitchens/kept.py), with the months asked for and today's date.
    body = kept_part("overview", scope, Can.VIEW, draw, org.pk, first, last, shown, today, under=org.path)
    return render(request, "kitchens/overview.html", {
        "org": org, "form": form, "body": mark_safe(body),  # noqa: S308 - rendered by the template above
    })
