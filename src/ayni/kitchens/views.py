"""Kitchen pages: authorise, parse, call a service or selector, render."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.audit import display
from ayni.kitchens import selectors, services
from ayni.kitchens.access import requires_kitchen
from ayni.kitchens.forms import (
    CountForm,
    DailyReportForm,
    MovementForm,
    ReceiptForm,
    ReturnForm,
    ScheduleForm,
    SubsidyForm,
    recent_months,
)
from ayni.kitchens.kept import PART_TTL, kept_part
from ayni.kitchens.models import (
    DailyReport,
    DeliveryReceipt,
    MonthClose,
    MovementKind,
    StockCount,
    StockMovement,
    SubsidyPayment,
    plain,
)
from ayni.kitchens.services import ReportConflict
from ayni.lib.drawn import digest, kept_html
from ayni.lib.views import form_page, to


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


@requires_kitchen(Can.VIEW)
def kitchen(request, org):
    """The kitchen's page: today's report, the store with days of food left, the months.

    The store, the last movements and the months are the same for everyone who may see the
    kitchen (and may edit it, or not) on the same day: kept per revision of its roll-up cell
    (kitchens/kept.py), which every report, stock movement, count, receipt and month close
    moves in its own transaction. Today's report is read afresh (a correction that changes no
    total, such as the reason for not cooking, does not move the revision)."""
    today = timezone.localdate()
    can_edit = request.scope.holds(Can.EDIT, org)
    # Reports are never of a future day: today's, if saved, is the first of the last seven.
    recent = list(DailyReport.objects.filter(kitchen=org).order_by("-date")
                  .only("date", "is_closed", "closed_reason", "rations_prepared", "served_paying",
                        "served_subsidised", "served_free")[:7])

    def draw() -> str:
        months = recent_months(today)
        closes = {c.month: c for c in MonthClose.objects.filter(kitchen=org, month__in=months)}
        totals = selectors.kitchen_months(org, months)
        return render_to_string("kitchens/_kitchen_body.html", {
            "org": org, "can_edit": can_edit, "low_days": selectors.LOW_STOCK_DAYS,
            "stock": selectors.stock_of(org, today),
            "movements": StockMovement.objects.filter(kitchen=org).select_related("item", "count")[:15],
            "months": [(m, totals[m], closes.get(m)) for m in months],
        })

    body = kept_part("kitchen", request.scope, Can.VIEW, draw, org.pk, can_edit, today, under=org.path)
    context = {
        "org": org, "today": today, "can_edit": can_edit,
        "today_report": recent[0] if recent and recent[0].date == today else None,
        "recent_reports": recent,
        "body": mark_safe(body),  # noqa: S308 - rendered by the template above
    }
    return render(request, "kitchens/kitchen.html", context)


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def report(request, org, day):
    """Record or correct one day's report."""
    date = _day(day)
    existing = DailyReport.objects.filter(kitchen=org, date=date).first()
    initial = {"version": existing.version if existing else 0}
    if existing:
        initial.update({f: getattr(existing, f) for f in services.REPORT_FIELDS})
    else:
        last = DailyReport.objects.filter(kitchen=org, date__lt=date, is_closed=False).order_by("-date").first()
        if last:  # the price and the cooks rarely change from one day to the next
            initial.update(price_per_ration=last.price_per_ration, cooks=last.cooks, cooks_count=last.cooks_count)

    def save(data):
        data = dict(data)
        version, confirm = data.pop("version"), data.pop("confirm")
        return services.save_daily_report(scope=request.scope, kitchen=org, date=date, version=version,
                                          confirm=confirm, **data)

    def conflict(exc):
        # Someone else saved the day meanwhile: the page again, showing her numbers.
        if not isinstance(exc, ReportConflict):
            return None
        messages.error(request, exc.messages[0])
        return redirect("kitchens:report", pk=org.pk, day=date.isoformat())

    form = DailyReportForm(request.POST or None, initial=initial)
    return form_page(
        request, form, action=save, refused=conflict,
        success=_("Se guardó el parte del %(day)s.") % {"day": date.strftime("%d/%m/%Y")},
        then=to("kitchens:kitchen", pk=org.pk), template="kitchens/report.html", context={
            "org": org, "date": date, "report": existing, "locked": selectors.month_is_locked(org, date),
            "fields": None if form.is_bound else _blank_report_fields(form, org, initial),
            "previous": date - datetime.timedelta(days=1),
            "next": date + datetime.timedelta(days=1) if date < timezone.localdate() else None,
        })


def _blank_report_fields(form: DailyReportForm, org, initial: dict) -> str:
    """The fields of a report form not yet sent, as HTML: the same for every opening of the
    same day's report with the same figures (the saved report's, or the last day's price and
    cooks), in the same language: rendered once (a dozen widgets, most of the page's CPU) and
    kept under those values; the kitchen's own (its cooks' names), never another's."""
    key = "kitchens:report-form:" + digest(get_language(), org.pk, initial)
    return mark_safe(kept_html(key, lambda: render_to_string("includes/form.html", {"form": form}), PART_TTL))  # noqa: S308


