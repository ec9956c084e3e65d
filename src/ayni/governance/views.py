"""Governance pages: authorise, parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.files.http import file_response
from ayni.governance import acta as acta_service
from ayni.governance import dues, elections, selectors, services
from ayni.governance.forms import (
    COMMITTEE_ROLES,
    ActaForm,
    AgreementForm,
    AnnulForm,
    ConveneForm,
    DelegateForm,
    DuesRuleForm,
    ElectionForm,
    ExemptionForm,
    HandCountForm,
    MotionForm,
    PaperListForm,
    PaymentForm,
    ProxyForm,
    SignedActaForm,
    SlateForm,
    StatuteRuleForm,
    VoteForm,
)
from ayni.governance.models import (
    Agreement,
    Assembly,
    Attendance,
    DebateSummary,
    Election,
    Elector,
    Proxy,
    StatuteRule,
)
from ayni.governance.rules import rule_for
from ayni.lib.forms import apply_validation_error
from ayni.lib.identity import document_name, shown
from ayni.lib.views import button, form_page, to
from ayni.orgs.access import requires
from ayni.orgs.selectors import scope_roots
from ayni.people.models import Person, PositionKind
from ayni.people.selectors import find_by_dni


def _to_assembly(assembly):
    return lambda _result=None: redirect("governance:assembly", pk=assembly.organisation_id, assembly=assembly.pk)


@login_required
def index(request):
    """Her ballots open now (as a member on a roll), and the assemblies of her organisations."""
    person = getattr(request.user, "person", None)
    return render(request, "governance/index.html", {
        "ballots": selectors.ballots_for(person),
        "assemblies": selectors.visible_assemblies(request.scope)[:30],
        "organisations": scope_roots(request.scope)[:20],
    })


@requires(Can.VIEW, on="pk")
def assemblies(request, org):
    return render(request, "governance/assemblies.html", {
        "org": org, "assemblies": selectors.assemblies_of(request.scope, org)[:100], "rule": rule_for(org),
        "can_edit": request.scope.holds(Can.EDIT, org), "term_ends": elections.board_term_ending(org),
    })


def _editable_rule(org):
    """An unsaved copy of the rules in force, for the form to bind to: never the kind's shared
    default row, which the form would otherwise change in memory."""
    current = rule_for(org)
    return StatuteRule(organisation=org, **{f: getattr(current, f) for f in services.RULE_FIELDS})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def rules(request, org):
    return form_page(
        request, StatuteRuleForm(request.POST or None, instance=_editable_rule(org)),
        action=lambda data: services.set_statute_rule(scope=request.scope, organisation=org, **data),
        success=_("Se guardaron las reglas del estatuto."), then=to("governance:assemblies", pk=org.pk),
        template="governance/form.html", context={"org": org, "title": _("Reglas del estatuto")},
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def convene(request, org):
    form = ConveneForm(request.POST or None)
    return form_page(
        request, form,
        action=lambda _data: services.convene_assembly(scope=request.scope, organisation=org,
                                                       **form.service_arguments()),
        success=_("Asamblea convocada; la convocatoria sale por mensaje de texto."),
        then=lambda a: _to_assembly(a)(),
        template="governance/form.html",
        context={"org": org, "title": _("Convocar a asamblea"),
                 "note": _("El estatuto pide %(days)s días de anticipación.") % {"days": rule_for(org).notice_days}},
    )


@requires(Can.VIEW, on="pk")
def assembly(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    personal = request.scope.holds(Can.VIEW_PERSONAL, org)
    return render(request, "governance/assembly.html", {
        "org": org, "assembly": assembly, "quorum": services.quorum_state(assembly),
        "rule": rule_for(org), "can_edit": request.scope.holds(Can.EDIT, org), "personal": personal,
        "roll": selectors.roll_of(assembly) if personal else None,
        "electors": assembly.electors.count(),
    })


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def attendance(request, org, assembly):
    """Tap names, type numbers, or copy the signed paper list: all three mark by roll number."""
    assembly = selectors.get_assembly(request.scope, org, assembly)
    if request.method == "POST":
        numbers = request.POST.getlist("n") + request.POST.get("numeros", "").replace(",", " ").split()
        how = request.POST.get("how", Attendance.How.TAP)
        try:
            marked = services.record_attendance(scope=request.scope, assembly=assembly,
                                                numbers=[int(n) for n in numbers], how=how)
        except (ValueError, TypeError):
            messages.error(request, _("Escriba solo números del padrón, separados por espacios."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s asistentes nuevas anotadas.") % {"n": marked})
        return redirect("governance:attendance", pk=org.pk, assembly=assembly.pk)
    return render(request, "governance/attendance.html", {
        "org": org, "assembly": assembly, "roll": selectors.roll_of(assembly),
        "quorum": services.quorum_state(assembly), "proxy_form": ProxyForm(),
        "proxies": selectors.proxies_of(assembly), "how": Attendance.How,
    })


@require_POST
@requires(Can.EDIT, on="pk")
def attendance_remove(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    number = request.POST.get("n", "")
    if number.isdigit():
        button(request, lambda: services.remove_attendance(scope=request.scope, assembly=assembly,
                                                           number=int(number)),
               _("Se quitó a N° %(n)s de la asistencia.") % {"n": number})
    return redirect("governance:attendance", pk=org.pk, assembly=assembly.pk)


@require_POST
@requires(Can.EDIT, on="pk")
def proxy(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    form = ProxyForm(request.POST)
    if form.is_valid():
        button(request, lambda: services.record_proxy(scope=request.scope, assembly=assembly,
                                                      giver_number=form.cleaned_data["giver"],
                                                      holder_number=form.cleaned_data["holder"]),
               _("Carta poder registrada."))
    else:
        messages.error(request, _("Escriba los dos números del padrón."))
    return redirect("governance:attendance", pk=org.pk, assembly=assembly.pk)


@require_POST
@requires(Can.EDIT, on="pk")
def quorum(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    call = request.POST.get("call", Assembly.Call.FIRST)
    try:
        state = services.check_quorum(scope=request.scope, assembly=assembly, call=call)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        met = state.first if call == Assembly.Call.FIRST else state.second
        words = {"present": state.present, "total": state.total}
        if met:
            messages.success(request, _("Hay quórum: %(present)s de %(total)s. La asamblea puede tomar acuerdos.")
                             % words)
        elif call == Assembly.Call.FIRST:
            messages.warning(request, _("No hay quórum en primera convocatoria: %(present)s de %(total)s. Espere la "
                                        "segunda convocatoria.") % words)
        else:
            messages.warning(request, _("Sin quórum en segunda convocatoria (%(present)s de %(total)s): la asamblea "
                                        "queda registrada sin quórum y no adopta acuerdos.") % words)
    return _to_assembly(assembly)()


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def delegate(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    if not assembly.by_delegates:
        raise Http404
    form = DelegateForm(request.POST or None, members=services.member_organisations(org), country=org.country)

    def accredit(data):
        person = find_by_dni(request.scope, data["dni"]).person
        if person is None:
            raise ValidationError({"dni": _("No hay una persona con ese DNI a su alcance.") if org.country == "PE"
                                   else _not_in_sight(data["dni"], org.country)})
        return services.accredit_delegate(scope=request.scope, assembly=assembly, member_org=data["member_org"],
                                          person=person)

    return form_page(
        request, form, action=accredit, success=lambda e: _("Delegada acreditada con el N° %(n)s.") % {"n": e.number},
        then=lambda _e: redirect("governance:delegate", pk=org.pk, assembly=assembly.pk),
        template="governance/form.html",
        context={"org": org, "assembly": assembly, "title": _("Acreditar delegada"),
                 "listing": Elector.objects.filter(assembly=assembly).select_related("person", "delegate_of")},
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def motion_add(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    return form_page(
        request, MotionForm(request.POST or None, assembly=assembly),
        action=lambda data: services.add_motion(scope=request.scope, **data),
        success=lambda m: _("Moción %(n)s registrada.") % {"n": m.pk}, then=_to_assembly(assembly),
        template="governance/form.html", context={"org": org, "assembly": assembly, "title": _("Nueva moción")},
    )


@require_POST
@requires(Can.EDIT, on="pk")
def motion_open(request, org, assembly, motion):
    motion = selectors.get_motion(selectors.get_assembly(request.scope, org, assembly), motion)
    button(request, lambda: services.open_motion(scope=request.scope, motion=motion),
           _("Moción %(n)s en votación.") % {"n": motion.pk})
    return _to_assembly(motion.item.assembly)()


@require_POST
@requires(Can.EDIT, on="pk")
def motion_close(request, org, assembly, motion):
    motion = selectors.get_motion(selectors.get_assembly(request.scope, org, assembly), motion)
    closed = button(request, lambda: services.close_motion(scope=request.scope, motion=motion),
                    _("Votación cerrada."))
    if closed:
        messages.info(request, _("Moción %(n)s: %(outcome)s.") % {"n": closed.pk,
                                                                   "outcome": closed.get_outcome_display()})
    return _to_assembly(motion.item.assembly)()


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def hands(request, org, assembly, motion):
    motion = selectors.get_motion(selectors.get_assembly(request.scope, org, assembly), motion)
    return form_page(
        request, HandCountForm(request.POST or None),
        action=lambda data: services.record_hand_count(scope=request.scope, motion=motion, **data),
        success=_("Conteo anotado."), then=_to_assembly(motion.item.assembly),
        template="governance/form.html",
        context={"org": org, "assembly": motion.item.assembly, "title": _("Conteo a mano alzada"),
                 "note": str(motion), "quorum": services.quorum_state(motion.item.assembly)},
    )


@require_POST
@requires(Can.EDIT, on="pk")
def close(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    button(request, lambda: services.close_assembly(scope=request.scope, assembly=assembly),
           _("Asamblea cerrada."))
    return _to_assembly(assembly)()


@login_required
@require_http_methods(["GET", "POST"])
def vote(request, motion):
    """A member votes from her phone. Only someone on the motion's roll finds the page."""
    person = getattr(request.user, "person", None)
    motion, elector = selectors.ballot_of(person, motion)
    carried = list(Proxy.objects.filter(holder=elector).select_related("giver__person"))
    form = VoteForm(request.POST or None)
    form.fields["on_behalf_of"].choices = [("", _("Por mí"))] + [(p.giver.person_id, p.giver.person.full_name)
                                                                  for p in carried]
    if not carried:
        del form.fields["on_behalf_of"]
    if request.method == "POST" and form.is_valid():
        giver = next((p.giver.person for p in carried if p.giver.person_id == form.cleaned_data.get("on_behalf_of")),
                     None)
        try:
            services.cast_vote(scope=request.scope, motion_id=motion.pk, person=person,
                               choice=form.cleaned_data["choice"], on_behalf_of=giver)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Su voto en la moción %(n)s quedó registrado. Puede cambiarlo mientras la "
                                        "votación siga abierta.") % {"n": motion.pk})
            return redirect("governance:index")
    voted = motion.participations.filter(elector=elector).exists()
    return render(request, "governance/vote.html", {"motion": motion, "form": form, "voted": voted})


