"""Kitchen pages: authorise, parse, call a service or selector, render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.audit import display
from ayni.kitchens import selectors, services
from ayni.kitchens.forms import (
    CountForm,
    DailyReportForm,
    MonthRangeForm,
    MovementForm,
    ReceiptForm,
    ReturnForm,
    ScheduleForm,
    SubsidyForm,
)
from ayni.kitchens.models import (
    DailyReport,
    DeliveryReceipt,
    MonthClose,
    MovementKind,
    StockCount,
    StockMovement,
    SubsidyPayment,
    month_start,
    plain,
)
from ayni.kitchens.services import NeedsConfirmation, ReportConflict
from ayni.lib.forms import apply_validation_error
from ayni.orgs.selectors import get_organisation


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


def _month_param(value: str, default: datetime.date) -> datetime.date:
    """A month written as YYYY-MM in a query string, or the default."""
    try:
        return datetime.date.fromisoformat(f"{value}-01") if len(value) == 7 else default
    except ValueError:
        return default


def _recent_months(today: datetime.date, n: int = 6) -> list[datetime.date]:
    months, m = [], today.replace(day=1)
    for _i in range(n):
        months.append(m)
        m = (m - datetime.timedelta(days=1)).replace(day=1)
    return months


@login_required
def kitchen(request, pk):
    """The kitchen's page: today's report, the store with days of food left, the months."""
    scope = request.scope
    org = selectors.get_kitchen(scope, pk)
    today = timezone.localdate()
    months = _recent_months(today)
    closes = {c.month: c for c in MonthClose.objects.filter(kitchen=org, month__in=months)}
    context = {
        "org": org, "today": today,
        "today_report": DailyReport.objects.filter(kitchen=org, date=today).first(),
        "recent_reports": DailyReport.objects.filter(kitchen=org).order_by("-date")[:7],
        "stock": selectors.stock_of(org, today),
        "movements": StockMovement.objects.filter(kitchen=org).select_related("item", "count")[:15],
        "months": [(m, selectors.kitchen_month(org, m), closes.get(m)) for m in months],
        "can_edit": scope.allows(Can.EDIT, org),
        "low_days": selectors.LOW_STOCK_DAYS,
    }
    return render(request, "kitchens/kitchen.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def report(request, pk, day):
    """Record or correct one day's report."""
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    date = _day(day)
    existing = DailyReport.objects.filter(kitchen=org, date=date).first()
    initial = {"version": existing.version if existing else 0}
    if existing:
        initial.update({f: getattr(existing, f) for f in services.REPORT_FIELDS})
    else:
        last = DailyReport.objects.filter(kitchen=org, date__lt=date, is_closed=False).order_by("-date").first()
        if last:  # the price and the cooks rarely change from one day to the next
            initial.update(price_per_ration=last.price_per_ration, cooks=last.cooks, cooks_count=last.cooks_count)
    form = DailyReportForm(request.POST or None, initial=initial)
    locked = selectors.month_is_locked(org, date)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version, confirm = data.pop("version"), data.pop("confirm")
        try:
            services.save_daily_report(actor=request.user, kitchen=org, date=date, version=version,
                                       confirm=confirm, **data)
        except NeedsConfirmation as exc:
            form.ask_to_confirm(exc)
        except ReportConflict as exc:
            messages.error(request, exc.messages[0])
            return redirect("kitchens:report", pk=org.pk, day=date.isoformat())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Se guardó el parte del %(day)s.") % {"day": date.strftime("%d/%m/%Y")})
            return redirect("kitchens:kitchen", pk=org.pk)
    return render(request, "kitchens/report.html", {
        "org": org, "form": form, "date": date, "report": existing, "locked": locked,
        "previous": date - datetime.timedelta(days=1),
        "next": date + datetime.timedelta(days=1) if date < timezone.localdate() else None,
    })


@login_required
def report_history(request, pk, day):
    org = selectors.get_kitchen(request.scope, pk, Can.VIEW_PERSONAL)
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


@login_required
@require_http_methods(["GET", "POST"])
def movement(request, pk):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    # Food used in the kitchen is the everyday line; the state's deliveries have their own form.
    form = MovementForm(request.POST or None, initial={"date": timezone.localdate(),
                                                       "kind": request.GET.get("tipo") or MovementKind.USED})
    if request.method == "POST" and form.is_valid():
        line = _attempt(form, lambda data: services.record_movement(actor=request.user, kitchen=org, **data))
        if line is not None:
            messages.success(request, _("Se registró: %(line)s.") % {"line": line})
            if line.over_balance:
                messages.warning(request, _("Se usó más de lo que figura en el kárdex. Quedó marcado para revisarlo "
                                            "en el próximo conteo físico."))
            return redirect("kitchens:kitchen", pk=org.pk)
    return render(request, "kitchens/form.html", {"org": org, "form": form,
                                                  "title": _("Entrada o salida de alimentos")})