@requires_kitchen(Can.VIEW_PERSONAL)
def report_history(request, org, day):
    date = _day(day)
    existing = get_object_or_404(DailyReport, kitchen=org, date=date)
    revisions = list(existing.revisions.select_related("saved_by"))  # newest first
    versions = []
    # In the form's order (PostgreSQL's jsonb keeps no order of its own).
    fields = [{k: rev.data[k] for k in services.REPORT_FIELDS if k in rev.data} for rev in revisions]
    for i, rev in enumerate(revisions):
        previous = fields[i + 1] if i + 1 < len(revisions) else None
        rows = display.changes(DailyReport, previous or {}, fields[i], only_changed=False)
        # The first version has nothing to differ from; later ones mark what this save changed.
        versions.append((rev, [(label, new, changed and previous is not None) for label, _old, new, changed in rows]))
    return render(request, "kitchens/history.html", {"org": org, "date": date, "versions": versions})


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def movement(request, org):
    # Food used in the kitchen is the everyday line; the state's deliveries have their own form.
    form = MovementForm(request.POST or None, initial={"date": timezone.localdate(),
                                                       "kind": request.GET.get("tipo") or MovementKind.USED})

    def then(line):
        if line.over_balance:
            messages.warning(request, _("Se usó más de lo que figura en el kárdex. Quedó marcado para revisarlo "
                                        "en el próximo conteo físico."))
        return redirect("kitchens:kitchen", pk=org.pk)

    return form_page(
        request, form, action=lambda data: services.record_movement(scope=request.scope, kitchen=org, **data),
        success=lambda line: _("Se registró: %(line)s.") % {"line": line}, then=then,
        template="kitchens/form.html", context={"org": org, "title": _("Entrada o salida de alimentos")})


@dataclass(frozen=True)
class TakeBack:
    """One kind of line the "anular" buttons take back: how to find it in the kitchen, the
    service that undoes it, what the question page says, and where she goes after."""

    find: Callable[[object, int], object]
    undo: Callable[..., None]
    what: Callable[[object], str]
    effect: str
    done: str
    back: str


TAKE_BACKS = {
    "movement": TakeBack(
        find=lambda org, pk: get_object_or_404(StockMovement.objects.select_related("item"), pk=pk, kitchen=org),
        undo=lambda scope, line: services.delete_movement(scope=scope, movement=line),
        what=lambda line: _("%(day)s · %(line)s") % {"day": line.date.strftime("%d/%m/%Y"), "line": line},
        effect=_lazy("El saldo del almacén vuelve a como estaba sin este movimiento."),
        done=_lazy("Se anuló el movimiento."), back="kitchens:kitchen"),
    "count": TakeBack(
        find=lambda org, pk: get_object_or_404(StockCount.objects.select_related("item"), pk=pk, kitchen=org),
        undo=lambda scope, line: services.delete_count(scope=scope, count=line),
        what=lambda line: _("Conteo físico del %(day)s: %(item)s, se contó %(counted)s %(unit)s") % {
            "day": line.date.strftime("%d/%m/%Y"), "item": line.item.name, "counted": plain(line.counted),
            "unit": line.item.unit},
        effect=_lazy("El saldo vuelve a lo que dice el kárdex."),
        done=_lazy("Se anuló el conteo; el saldo vuelve a lo que dice el kárdex."), back="kitchens:kitchen"),
    "receipt": TakeBack(
        find=lambda org, pk: get_object_or_404(DeliveryReceipt.objects.select_related("schedule__item"), pk=pk,
                                               schedule__kitchen=org),
        undo=lambda scope, line: services.delete_receipt(scope=scope, receipt=line),
        what=lambda line: _("Recepción del %(day)s: %(q)s %(unit)s de %(item)s (entrega del %(due)s)") % {
            "day": line.received_on.strftime("%d/%m/%Y"), "q": plain(line.quantity),
            "unit": line.schedule.item.unit, "item": line.schedule.item.name,
            "due": line.schedule.due_on.strftime("%d/%m/%Y")},
        effect=_lazy("Sus alimentos salen del kárdex y la entrega vuelve a figurar como no recibida."),
        done=_lazy("Se anuló la recepción; sus alimentos salieron del kárdex."), back="kitchens:deliveries"),
    "subsidy": TakeBack(
        find=lambda org, pk: get_object_or_404(SubsidyPayment, pk=pk, kitchen=org),
        undo=lambda scope, line: services.delete_subsidy(scope=scope, payment=line),
        what=lambda line: _("Subsidio de %(month)s: S/ %(amount)s") % {
            "month": services.month_label(line.month), "amount": line.amount},
        effect=_lazy("El subsidio deja de contar en el mes."),
        done=_lazy("Se anuló el subsidio."), back="kitchens:deliveries"),
}


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def take_back(request, org, kind: str, **line):
    """The "anular" buttons, for every kind of line (`TAKE_BACKS`; the URL names the line's id
    after its kind: movement, count, receipt, payment). A tap opens a page that says what will be
    taken back and asks (GET); only its "Sí, anular" acts (POST). One tap used to cancel a
    delivery's receipt at once, from a small button stacked right under another."""
    spec = TAKE_BACKS[kind]
    (line_id,) = line.values()
    found = spec.find(org, line_id)
    if request.method == "GET":
        return render(request, "kitchens/take_back.html", {"org": org, "what": spec.what(found), "effect": spec.effect,
                                                           "back": reverse(spec.back, kwargs={"pk": org.pk})})
    try:
        spec.undo(request.scope, found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, spec.done)
    return redirect(spec.back, pk=org.pk)


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def count(request, org):
    form = CountForm(request.POST or None, initial={"date": timezone.localdate(), "item": request.GET.get("item")})
    return form_page(
        request, form,
        action=lambda data: services.record_count(scope=request.scope, kitchen=org, **data),
        success=lambda result: _("Conteo guardado: el kárdex decía %(book)s, se contó %(counted)s "
                                 "(diferencia %(diff)s).") % {
            "book": plain(result.book_balance), "counted": plain(result.counted), "diff": plain(result.difference)},
        then=to("kitchens:kitchen", pk=org.pk),
        template="kitchens/form.html", context={"org": org, "title": _("Conteo físico")})


