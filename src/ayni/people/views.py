"""Pages for people, memberships and board positions."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.lib import replicas
from ayni.lib.drawn import DRAWING_TTL, digest, kept_html
from ayni.lib.identity import id_column
from ayni.lib.views import form_page, to
from ayni.orgs.access import requires
from ayni.people import selectors, services
from ayni.people.forms import AddExistingMemberForm, EndDateForm, MemberForm, PersonForm, PositionForm
from ayni.people.models import Language, Membership, Person, Position, PositionKind


@requires(Can.VIEW_PERSONAL, on="pk")
def members(request, org):
    qs = selectors.members_of(request.scope, org)
    text = request.GET.get("q", "").strip()
    if text:
        found = selectors.search_people(request.scope, text).values("pk")
        qs = qs.filter(person__in=found)
    page = Paginator(qs, 100).get_page(request.GET.get("pagina"))
    return render(request, "people/members.html", {
        "org": org, "page": page, "q": text, "can_edit": request.scope.holds(Can.EDIT, org),
        "id_col": id_column((m.person.dni for m in page), org.country),
    })


@requires(Can.EDIT, on="pk")
@require_http_methods(["GET", "POST"])
def register_member(request, org):
    """Register a new socia — and, in the same step, her position on the board if she has one."""
    form = MemberForm(request.POST or None, initial={"since": timezone.localdate()}, country=org.country)

    @transaction.atomic
    def register(data):
        person = services.register_person(scope=request.scope, organisation=org, since=data["since"],
                                          **form.person_fields())
        if data["position"]:
            services.assign_position(scope=request.scope, person=person, organisation=org, kind=data["position"],
                                     starts_on=data["starts_on"], ends_on=data["ends_on"])
        return person

    return form_page(
        request, form, action=register,
        success=lambda person: _("Se registró a %(person)s como socia de %(org)s.")
        % {"person": person.full_name, "org": org.name},
        # «Guardar y registrar otra» comes back to an empty form.
        then=to("orgs:register_member" if "otra" in request.POST else "orgs:detail", pk=org.pk),
        template="people/member_form.html",
        context={"org": org, "fields": None if form.is_bound else _blank_member_fields(form, org)},
    )


def _blank_member_fields(form: MemberForm, org) -> str:
    """The empty form's fields as HTML, the same for every organisation of the country on the
    same day and language: rendered once (a dozen widgets, most of the page's CPU) and kept
    under the rows of the two catalogues it offers (positions, languages), read in the key, so a
    catalogue changed shows at once. Nothing personal in it; the CSRF token is outside it."""
    catalogues = (list(PositionKind.objects.values_list("pk", "name", "group").order_by("pk")),
                  list(Language.objects.values_list("pk", "name").order_by("pk")))
    key = "people:member-form:" + digest(get_language(), org.country, timezone.localdate(), catalogues)
    html = kept_html(key, lambda: render_to_string("includes/form.html", {"form": form}), DRAWING_TTL)
    return mark_safe(html)  # noqa: S308 - rendered by the template above


@requires(Can.EDIT, on="pk")
@require_http_methods(["GET", "POST"])
def add_existing_member(request, org):
    """Add a person already registered elsewhere (found by DNI) as a socia here."""

    def add(data):
        # Someone out of the user's sight is "nobody" here, with the same words as for a DNI
        # nobody holds; registering her as new sends the DNI to review (hold_dni_for_review).
        person = selectors.find_by_dni(request.scope, data["dni"].number).person
        if person is None:
            raise ValidationError({"dni": _("No encontramos a nadie con ese DNI entre las personas que usted puede "
                                            "ver; regístrela como nueva socia.")})
        return services.add_membership(scope=request.scope, person=person, organisation=org,
                                       since=data["since"] or timezone.localdate())

    return form_page(
        request, AddExistingMemberForm(request.POST or None, initial={"since": timezone.localdate()},
                                       country=org.country), action=add,
        success=lambda membership: _("Se agregó a %(person)s como socia.") % {"person": membership.person.full_name},
        then=to("orgs:detail", pk=org.pk),
        template="people/simple_form.html", context={"org": org, "title": _("Agregar socia ya registrada")},
    )


@requires(Can.EDIT, on="pk")
@require_http_methods(["GET", "POST"])
def assign_position(request, org):
    people = Person.objects.filter(pk__in=selectors.members_of(request.scope, org).values("person"))
    return form_page(
        request, PositionForm(request.POST or None, people=people, initial={"person": request.GET.get("persona")}),
        action=lambda data: services.assign_position(scope=request.scope, organisation=org, **data),
        success=_("Se registró el cargo."), then=to("orgs:detail", pk=org.pk),
        template="people/simple_form.html", context={"org": org, "title": _("Registrar cargo")},
    )


@login_required
@replicas.heavy_read
def search(request):
    if not request.scope.holds(Can.VIEW_PERSONAL):
        # A viewer sees figures, never names: say so instead of an empty result that looks like
        # nobody is registered.
        return render(request, "people/search.html", {"names_hidden": True})
    text = request.GET.get("q", "").strip()
    found = page = error = None
    if text:
        try:
            found = selectors.find_people(request.scope, text)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            page = Paginator(found, 50).get_page(request.GET.get("pagina"))
    return render(request, "people/search.html", {"q": text, "found": found, "page": page, "error": error})


@login_required
def detail(request, pk):
    person = selectors.get_person(request.scope, pk)
    scope = request.scope
    today = timezone.localdate()
    # All of hers, read once: the ones the scope may see are shown, all of them say whether
    # she may edit her identity (`may_edit_identity`).
    every_membership = list(person.memberships.select_related("organisation__kind"))
    every_position = list(person.positions.select_related("organisation", "kind"))
    memberships = [m for m in every_membership if scope.holds(Can.VIEW_PERSONAL, m.organisation)]
    positions = [p for p in every_position if scope.holds(Can.VIEW_PERSONAL, p.organisation)]
    can_edit = any(scope.holds(Can.EDIT, m.organisation) for m in memberships) or \
        any(scope.holds(Can.EDIT, p.organisation) for p in positions)
    id_col = id_column([person.dni], None if person.dni else services.country_of_person(person))
    # The form to end a membership or a term is the same on every line: rendered once.
    ends = can_edit and (any(m.until is None for m in memberships) or any(p.ends_on >= today for p in positions))
    end_form = EndDateForm(initial={"on": today}).as_div() if ends else ""
    return render(request, "people/detail.html", {
        "person": person, "memberships": memberships, "positions": positions, "can_edit": can_edit,
        "id_col": id_col, "id_name": id_col.label,
        "can_edit_identity": services.may_edit_identity(scope, person, memberships=every_membership,
                                                        positions=every_position),
        "today": today, "end_form": end_form,
    })


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    person = selectors.get_person(request.scope, pk)
    if not services.may_edit_identity(request.scope, person):
        raise PermissionDenied(_("Solo puede cambiar los datos de una persona quien tenga a cargo todas las "
                                 "organizaciones a las que pertenece: pídaselo a su coordinadora."))
    form = PersonForm(request.POST or None, instance=person, country=services.country_of_person(person))
    return form_page(
        request, form,
        action=lambda _data: services.update_person(scope=request.scope, person=person, **form.person_fields()),
        success=lambda saved: _("Se guardaron los datos de %(person)s.") % {"person": saved.full_name},
        then=to("people:detail", pk=person.pk),
        template="people/simple_form.html", context={"person": person, "title": _("Editar datos personales")},
    )


def _end(request, model, pk, end: Callable, success: Callable[[object], str]):
    """Close a membership or a position on the date posted; errors come back as a message."""
    # Found only among the records in sight (404 otherwise), and checked before the date is read,
    # so that a bad date tells nothing about a record out of sight.
    closing = get_object_or_404(model.objects.filter(request.scope.q(Can.VIEW, prefix="organisation__"))
                                .select_related("organisation", "person"), pk=pk)
    request.scope.require(Can.EDIT, closing.organisation)
    form = EndDateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["on"])
        end(closing, form.cleaned_data["on"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success(closing))
    return redirect("people:detail", pk=closing.person_id)


@login_required
@require_POST
def end_membership(request, pk):
    return _end(request, Membership, pk,
                lambda membership, on: services.end_membership(scope=request.scope, membership=membership, until=on),
                lambda membership: _("Se registró la salida de %(person)s.") % {"person": membership.person})


@login_required
@require_POST
def end_position(request, pk):
    return _end(request, Position, pk,
                lambda position, on: services.end_position(scope=request.scope, position=position, on=on),
                lambda _position: _("Se registró el fin del cargo."))