def _attempt(form, action):
    """Call a service with the form's data; its refusal goes back onto the form, nothing saved:
    `NeedsConfirmation` as the box to confirm, any other error beside its field. None if refused."""
    try:
        return action(dict(form.cleaned_data))
    except NeedsConfirmation as exc:
        form.ask_to_confirm(exc)
    except ValidationError as exc:
        apply_validation_error(form, exc)
    return None


def _take_back(request, org, undo, *, what: str, effect: str, done: str, to: str):
    """The "anular" buttons. A tap opens a page that says what will be taken back and asks
    (GET); only its "Sí, anular" acts (POST). One tap used to cancel a delivery's receipt at
    once, from a small button stacked right under another."""
    if request.method == "GET":
        return render(request, "kitchens/take_back.html", {"org": org, "what": what, "effect": effect,
                                                           "back": reverse(to, kwargs={"pk": org.pk})})
    try:
        undo()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(to, pk=org.pk)


@login_required
@require_http_methods(["GET", "POST"])
def movement_delete(request, pk, movement):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    line = get_object_or_404(StockMovement.objects.select_related("item"), pk=movement, kitchen=org)
    return _take_back(request, org, lambda: services.delete_movement(actor=request.user, movement=line),
                      what=_("%(day)s · %(line)s") % {"day": line.date.strftime("%d/%m/%Y"), "line": line},
                      effect=_("El saldo del almacén vuelve a como estaba sin este movimiento."),
                      done=_("Se anuló el movimiento."), to="kitchens:kitchen")


@login_required
@require_http_methods(["GET", "POST"])
def count_delete(request, pk, count):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    line = get_object_or_404(StockCount.objects.select_related("item"), pk=count, kitchen=org)
    return _take_back(request, org, lambda: services.delete_count(actor=request.user, count=line),
                      what=_("Conteo físico del %(day)s: %(item)s, se contó %(counted)s %(unit)s") % {
                          "day": line.date.strftime("%d/%m/%Y"), "item": line.item.name,
                          "counted": plain(line.counted), "unit": line.item.unit},
                      effect=_("El saldo vuelve a lo que dice el kárdex."),
                      done=_("Se anuló el conteo; el saldo vuelve a lo que dice el kárdex."), to="kitchens:kitchen")


@login_required
@require_http_methods(["GET", "POST"])
def receipt_delete(request, pk, receipt):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    line = get_object_or_404(DeliveryReceipt.objects.select_related("schedule__item"), pk=receipt,
                             schedule__kitchen=org)
    item = line.schedule.item
    return _take_back(request, org, lambda: services.delete_receipt(actor=request.user, receipt=line),
                      what=_("Recepción del %(day)s: %(q)s %(unit)s de %(item)s (entrega del %(due)s)") % {
                          "day": line.received_on.strftime("%d/%m/%Y"), "q": plain(line.quantity), "unit": item.unit,
                          "item": item.name, "due": line.schedule.due_on.strftime("%d/%m/%Y")},
                      effect=_("Sus alimentos salen del kárdex y la entrega vuelve a figurar como no recibida."),
                      done=_("Se anuló la recepción; sus alimentos salieron del kárdex."), to="kitchens:deliveries")


@login_required
@require_http_methods(["GET", "POST"])
def subsidy_delete(request, pk, payment):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    line = get_object_or_404(SubsidyPayment, pk=payment, kitchen=org)
    return _take_back(request, org, lambda: services.delete_subsidy(actor=request.user, payment=line),
                      what=_("Subsidio de %(month)s: S/ %(amount)s") % {
                          "month": services.month_label(line.month), "amount": line.amount},
                      effect=_("El subsidio deja de contar en el mes."),
                      done=_("Se anuló el subsidio."), to="kitchens:deliveries")


@login_required
@require_http_methods(["GET", "POST"])
def count(request, pk):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    form = CountForm(request.POST or None, initial={"date": timezone.localdate(), "item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.record_count(actor=request.user, kitchen=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Conteo guardado: el kárdex decía %(book)s, se contó %(counted)s "
                                        "(diferencia %(diff)s).") % {
                "book": plain(result.book_balance), "counted": plain(result.counted),
                "diff": plain(result.difference)})
            return redirect("kitchens:kitchen", pk=org.pk)
    return render(request, "kitchens/form.html", {"org": org, "form": form, "title": _("Conteo físico")})


@login_required
def month(request, pk, year, month):
    scope = request.scope
    org = selectors.get_kitchen(scope, pk)
    first = selectors.parse_month(year, month)
    if first > timezone.localdate():
        raise Http404
    close = selectors.month_close(org, first)
    return render(request, "kitchens/month.html", {
        "org": org, "month": first, "totals": selectors.kitchen_month(org, first), "close": close,
        "days": selectors.month_days(org, first) if scope.allows(Can.VIEW, org) else [],
        "can_edit": scope.allows(Can.EDIT, org), "can_validate": scope.allows(Can.VALIDATE, org),
        "return_form": ReturnForm(),
    })