@requires(Can.VIEW, on="pk")
def agreements(request, org):
    """The organisation's agreements and those of every organisation below it; `?vencidos=1`
    only those past their deadline."""
    overdue = request.GET.get("vencidos") == "1"
    return render(request, "governance/agreements.html", {
        "org": org, "overdue": overdue, "agreements": selectors.agreements_under(request.scope, org,
                                                                                 overdue=overdue)[:300],
        "personal": request.scope.holds(Can.VIEW_PERSONAL, org), "can_edit": request.scope.holds(Can.EDIT, org),
        "statuses": Agreement.Status,
    })


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def agreement_add(request, org, assembly, motion):
    motion = selectors.get_motion(selectors.get_assembly(request.scope, org, assembly), motion)
    people = Person.objects.filter(pk__in=motion.item.assembly.electors.values("person")).order_by(
        "paternal_surname", "given_names")
    form = AgreementForm(request.POST or None, people=people, initial={"text": motion.text})
    return form_page(
        request, form, action=lambda data: services.record_agreement(scope=request.scope, motion=motion, **data),
        success=_("Acuerdo registrado."), then=_to_assembly(motion.item.assembly),
        template="governance/form.html",
        context={"org": org, "assembly": motion.item.assembly, "title": _("Registrar acuerdo"), "note": str(motion)},
    )


