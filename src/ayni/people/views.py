"""Pages for people, memberships and board positions."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.lib.forms import apply_validation_error
from ayni.lib.views import form_page, to
from ayni.orgs.selectors import get_organisation
from ayni.people import selectors, services
from ayni.people.forms import AddExistingMemberForm, EndDateForm, MemberForm, PersonForm, PositionForm
from ayni.people.models import Membership, Person, Position


@login_required
def members(request, pk):
    org = get_organisation(request.scope, pk, Can.VIEW_PERSONAL)
    qs = selectors.members_of(org)
    text = request.GET.get("q", "").strip()
    if text:
        found = selectors.search_people(request.scope, text).values("pk")
        qs = qs.filter(person__in=found)
    page = Paginator(qs, 100).get_page(request.GET.get("pagina"))
    return render(request, "people/members.html", {
        "org": org, "page": page, "q": text, "can_edit": request.scope.allows(Can.EDIT, org),
    })


@login_required
@require_http_methods(["GET", "POST"])
def register_member(request, pk):
    """Register a new socia — and, in the same step, her position on the board if she has one."""
    org = get_organisation(request.scope, pk, Can.EDIT)
    form = MemberForm(request.POST or None, initial={"since": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                person = services.register_person(actor=request.user, organisation=org, since=data["since"],
                                                   **form.person_fields())
                if data["position"]:
                    services.assign_position(actor=request.user, person=person, organisation=org,
                                             kind=data["position"], starts_on=data["starts_on"],
                                             ends_on=data["ends_on"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Se registró a %(person)s como socia de %(org)s.")
                             % {"person": person.full_name, "org": org.name})
            if "otra" in request.POST:
                return redirect("orgs:register_member", pk=org.pk)
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "people/member_form.html", {"form": form, "org": org})


@login_required
@require_http_methods(["GET", "POST"])
def add_existing_member(request, pk):
    """Add a person already registered elsewhere (found by DNI) as a socia here."""
    org = get_organisation(request.scope, pk, Can.EDIT)
    form = AddExistingMemberForm(request.POST or None, initial={"since": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        # Someone out of the user's sight is "nobody" here, with the same words as for a DNI
        # nobody holds; registering her as new sends the DNI to review (hold_dni_for_review).
        person = selectors.find_by_dni(request.scope, form.cleaned_data["dni"].number).person
        if person is None:
            form.add_error("dni", _("No encontramos a nadie con ese DNI entre las personas que usted puede ver; "
                                    "regístrela como nueva socia."))
        else:
            try:
                services.add_membership(actor=request.user, person=person, organisation=org,
                                        since=form.cleaned_data["since"] or timezone.localdate())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Se agregó a %(person)s como socia.") % {"person": person.full_name})
                return redirect("orgs:detail", pk=org.pk)
    return render(request, "people/simple_form.html", {
        "form": form, "org": org, "title": _("Agregar socia ya registrada")})


@login_required
@require_http_methods(["GET", "POST"])
def assign_position(request, pk):
    org = get_organisation(request.scope, pk, Can.EDIT)
    people = Person.objects.filter(pk__in=selectors.members_of(org).values("person"))
    return form_page(
        request, PositionForm(request.POST or None, people=people, initial={"person": request.GET.get("persona")}),
        action=lambda data: services.assign_position(actor=request.user, organisation=org, **data),
        success=_("Se registró el cargo."), then=to("orgs:detail", pk=org.pk),
        template="people/simple_form.html", context={"org": org, "title": _("Registrar cargo")},
    )


@login_required
def search(request):
    scope = request.scope
    if not scope.is_platform_admin and not scope.reach(Can.VIEW_PERSONAL):
        # A viewer sees figures, never names: say so instead of an empty result that looks like
        # nobody is registered.
        return render(request, "people/search.html", {"names_hidden": True})
    text = request.GET.get("q", "").strip()
    found = page = error = None
    if text:
        try:
            found = selectors.find_people(scope, text)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            page = Paginator(found, 50).get_page(request.GET.get("pagina"))
    return render(request, "people/search.html", {"q": text, "found": found, "page": page, "error": error})


@login_required
def detail(request, pk):
    person = selectors.get_person(request.scope, pk)
    scope = request.scope
    memberships = [m for m in person.memberships.select_related("organisation__kind")
                   if scope.allows(Can.VIEW_PERSONAL, m.organisation)]
    positions = [p for p in person.positions.select_related("organisation", "kind")
                 if scope.allows(Can.VIEW_PERSONAL, p.organisation)]
    can_edit = any(scope.allows(Can.EDIT, m.organisation) for m in memberships) or \
        any(scope.allows(Can.EDIT, p.organisation) for p in positions)
    return render(request, "people/detail.html", {
        "person": person, "memberships": memberships, "positions": positions, "can_edit": can_edit,
        "can_edit_identity": services.may_edit_identity(scope, person),
        "today": timezone.localdate(), "end_form": EndDateForm(initial={"on": timezone.localdate()}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    person = selectors.get_person(request.scope, pk)
    if not services.may_edit_identity(request.scope, person):
        raise PermissionDenied(_("Solo puede cambiar los datos de una persona quien tenga a cargo todas las "
                                 "organizaciones a las que pertenece: pídaselo a su coordinadora."))
    form = PersonForm(request.POST or None, instance=person)
    return form_page(
        request, form,
        action=lambda _data: services.update_person(actor=request.user, person=person, **form.person_fields()),
        success=lambda saved: _("Se guardaron los datos de %(person)s.") % {"person": saved.full_name},
        then=to("people:detail", pk=person.pk),
        template="people/simple_form.html", context={"person": person, "title": _("Editar datos personales")},
    )


def _end(request, end: Callable, success: str, person_id: int):
    """Close a membership or a position on the date posted; errors come back as a message."""
    form = EndDateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["on"])
        end(form.cleaned_data["on"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("people:detail", pk=person_id)


@login_required
@require_POST
def end_membership(request, pk):
    membership = get_object_or_404(Membership.objects.select_related("organisation", "person"), pk=pk)
    get_organisation(request.scope, membership.organisation_id, Can.EDIT)
    return _end(request,
                lambda on: services.end_membership(actor=request.user, membership=membership, until=on),
                _("Se registró la salida de %(person)s.") % {"person": membership.person}, membership.person_id)


@login_required
@require_POST
def end_position(request, pk):
    position = get_object_or_404(Position.objects.select_related("organisation", "person"), pk=pk)
    get_organisation(request.scope, position.organisation_id, Can.EDIT)
    return _end(request, lambda on: services.end_position(actor=request.user, position=position, on=on),
                _("Se registró el fin del cargo."), position.person_id)