@requires_kitchen(Can.VIEW)
def month(request, org, year, month):
    scope = request.scope
    first = selectors.parse_month(year, month)
    if first > timezone.localdate():
        raise Http404
    close = selectors.month_close(org, first)
    return render(request, "kitchens/month.html", {
        "org": org, "month": first, "totals": selectors.kitchen_month(org, first), "close": close,
        "days": selectors.month_days(org, first) if scope.holds(Can.VIEW, org) else [],
        "can_edit": scope.holds(Can.EDIT, org), "can_validate": scope.holds(Can.VALIDATE, org),
        "return_form": ReturnForm(),
    })


@requires_kitchen(Can.EDIT)
@require_POST
def month_close(request, org, year, month):
    first = selectors.parse_month(year, month)
    try:
        services.close_month(scope=request.scope, kitchen=org, month=first)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Se cerró el mes %(month)s; la coordinación lo revisará.")
                         % {"month": services.month_label(first)})
    return redirect("kitchens:month", pk=org.pk, year=first.year, month=first.month)


@requires_kitchen(Can.VALIDATE)
@require_POST
def month_review(request, org, year, month):
    first = selectors.parse_month(year, month)
    try:
        if request.POST.get("action") == "return":
            services.return_month(scope=request.scope, kitchen=org, month=first,
                                  comment=request.POST.get("comment", ""))
            done = _("Se devolvió el mes %(month)s a la cocina.")
        else:
            services.validate_month(scope=request.scope, kitchen=org, month=first)
            done = _("Se validó el mes %(month)s.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done % {"month": services.month_label(first)})
    return redirect("kitchens:month", pk=org.pk, year=first.year, month=first.month)


@requires_kitchen(Can.VIEW)
def deliveries(request, org):
    rows = selectors.kitchen_deliveries(org)
    return render(request, "kitchens/deliveries.html", {
        "org": org, "rows": rows, "can_edit": request.scope.holds(Can.EDIT, org),
        "receipts": [(rc, row["schedule"]) for row in rows for rc in row["receipts"]],
        "subsidies": org.subsidy_payments.all()[:12],
    })


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def schedule_create(request, org):
    form = ScheduleForm(request.POST or None, initial={"municipality": org.district_id, "programme": "PCA"})
    if org.district_id:
        form.fields["municipality"].near_department = org.district.department_id
    return form_page(
        request, form, action=lambda data: services.create_schedule(scope=request.scope, kitchen=org, **data),
        success=_("Se registró la entrega programada."), then=to("kitchens:deliveries", pk=org.pk),
        template="kitchens/form.html", context={"org": org, "title": _("Entrega programada")})


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def receipt(request, org):
    schedules = selectors.open_schedules(org)
    form = ReceiptForm(request.POST or None, schedules=schedules,
                       initial={"received_on": timezone.localdate(), "schedule": request.GET.get("entrega")})
    return form_page(
        request, form, action=lambda data: services.record_receipt(scope=request.scope, **data),
        success=_("Se registró la entrega recibida; los alimentos entraron al almacén."),
        then=to("kitchens:deliveries", pk=org.pk), template="kitchens/form.html", context={
            "org": org, "title": _("Entrega recibida"),
            "empty": _("No hay entregas programadas pendientes para esta cocina.") if not schedules.exists() else "",
        })


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def subsidy(request, org):
    today = timezone.localdate()
    return form_page(
        request, SubsidyForm(request.POST or None, initial={"month": today, "received_on": today}),
        action=lambda data: services.record_subsidy(scope=request.scope, kitchen=org, **data),
        success=_("Se registró el subsidio recibido."), then=to("kitchens:deliveries", pk=org.pk),
        template="kitchens/form.html", context={"org": org, "title": _("Subsidio recibido")})
