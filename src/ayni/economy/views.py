"""Pages of the economy domain: savings groups, the treasurer's meeting sheet (offline through
capture's outbox), the share-out sheet."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.capture import inbound
from ayni.capture.models import Channel, Inbound
from ayni.economy import gardens, indicators, producers, selectors, services, ventures
from ayni.economy import meeting as sheets
from ayni.economy.forms import (
    CycleForm,
    GardenForm,
    GroupForm,
    HarvestForm,
    MemberForm,
    ProducerForm,
    PurchaseCorrectionForm,
    PurchaseForm,
    ReverseForm,
    ShareOutForm,
    VentureForm,
    VentureMemberForm,
    VentureMonthForm,
)
from ayni.lib import exports
from ayni.lib.forms import apply_validation_error
from ayni.lib.views import button, form_page, to
from ayni.orgs.access import requires
from ayni.orgs.models import Organisation
from ayni.people.models import Person


@requires(Can.VIEW)
def index(request):
    return render(request, "economy/index.html", {"groups": selectors.visible_groups(request.scope)
                                                  .order_by("organisation__path", "name")[:200]})


@requires(Can.VIEW, on="pk")
def groups(request, org):
    return render(request, "economy/groups.html", {
        "org": org, "groups": selectors.groups_of(request.scope, org), "can_edit": request.scope.holds(Can.EDIT, org)})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def group_create(request, org):
    form = GroupForm(request.POST or None)
    return form_page(
        request, form,
        action=lambda data: services.create_group(scope=request.scope, organisation=org, name=data["name"],
                                                  starts_on=data["starts_on"], ends_on=data["ends_on"], **form.rules()),
        success=_("Banquito creado con su primer ciclo."),
        then=lambda g: redirect("economy:group", pk=org.pk, group=g.pk),
        template="economy/form.html", context={"org": org, "title": _("Nuevo banquito")})


@requires(Can.VIEW, on="pk")
def group(request, org, group):
    group = selectors.get_group(request.scope, org, group)
    cycle = selectors.current_cycle(group)
    today = timezone.localdate()
    personal = request.scope.holds(Can.VIEW_PERSONAL, org)
    return render(request, "economy/group.html", {
        "org": org, "group": group, "cycle": cycle, "can_edit": request.scope.holds(Can.EDIT, org),
        "personal": personal, "figures": selectors.group_figures(cycle, today) if cycle else None,
        "members": selectors.member_table(cycle, today) if cycle and personal else None,
        "entries": selectors.recent_entries(cycle) if cycle and personal else None,
        "meetings": cycle.meetings.order_by("-on")[:12] if cycle else [],
        "member_count": group.members.filter(left_on__isnull=True).count(),
    })


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def member_add(request, org, group):
    group = selectors.get_group(request.scope, org, group)
    people = (Person.objects.filter(memberships__organisation=org, memberships__until__isnull=True)
              .exclude(savings_memberships__group=group).order_by("paternal_surname", "given_names").distinct())
    form = MemberForm(request.POST or None, people=people, initial={"joined_on": timezone.localdate()})
    return form_page(
        request, form,
        action=lambda d: services.add_member(scope=request.scope, group=group, person=d["person"],
                                             joined_on=d["joined_on"]),
        success=_("Socia anotada en el banquito."), then=to("economy:group", pk=org.pk, group=group.pk),
        template="economy/form.html", context={"org": org, "group": group, "title": _("Anotar a una socia")})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def cycle_open(request, org, group):
    group = selectors.get_group(request.scope, org, group)
    last = selectors.current_cycle(group)
    initial = {f: getattr(last, f) for f in ("shares_min", "shares_max", "interest_rate", "interest_method",
                                             "loan_multiple", "max_term_months", "lend_in_arrears")} if last else {}
    if last:
        initial.update({f: last.__dict__[f] / 100 for f in ("share_value", "late_fine", "absence_fine", "social_fund")})
    form = CycleForm(request.POST or None, initial=initial)
    return form_page(
        request, form,
        action=lambda d: services.open_cycle(scope=request.scope, group=group, starts_on=d["starts_on"],
                                             ends_on=d["ends_on"], **form.rules()),
        success=_("Nuevo ciclo abierto."), then=to("economy:group", pk=org.pk, group=group.pk),
        template="economy/form.html", context={"org": org, "group": group, "title": _("Abrir un nuevo ciclo")})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def meeting(request, org, group):
    """The treasurer's sheet, in the order the meeting runs. Without signal the outbox keeps it
    on the phone and sends it to `sync` when the signal returns."""
    group = selectors.get_group(request.scope, org, group)
    cycle = selectors.current_cycle(group)
    errors = {}
    if request.method == "POST":
        try:
            result = sheets.record_sheet(scope=request.scope, group=group, data=request.POST.dict())
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            difference = result["box_difference"]
            messages.success(request, _("Reunión guardada: %(n)s movimientos, %(p)s presentes.")
                             % {"n": result["entries"], "p": result["present"]}
                             + (" " + _("La caja no cuadra por %(d)s: quedó anotado.")
                                % {"d": services.soles(difference)} if difference else ""))
            return redirect("economy:group", pk=org.pk, group=group.pk)
    today = timezone.localdate()
    rows = selectors.member_table(cycle, today) if cycle else []
    for r in rows:  # what she typed comes back after a refusal: nothing to type twice
        r["posted"] = {f: request.POST.get(f"{f}_{r['member'].pk}", "") for f in sheets.MEMBER_FIELDS}
    return render(request, "economy/meeting.html", {
        "org": org, "group": group, "cycle": cycle, "today": today, "members": rows,
        "errors": errors, "data": request.POST if request.method == "POST" else {},
        "all_errors": [m for msgs in errors.values() for m in msgs],
    }, status=422 if errors else 200)


@require_POST
@requires(Can.EDIT, on="pk")
def sync(request, org, group):
    """The outbox's batch for a group's meeting sheets: each stored raw by capture, then applied
    once; the same client id sent again gives the first result."""
    group = selectors.get_group(request.scope, org, group)
    try:
        body = json.loads(request.body or b"{}")
        items = [(Inbound.Kind.SAVINGS_MEETING, str(i["client_id"])[:64], {**dict(i["data"]), "group": group.pk})
                 for i in body["items"] if i.get("type") == "meeting"]
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest(_("El envío no tiene la forma esperada."))
    if not items or len(items) > inbound.MAX_BATCH:
        return HttpResponseBadRequest(_("El lote está vacío o es demasiado grande."))
    results = inbound.submit_batch(channel=Channel.OUTBOX, scope=request.scope, kitchen=org, items=items)
    return JsonResponse({"kitchen": group.pk, "results": results})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def reverse_entry(request, org, group, entry):
    group = selectors.get_group(request.scope, org, group)
    entry = selectors.get_entry(request.scope, group, entry)
    return form_page(
        request, ReverseForm(request.POST or None),
        action=lambda d: services.reverse(scope=request.scope, entry=entry, reason=d["reason"]),
        success=_("Movimiento anulado con un movimiento opuesto."), then=to("economy:group", pk=org.pk, group=group.pk),
        template="economy/form.html",
        context={"org": org, "group": group, "title": _("Anular un movimiento"), "entry": entry})


@require_http_methods(["GET", "POST"])
@requires(Can.VIEW, on="pk")
def share_out(request, org, group):
    """The share-out sheet: before it is done, the computation to read at the meeting; after, the
    sheet as done, with its recomputation from the ledger beside it. Printable."""
    group = selectors.get_group(request.scope, org, group)
    cycle = selectors.current_cycle(group)
    can_edit = request.scope.holds(Can.EDIT, org)
    done = getattr(cycle, "share_out", None) if cycle else None
    form = ShareOutForm(request.POST or None, initial={"on": timezone.localdate()})
    on = done.on if done else timezone.localdate()
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                services.share_out(scope=request.scope, cycle=cycle, on=form.cleaned_data["on"])
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Reparto hecho; el ciclo quedó cerrado."))
                return redirect("economy:share_out", pk=org.pk, group=group.pk)
        on = form.cleaned_data.get("on", on) if hasattr(form, "cleaned_data") else on
    plan = error = None
    if cycle is not None:
        try:
            plan = services.plan_share_out(cycle, on)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    personal = request.scope.holds(Can.VIEW_PERSONAL, org)
    names = {m.pk: m.person.full_name for m in group.members.select_related("person")} if personal else {}
    lines = [{"line": x, "name": names.get(x.member, _("Socia %(n)s") % {"n": i})}
             for i, x in enumerate(plan.lines if plan else [], 1)]
    stored = list(done.lines.order_by("member_id")) if done else []
    matches = done is not None and plan is not None and sorted(
        (s.member_id, s.gross, s.netted, s.paid) for s in stored) == sorted(
        (x.member, x.gross, x.netted, x.paid) for x in plan.lines)
    return render(request, "economy/share_out.html", {
        "org": org, "group": group, "cycle": cycle, "plan": plan, "lines": lines, "done": done, "error": error,
        "form": form if can_edit and not done and cycle else None, "matches": matches, "on": on})


# --- Gardens ---------------------------------------------------------------------------------

def _kitchens_under(org):
    return Organisation.objects.filter(path__startswith=org.path, kind__is_kitchen=True).order_by("name")


@requires(Can.VIEW, on="pk")
def garden_list(request, org):
    return render(request, "economy/gardens.html", {
        "org": org, "gardens": gardens.gardens_of(request.scope, org), "can_edit": request.scope.holds(Can.EDIT, org)})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def garden_create(request, org):
    return form_page(
        request, GardenForm(request.POST or None, kitchens=_kitchens_under(org)),
        action=lambda d: gardens.create_garden(scope=request.scope, organisation=org, name=d["name"], kind=d["kind"],
                                               area_m2=d["area_m2"], crops=d["crops"], kitchens_supplied=d["kitchens"]),
        success=_("Biohuerto registrado."), then=lambda g: redirect("economy:garden", pk=org.pk, garden=g.pk),
        template="economy/form.html", context={"org": org, "title": _("Nuevo biohuerto")})


@require_http_methods(["GET", "POST"])
@requires(Can.VIEW, on="pk")
def garden(request, org, garden):
    """The garden, what it has given, and (for who may edit) the form to record a harvest."""
    garden = gardens.get_garden(request.scope, org, garden)
    can_edit = request.scope.holds(Can.EDIT, org)
    form = HarvestForm(request.POST or None, kitchens=garden.kitchens.order_by("name"),
                       initial={"date": timezone.localdate()}) if can_edit else None
    if request.method == "POST" and not can_edit:
        return render(request, "403.html", status=403)
    if form is not None:
        response = form_page(
            request, form,
            action=lambda d: gardens.record_harvest(scope=request.scope, garden=garden, **d),
            success=_("Cosecha anotada: entró al almacén de la cocina."),
            then=to("economy:garden", pk=org.pk, garden=garden.pk), template="economy/garden.html",
            context={"org": org, "garden": garden, "totals": gardens.harvest_totals(garden)})
        return response
    return render(request, "economy/garden.html", {"org": org, "garden": garden,
                                                   "totals": gardens.harvest_totals(garden)})


# --- Family farming ---------------------------------------------------------------------------

@requires(Can.VIEW)
def family_farming(request):
    """The share of purchases from family farming per municipality and programme, against the
    year's legal target."""
    try:
        year = int(request.GET.get("anio") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    shares = producers.family_farm_shares(request.scope, year)
    target = producers.target_for(year)
    # A leader of one kitchen goes from here to her kitchen's purchases; who sees many kitchens
    # finds them from each kitchen's page.
    mine = list(Organisation.objects.filter(request.scope.q(Can.EDIT), kind__is_kitchen=True)[:2])
    return render(request, "economy/family_farming.html", {
        "kitchen": mine[0] if len(mine) == 1 else None,
        "year": year, "shares": shares, "target": target, "chart": producers.share_chart(shares, target),
        "meeting_target": sum(1 for s in shares if s.meets), "years": range(year - 3, year + 1)})


@requires(Can.VIEW, on="pk")
def nearby(request, org):
    kitchen = producers.get_kitchen(request.scope, org.pk)
    return render(request, "economy/nearby.html", {"org": org, "rows": producers.nearby_producers(request.scope,
                                                                                                    kitchen)})


@require_http_methods(["GET", "POST"])
@requires(Can.VIEW, on="pk")
def producer_list(request, org):
    """The producers the organisation registered and, for who may edit, the form to register one."""
    can_edit = request.scope.holds(Can.EDIT, org)
    if request.method == "POST" and not can_edit:
        return render(request, "403.html", status=403)
    context = {"org": org, "producers": producers.producers_of(request.scope, org)}
    if not can_edit:
        return render(request, "economy/producers.html", context)
    return form_page(
        request, ProducerForm(request.POST or None),
        action=lambda d: producers.register_producer(
            scope=request.scope, organisation=org, name=d["name"], kind=d["kind"], district=d["district"],
            products=d["products"], family_farm_registration=d["family_farm_registration"]),
        success=_("Productor registrado."), then=to("economy:producers", pk=org.pk),
        template="economy/producers.html", context=context)


@require_http_methods(["GET", "POST"])
@requires(Can.VIEW, on="pk")
def purchases(request, org):
    """A kitchen's purchases, latest first, with the month's total and its part from family
    farming; for who may edit, the form to record one (it enters the kitchen's store) and a
    button to take back one typed by mistake."""
    kitchen = producers.get_kitchen(request.scope, org.pk)
    can_edit = request.scope.holds(Can.EDIT, kitchen)
    if request.method == "POST" and not can_edit:
        return render(request, "403.html", status=403)
    today = timezone.localdate()
    context = {"org": kitchen, "purchases": producers.purchases_of(request.scope, kitchen)[:60],
               "figures": producers.month_figures(kitchen, today), "can_edit": can_edit}
    if not can_edit:
        return render(request, "economy/purchases.html", context)
    sellers = producers.producers_for(request.scope, kitchen).order_by("name")
    form = PurchaseForm(request.POST or None, producers=sellers,
                        initial={"on": today, **producers.usual_choices(kitchen)})
    return form_page(
        request, form,
        action=lambda d: producers.record_purchase(
            scope=request.scope, buyer=kitchen, producer=d["producer"], item=d["item"], on=d["on"],
            quantity=d["quantity"], unit_price=d["unit_price"], programme=d["programme"], party=d["party"],
            confirm=d["confirm"]),
        success=_("Compra anotada: entró al almacén de la cocina."), then=to("economy:purchases", pk=kitchen.pk),
        template="economy/purchases.html", context=context)


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def purchase_correct(request, org, purchase):
    """A purchase typed wrongly, corrected on a form filled with what was saved: it is taken back
    and recorded again in one step, the store and the family-farm share with it."""
    kitchen = producers.get_kitchen(request.scope, org.pk)
    purchase = producers.get_purchase(request.scope, kitchen, purchase)
    sellers = producers.producers_for(request.scope, kitchen).order_by("name")
    form = PurchaseCorrectionForm.of(purchase, request.POST or None, sellers)
    return form_page(
        request, form,
        action=lambda d: producers.correct_purchase(
            scope=request.scope, purchase=purchase, producer=d["producer"], on=d["on"], quantity=d["quantity"],
            unit_price=d["unit_price"], party=d["party"], confirm=d["confirm"]),
        success=_("Compra corregida: el almacén y la parte de la agricultura familiar cambiaron con ella."),
        then=to("economy:purchases", pk=kitchen.pk), template="economy/purchase_correct.html",
        context={"org": kitchen, "purchase": purchase})


@require_POST
@requires(Can.EDIT, on="pk")
def purchase_cancel(request, org, purchase):
    kitchen = producers.get_kitchen(request.scope, org.pk)
    purchase = producers.get_purchase(request.scope, kitchen, purchase)
    button(request, lambda: producers.cancel_purchase(scope=request.scope, purchase=purchase),
           _("Compra anulada: salió también del almacén de la cocina."))
    return redirect("economy:purchases", pk=kitchen.pk)


@requires(Can.VIEW, on="pk")
def report(request, org):
    """The SAVIX indicators of the organisation's subtree (open cycles); ?formato=csv gives them per
    group, with SAVIX's own column names."""
    if request.GET.get("formato") == "csv":
        names = dict(selectors.visible_groups(request.scope).filter(organisation__path__startswith=org.path)
                     .values_list("pk", "name"))
        headers = ["Group", *(savix for _k, savix, _l in indicators.COLUMNS)]
        response = HttpResponse(exports.csv_bytes(headers, indicators.csv_rows(request.scope, org.path, names)),
                                content_type=exports.CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="savix-{org.pk}.csv"'
        return response
    figures = indicators.indicators(request.scope, under=org.path)
    rows = [(label, figures[k], k in indicators.MONEY) for k, _s, label in indicators.COLUMNS]
    return render(request, "economy/report.html", {"org": org, "rows": rows})


# --- Ventures ---------------------------------------------------------------------------------

@requires(Can.VIEW, on="pk")
def venture_list(request, org):
    """The ventures of the organisation and those under it, with the roll-up: how many women earn
    from them, and what they sold over the last twelve months."""
    return render(request, "economy/ventures.html", {
        "org": org, "ventures": ventures.ventures_under(request.scope, org)[:300],
        "rollup": ventures.rollup(request.scope, under=org.path), "can_edit": request.scope.holds(Can.EDIT, org)})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def venture_create(request, org):
    return form_page(
        request, VentureForm(request.POST or None),
        action=lambda d: ventures.create_venture(scope=request.scope, organisation=org, **d),
        success=_("Emprendimiento registrado."), then=lambda v: redirect("economy:venture", pk=org.pk, venture=v.pk),
        template="economy/venture_form.html", context={"org": org, "title": _("Nuevo emprendimiento")})


@requires(Can.VIEW, on="pk")
def venture(request, org, venture):
    """The venture, its months and, for who may see names, its members."""
    venture = ventures.get_venture(request.scope, org, venture)
    personal = request.scope.holds(Can.VIEW_PERSONAL, venture.organisation)
    members = list(ventures.members_of(venture))
    return render(request, "economy/venture.html", {
        "org": org, "venture": venture, "months": ventures.months_of(venture), "personal": personal,
        "members": members if personal else None, "working": sum(1 for m in members if m.until is None),
        "can_edit": request.scope.holds(Can.EDIT, venture.organisation)})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def venture_member_add(request, org, venture):
    venture = ventures.get_venture(request.scope, org, venture)
    request.scope.require(Can.EDIT, venture.organisation)
    people = ventures.women_who_may_join(request.scope, venture)
    form = VentureMemberForm(request.POST or None, people=people, initial={"since": timezone.localdate()})
    return form_page(
        request, form,
        action=lambda d: ventures.add_venture_member(scope=request.scope, venture=venture, **d),
        success=_("Socia anotada en el emprendimiento."), then=to("economy:venture", pk=org.pk, venture=venture.pk),
        template="economy/venture_form.html",
        context={"org": org, "venture": venture, "title": _("Anotar a una socia del emprendimiento")})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def venture_month(request, org, venture):
    venture = ventures.get_venture(request.scope, org, venture)
    request.scope.require(Can.EDIT, venture.organisation)
    form = VentureMonthForm(request.POST or None, initial={"month": timezone.localdate().replace(day=1)})
    return form_page(
        request, form,
        action=lambda d: ventures.record_month(scope=request.scope, venture=venture, **form.values()),
        success=_("Ventas y costos del mes anotados."), then=to("economy:venture", pk=org.pk, venture=venture.pk),
        template="economy/venture_form.html",
        context={"org": org, "venture": venture, "title": _("Ventas y costos de un mes")})