@require_POST
@requires(Can.EDIT, on="pk")
def agreement_status(request, org, agreement):
    agreement = selectors.get_agreement(request.scope, org, agreement)
    button(request, lambda: services.set_agreement_status(scope=request.scope, agreement=agreement,
                                                          status=request.POST.get("status", "")),
           _("Estado del acuerdo actualizado."))
    return redirect("governance:agreements", pk=org.pk)


# --- Dues ------------------------------------------------------------------------------------------

@requires(Can.VIEW, on="pk")
def dues_page(request, org):
    """Who is up to date and who is behind (names: VIEW_PERSONAL), payments to confirm, and the
    dues collected this year across the organisation and those below it."""
    today = timezone.localdate()
    personal = request.scope.holds(Can.VIEW_PERSONAL, org)
    can_edit = request.scope.holds(Can.EDIT, org)
    total, branches = dues.collected_under(request.scope, org, today.replace(month=1, day=1), today)
    members = dues.member_dues(request.scope, org, today) if personal else []
    payments = dues.payments_of(request.scope, org) if personal else None
    return render(request, "governance/dues.html", {
        "org": org, "personal": personal, "can_edit": can_edit, "rule": rule_for(org),
        "dues_rule": dues.rule_in_force(org, today),
        "rules": org.dues_rules.order_by("-starts_on")[:10],
        "collected": dues.soles(total), "branches": [{**b, "soles": dues.soles(b["collected"])} for b in branches],
        "year": today.year, "members": members,
        "up_to_date": sum(1 for m in members if m.good), "behind": sum(1 for m in members if not m.good),
        "to_confirm": payments.filter(confirmed_at__isnull=True, annulled_at__isnull=True)[:50] if can_edit else [],
        "recent": payments.filter(confirmed_at__isnull=False)[:20] if payments is not None else [],
        "exemptions": dues.exemptions_of(request.scope, org)[:50] if personal else [],
        "annul_form": AnnulForm(),
    })


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def dues_payment(request, org):
    form = PaymentForm(request.POST or None, people=dues.current_socias(request.scope, org),
                       initial={"paid_on": timezone.localdate()})
    return form_page(
        request, form,
        action=lambda data: dues.record_payment(scope=request.scope, organisation=org, person=data["person"],
                                                amount=data["amount"], paid_on=data["paid_on"],
                                                confirm=data["confirm"]),
        success=lambda p: _("Pago de %(amount)s de %(name)s anotado.") % {
            "amount": dues.soles_text(p.amount_cents), "name": p.person.full_name},
        then=to("governance:dues", pk=org.pk), template="governance/dues_form.html",
        context={"org": org, "title": _("Anotar pago de cuota"),
                 "dues_rule": dues.rule_in_force(org, timezone.localdate())},
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def dues_rule(request, org):
    form = DuesRuleForm(request.POST or None, motions=dues.adopted_motions(request.scope, org))
    return form_page(
        request, form, action=lambda data: dues.set_dues(scope=request.scope, organisation=org, **data),
        success=lambda r: _("Cuota de %(amount)s %(period)s desde %(month)s.") % {
            "amount": dues.soles_text(r.amount_cents), "period": r.get_period_display().lower(),
            "month": r.starts_on.strftime("%m/%Y")},
        then=to("governance:dues", pk=org.pk), template="governance/dues_form.html",
        context={"org": org, "title": _("Cuota acordada en asamblea"),
                 "note": _("La cuota la fija una asamblea: elija la moción aprobada que la acordó.")},
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def dues_exemption(request, org):
    form = ExemptionForm(request.POST or None, people=dues.current_socias(request.scope, org),
                         motions=dues.adopted_motions(request.scope, org))
    return form_page(
        request, form, action=lambda data: dues.exempt(scope=request.scope, organisation=org, **data),
        success=lambda e: _("%(name)s exonerada de cuotas.") % {"name": e.person.full_name},
        then=to("governance:dues", pk=org.pk), template="governance/dues_form.html",
        context={"org": org, "title": _("Exoneración de cuotas"),
                 "note": _("Las exoneraciones las vota la asamblea: elija la moción aprobada.")},
    )


@require_POST
@requires(Can.EDIT, on="pk")
def dues_confirm(request, org, payment):
    payment = dues.get_payment(request.scope, org, payment)
    button(request, lambda: dues.confirm_payment(scope=request.scope, payment=payment),
           _("Pago de %(name)s confirmado.") % {"name": payment.person.full_name})
    return redirect("governance:dues", pk=org.pk)


@require_POST
@requires(Can.EDIT, on="pk")
def dues_annul(request, org, payment):
    payment = dues.get_payment(request.scope, org, payment)
    form = AnnulForm(request.POST)
    if form.is_valid():
        button(request, lambda: dues.annul_payment(scope=request.scope, payment=payment,
                                                   reason=form.cleaned_data["reason"]),
               _("Pago anulado; ya no cuenta."))
    else:
        messages.error(request, _("Escriba por qué se anula el pago."))
    return redirect("governance:dues", pk=org.pk)


# --- Board elections -------------------------------------------------------------------------------

def _not_in_sight(number: str, country: str) -> str:
    """Nobody the user may see holds this number of another country than Peru (Peru's message
    names the DNI, as it always did)."""
    return _("No hay una persona con %(document)s %(number)s a su alcance.") % {
        "document": document_name(country), "number": shown(number)}


def _people_by_dni(scope, data: dict, fields, country: str = "PE") -> dict[str, Person]:
    """The person each identity number field names, found in the caller's sight, or a field error."""
    found, errors = {}, {}
    for name in fields:
        dni = data.get(name)
        if not dni:
            continue
        person = find_by_dni(scope, dni).person
        if person is None:
            errors[name] = (_("No hay una persona con el DNI %(dni)s a su alcance.") % {"dni": dni}
                            if country == "PE" else _not_in_sight(dni, country))
        else:
            found[name] = person
    if errors:
        raise ValidationError(errors)
    return found


@requires(Can.VIEW, on="pk")
def elections_page(request, org):
    return render(request, "governance/elections.html", {
        "org": org, "elections": elections.elections_of(request.scope, org)[:50],
        "can_edit": request.scope.holds(Can.EDIT, org), "term_ends": elections.board_term_ending(org),
    })


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def election_new(request, org):
    form = ElectionForm(request.POST or None, items=elections.open_assemblies_for_election(request.scope, org),
                        country=org.country)

    def call(data):
        people = _people_by_dni(request.scope, data, [n for n, _label in COMMITTEE_ROLES], org.country)
        committee = [(people[n], str(label)) for n, label in COMMITTEE_ROLES if n in people]
        return elections.call_election(scope=request.scope, item=data["item"], term_starts=data["term_starts"],
                                       term_ends=data["term_ends"], committee=committee)

    return form_page(
        request, form, action=call, success=_("Elección registrada: inscriba las listas."),
        then=lambda e: redirect("governance:election", pk=org.pk, election=e.pk),
        template="governance/form.html",
        context={"org": org, "title": _("Elección de junta directiva"),
                 "note": _("La elección se vota en una asamblea ya convocada: elija el punto de su agenda.")},
    )


@requires(Can.VIEW, on="pk")
def election(request, org, election):
    election = elections.get_election(request.scope, org, election)
    personal = request.scope.holds(Can.VIEW_PERSONAL, org)
    slates = list(election.slates.select_related("motion").prefetch_related("candidates__kind",
                                                                            "candidates__person"))
    return render(request, "governance/election.html", {
        "org": org, "election": election, "slates": slates, "personal": personal,
        "committee": election.committee.select_related("person") if personal else [],
        "can_edit": request.scope.holds(Can.EDIT, org), "statuses": Election.Status,
        "assembly": election.item.assembly,
    })


def _board_kinds():
    return PositionKind.objects.filter(group=PositionKind.Group.BOARD).order_by("order")


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def slate_add(request, org, election):
    election = elections.get_election(request.scope, org, election)
    form = SlateForm(request.POST or None, kinds=_board_kinds(), country=org.country)

    def register(data):
        people = _people_by_dni(request.scope, data, [f"dni_{k.code}" for k in form.kinds], org.country)
        candidates = [(k, people[f"dni_{k.code}"]) for k in form.kinds if f"dni_{k.code}" in people]
        return elections.register_slate(scope=request.scope, election=election, name=data["name"],
                                        candidates=candidates)

    return form_page(
        request, form, action=register, success=lambda s: _("%(slate)s inscrita.") % {"slate": s},
        then=lambda _s: redirect("governance:election", pk=org.pk, election=election.pk),
        template="governance/form.html", context={"org": org, "title": _("Inscribir lista (plancha)"),
                                                  "note": str(election)},
    )


@require_POST
@requires(Can.EDIT, on="pk")
def election_ballot(request, org, election):
    election = elections.get_election(request.scope, org, election)
    button(request, lambda: elections.open_ballot(scope=request.scope, election=election,
                                                  ballot=request.POST.get("ballot", "secret")),
           _("Cada lista es ahora una moción de la asamblea: se vota como cualquier moción."))
    return redirect("governance:election", pk=org.pk, election=election.pk)


@require_POST
@requires(Can.EDIT, on="pk")
def election_decide(request, org, election):
    election = elections.get_election(request.scope, org, election)
    try:
        decided, why = elections.decide_election(scope=request.scope, election=election)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if why:
            messages.warning(request, why)
        else:
            messages.success(request, _("%(slate)s elegida: sus cargos quedaron registrados con su periodo.")
                             % {"slate": decided.winner})
    return redirect("governance:election", pk=org.pk, election=election.pk)
# --- The acta and signed paper -----------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def acta(request, org, assembly):
    """The secretary writes the acta's draft (the debate of each point), approves it, and attaches
    the signed pages; an approved acta is shown, never edited."""
    assembly = selectors.get_assembly(request.scope, org, assembly)
    record = acta_service.acta_for(assembly)
    items = list(assembly.agenda.all())
    initial = {"observations": record.observations, "corrects": record.corrects_id,
               "correction": record.correction}
    if record.pk:
        initial.update({f"debate-{s.item_id}": s.text for s in DebateSummary.objects.filter(item__in=items)})
    form = ActaForm(request.POST or None, items=items, earlier=acta_service.approved_actas(org), initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    record = acta_service.start_acta(scope=request.scope, assembly=assembly)
                    acta_service.save_draft(scope=request.scope, acta=record, **form.service_arguments())
            except ValidationError as exc:
                if record.is_locked:
                    messages.error(request, " ".join(exc.messages))
                    return redirect("governance:acta", pk=org.pk, assembly=assembly.pk)
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Se guardó el borrador del acta."))
                return redirect("governance:acta", pk=org.pk, assembly=assembly.pk)
    return render(request, "governance/acta.html", {
        "org": org, "assembly": assembly, "acta": record, "form": form,
        "approvable": assembly.status in acta_service.APPROVABLE,
        "pages": acta_service.signed_pages_of(assembly), "scan_form": SignedActaForm(),
    })


@require_POST
@requires(Can.EDIT, on="pk")
def acta_approve(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    try:
        with transaction.atomic():
            record = acta_service.start_acta(scope=request.scope, assembly=assembly)
            record = acta_service.approve_acta(scope=request.scope, acta=record)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Acta N.º %(n)s aprobada y cerrada.") % {"n": record.number})
    return redirect("governance:acta", pk=org.pk, assembly=assembly.pk)


@requires(Can.VIEW_PERSONAL, on="pk")
def acta_pdf(request, org, assembly):
    """The acta as PDF: names and DNI on it, so for those who see them."""
    assembly = selectors.get_assembly(request.scope, org, assembly)
    record = acta_service.acta_for(assembly)
    content = acta_service.render_pdf(record, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(content, content_type="application/pdf")
    name = f"acta-{record.number:03}" if record.number else f"acta-borrador-{assembly.pk}"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@require_POST
@requires(Can.EDIT, on="pk")
def acta_scan(request, org, assembly):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    form = SignedActaForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Adjunte la foto o el escaneo de las páginas firmadas."))
    else:
        button(request, lambda: acta_service.attach_signed_acta(
            scope=request.scope, acta=acta_service.acta_for(assembly), photo=form.cleaned_data["photo"]),
            _("Se guardaron las páginas firmadas."))
    return redirect("governance:acta", pk=org.pk, assembly=assembly.pk)


@requires(Can.VIEW_PERSONAL, on="pk")
def signed_page(request, org, assembly, page):
    assembly = selectors.get_assembly(request.scope, org, assembly)
    kept = acta_service.get_signed_page(assembly, page)
    return file_response(kept.file, f"{kept.get_kind_display()}-{assembly.pk}")


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def paper_list(request, org, assembly):
    """The signed paper list entered afterwards: tap the names that signed, attach its photo."""
    assembly = selectors.get_assembly(request.scope, org, assembly)
    form = PaperListForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            numbers = [int(n) for n in request.POST.getlist("n")]
            marked, _page = acta_service.record_paper_list(scope=request.scope, assembly=assembly, numbers=numbers,
                                                           photo=form.cleaned_data["photo"])
        except (ValueError, TypeError):
            messages.error(request, _("Marque solo nombres del padrón."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Lista en papel registrada: %(n)s asistentes nuevas, con la foto de la hoja "
                                        "firmada.") % {"n": marked})
            return redirect("governance:attendance", pk=org.pk, assembly=assembly.pk)
    return render(request, "governance/paper_list.html", {
        "org": org, "assembly": assembly, "roll": selectors.roll_of(assembly), "form": form,
        "pages": acta_service.signed_pages_of(assembly).filter(kind="attendance"),
    })