@login_required
@require_POST
def month_close(request, pk, year, month):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    first = selectors.parse_month(year, month)
    try:
        services.close_month(actor=request.user, kitchen=org, month=first)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Se cerró el mes %(month)s; la coordinación lo revisará.")
                         % {"month": services.month_label(first)})
    return redirect("kitchens:month", pk=org.pk, year=first.year, month=first.month)


@login_required
@require_POST
def month_review(request, pk, year, month):
    org = selectors.get_kitchen(request.scope, pk, Can.VALIDATE)
    first = selectors.parse_month(year, month)
    try:
        if request.POST.get("action") == "return":
            services.return_month(actor=request.user, kitchen=org, month=first,
                                  comment=request.POST.get("comment", ""))
            done = _("Se devolvió el mes %(month)s a la cocina.")
        else:
            services.validate_month(actor=request.user, kitchen=org, month=first)
            done = _("Se validó el mes %(month)s.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done % {"month": services.month_label(first)})
    return redirect("kitchens:month", pk=org.pk, year=first.year, month=first.month)


@login_required
def deliveries(request, pk):
    scope = request.scope
    org = selectors.get_kitchen(scope, pk)
    rows = selectors.kitchen_deliveries(org)
    return render(request, "kitchens/deliveries.html", {
        "org": org, "rows": rows, "can_edit": scope.allows(Can.EDIT, org),
        "receipts": [(rc, row["schedule"]) for row in rows for rc in row["receipts"]],
        "subsidies": org.subsidy_payments.all()[:12],
    })


@login_required
@require_http_methods(["GET", "POST"])
def schedule_create(request, pk):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    form = ScheduleForm(request.POST or None, initial={"municipality": org.district_id, "programme": "PCA"})
    if org.district_id:
        form.fields["municipality"].near_department = org.district.department_id
    if request.method == "POST" and form.is_valid():
        try:
            services.create_schedule(actor=request.user, kitchen=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Se registró la entrega programada."))
            return redirect("kitchens:deliveries", pk=org.pk)
    return render(request, "kitchens/form.html", {"org": org, "form": form, "title": _("Entrega programada")})


@login_required
@require_http_methods(["GET", "POST"])
def receipt(request, pk):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    schedules = selectors.open_schedules(org)
    form = ReceiptForm(request.POST or None, schedules=schedules,
                       initial={"received_on": timezone.localdate(), "schedule": request.GET.get("entrega")})
    if request.method == "POST" and form.is_valid():
        if _attempt(form, lambda data: services.record_receipt(actor=request.user, **data)) is not None:
            messages.success(request, _("Se registró la entrega recibida; los alimentos entraron al almacén."))
            return redirect("kitchens:deliveries", pk=org.pk)
    return render(request, "kitchens/form.html", {
        "org": org, "form": form, "title": _("Entrega recibida"),
        "empty": _("No hay entregas programadas pendientes para esta cocina.") if not schedules.exists() else "",
    })


@login_required
@require_http_methods(["GET", "POST"])
def subsidy(request, pk):
    org = selectors.get_kitchen(request.scope, pk, Can.EDIT)
    today = timezone.localdate()
    form = SubsidyForm(request.POST or None, initial={"month": today, "received_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_subsidy(actor=request.user, kitchen=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Se registró el subsidio recibido."))
            return redirect("kitchens:deliveries", pk=org.pk)
    return render(request, "kitchens/form.html", {"org": org, "form": form, "title": _("Subsidio recibido")})


@login_required
def overview(request, pk):
    """Any organisation's kitchens: totals for a range of months, report completeness, cost per
    ration against the subsidy, deliveries promised vs received — the totals and deliveries read
    through the evidence dashboard's selection, so both pages give the same figures."""
    from ayni.evidence import selectors as evidence

    scope = request.scope
    org = get_organisation(scope, pk)
    form = MonthRangeForm(request.GET or None)
    first, last = form.months()
    this_month = month_start(timezone.localdate())
    shown = _month_param(request.GET.get("mes", ""), this_month)
    sel = evidence.Selection(scope=scope, org=org, place=None, first=first, last=last)
    return render(request, "kitchens/overview.html", {
        "org": org, "form": form, "first": first, "last": last,
        "totals": evidence.sums(sel),
        "costs": selectors.cost_by_kitchen(scope, org, first, last),
        "deliveries": evidence.deliveries_by_item(sel),
        "completeness": selectors.completeness(scope, org, shown), "shown": shown,
        "months": _recent_months(timezone.localdate(), 12),
        "can_validate": scope.allows(Can.VALIDATE, org),
    })
