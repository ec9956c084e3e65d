"""The dashboard's tables as plain rows, for the CSV and XLSX exports and the PDF brief.

One definition per table, so that the page, the brief and the files never disagree.
"""

from django.utils.translation import gettext as _


def _n(value):
    """Numbers stay numbers in a spreadsheet; None becomes an empty cell."""
    if value is None:
        return ""
    return float(value) if hasattr(value, "quantize") else value


def subunits_table(units) -> tuple[list[str], list[list]]:
    headers = [_("Unidad"), _("Cocinas activas"), _("Partes diarios"), _("Partes completos (%)"),
               _("Raciones servidas"), _("Raciones gratuitas (%)"), _("Costo por ración (S/)"),
               _("Subsidio por ración (S/)"), _("Brecha por ración (S/)")]
    rows = [[u.name, u.active_kitchens, u.figures["days_reported"], _n(u.figures["completeness_pct"]),
             u.figures["rations_served"], _n(u.figures["free_pct"]), _n(u.figures["cost_per_ration"]),
             _n(u.figures["subsidy_per_ration"]), _n(u.figures["gap_per_ration"])] for u in units]
    return headers, rows


def trend_table(trend) -> tuple[list[str], list[list]]:
    headers = [_("Mes"), _("Cocinas que reportaron"), _("Partes diarios"), _("Partes completos (%)"),
               _("Raciones pagantes"), _("Raciones subsidiadas"), _("Raciones gratuitas"), _("Raciones servidas"),
               _("Costo por ración (S/)"), _("Subsidio por ración (S/)"), _("Brecha por ración (S/)")]
    rows = [[t["month"].strftime("%Y-%m"), t["kitchens_reporting"], t["days_reported"], _n(t["completeness_pct"]),
             t["served_paying"], t["served_subsidised"], t["served_free"], t["rations_served"],
             _n(t["cost_per_ration"]), _n(t["subsidy_per_ration"]), _n(t["gap_per_ration"])] for t in trend]
    return headers, rows


def deliveries_table(deliveries) -> tuple[list[str], list[list]]:
    headers = [_("Municipalidad"), _("UBIGEO"), _("Entregas programadas"), _("Con retraso"), _("Incompletas"),
               _("Sin llegar"), _("Retraso promedio (días)")]
    rows = [[d["name"], d["code"], d["deliveries"], d["late"], d["short"], d["pending"], d["average_days_late"]]
            for d in deliveries]
    return headers, rows


def kitchens_table(rows) -> tuple[list[str], list[list]]:
    headers = [_("Cocina"), _("UBIGEO"), _("Partes diarios"), _("Partes completos (%)"), _("Personas en el padrón"),
               _("Raciones servidas"), _("Raciones gratuitas (%)"), _("Costo por ración (S/)"),
               _("Subsidio por ración (S/)"), _("Brecha por ración (S/)")]
    out = [[r["name"], r["district_id"] or "", r["days_reported"], _n(r["completeness_pct"]), r.get("people", 0),
            r["rations_served"], _n(r["free_pct"]), _n(r["cost_per_ration"]), _n(r["subsidy_per_ration"]),
            _n(r["gap_per_ration"])] for r in rows]
    return headers, out


def alerts_table(alerts) -> tuple[list[str], list[list]]:
    headers = [_("Cocina"), _("Días de alimentos"), _("Alimentos por acabarse")]
    return headers, [[a["name"], _n(a["days_left"]), ", ".join(a["items"])] for a in alerts]
