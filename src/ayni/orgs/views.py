"""Organisation pages: authorise, parse, call a service or selector, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ayni.accounts.scope import Can
from ayni.lib.views import form_page, to
from ayni.orgs import selectors, services
from ayni.orgs.access import requires
from ayni.orgs.forms import MoveForm, OrganisationForm, RequirementForm, StatusForm, TreeFilterForm
from ayni.orgs.models import RequirementItem
from ayni.people import selectors as people_selectors


@login_required
def tree(request):
    """Browse the tree from the user's roots, or search it."""
    scope = request.scope
    form = TreeFilterForm(request.GET or None)
    within = None
    if request.GET.get("dentro"):
        within = selectors.get_organisation(scope, request.GET["dentro"])
    searching = form.is_valid() and any(form.cleaned_data.values())
    context = {"form": form, "within": within, "searching": searching}
    if searching:
        data = form.cleaned_data
        results = selectors.search_organisations(
            scope, text=data["q"], kind=data["kind"].code if data["kind"] else "", status=data["status"],
            within=within,
        )
        page = Paginator(results, 50).get_page(request.GET.get("pagina"))
        context["page"] = page
    else:
        context["roots"] = selectors.scope_roots(scope)
    return render(request, "orgs/tree.html", context)


@requires(Can.VIEW, on="pk")
def detail(request, org):
    scope = request.scope
    personal = scope.holds(Can.VIEW_PERSONAL, org)
    today = timezone.localdate()
    checks = {c.item_id: c for c in org.requirement_checks.select_related("verified_by")}
    context = {
        "org": org,
        "ancestors": [a for a in org.ancestors() if scope.holds(Can.VIEW, a)],
        "children": selectors.children_with_counts(scope, org),
        "summary": selectors.subtree_summary(scope, org),
        "requirements": [(item, checks.get(item.code)) for item in RequirementItem.objects.all()],
        "personal": personal,
        "can_edit": scope.holds(Can.EDIT, org),
        "can_create": scope.holds(Can.CREATE_CHILD, org) and org.kind.may_contain.exists(),
        "can_validate": scope.holds(Can.VALIDATE, org),
        "can_manage": scope.holds(Can.MANAGE_ACCOUNTS, org),
        "can_audit": scope.holds(Can.AUDIT, org),
        "can_move": org.parent_id is not None and scope.holds(Can.CREATE_CHILD, org.parent),
        "member_count": people_selectors.member_count(scope, org, today),
    }
    if personal:
        context["board"] = list(people_selectors.board_of(scope, org, today))
        context["members"] = people_selectors.members_of(scope, org, today)[:200]
    return render(request, "orgs/detail.html", context)


@requires(Can.CREATE_CHILD, on="pk")
@require_http_methods(["GET", "POST"])
def create(request, parent):
    return form_page(
        request, OrganisationForm(request.POST or None, parent=parent),
        action=lambda data: services.create_organisation(scope=request.scope, parent=parent, **data),
        success=lambda org: _("Se registró %(org)s.") % {"org": org.name},
        then=lambda org: redirect("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"parent": parent, "title": _("Registrar organización")},
    )


@requires(Can.EDIT, on="pk")
@require_http_methods(["GET", "POST"])
def edit(request, org):
    return form_page(
        request, OrganisationForm(request.POST or None, instance=org),
        action=lambda data: services.update_organisation(scope=request.scope, organisation=org, **data),
        success=_("Se guardaron los cambios."), then=to("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"org": org, "title": _("Editar organización")},
    )


def _require_on_parent(request, org) -> None:
    """Status and placement are decided by whoever registers organisations above this one."""
    target = org.parent or org
    if not request.scope.holds(Can.CREATE_CHILD if org.parent_id else Can.EDIT, target):
        raise PermissionDenied(_("Solo la coordinación de la organización superior puede hacer este cambio."))


@requires(Can.VIEW, on="pk")
@require_http_methods(["GET", "POST"])
def change_status(request, org):
    _require_on_parent(request, org)
    return form_page(
        request, StatusForm(request.POST or None, initial={"status": org.status, "reason": org.status_reason}),
        action=lambda data: services.set_status(scope=request.scope, organisation=org, **data),
        success=_("Se actualizó el estado."), then=to("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"org": org, "title": _("Cambiar estado")},
    )


@requires(Can.VIEW, on="pk")
@require_http_methods(["GET", "POST"])
def move(request, org):
    if org.parent is None:
        raise PermissionDenied(_("La organización raíz no se mueve."))
    _require_on_parent(request, org)
    choices = (
        selectors.visible_organisations(request.scope, Can.CREATE_CHILD)
        .filter(kind__in=org.kind.may_be_inside.all())
        .exclude(path__startswith=org.path)
        .order_by("name")
    )
    return form_page(
        request, MoveForm(request.POST or None, choices=choices, initial={"new_parent": org.parent_id}),
        action=lambda data: services.move_organisation(scope=request.scope, organisation=org, **data),
        success=_("Se movió %(org)s con todas sus organizaciones.") % {"org": org.name},
        then=to("orgs:detail", pk=org.pk),
        template="orgs/form.html", context={"org": org, "title": _("Mover organización")},
    )


@requires(Can.VALIDATE, on="pk")
@require_http_methods(["GET", "POST"])
def requirements(request, org):
    checks = {c.item_id: c for c in org.requirement_checks.all()}
    form = RequirementForm(request.POST or None, checks=checks)

    @transaction.atomic  # the whole list or nothing, so a date refused halfway leaves no part saved
    def save_changed(data):
        for item in form.items:
            ok, on, note = data[f"{item.code}__ok"], data[f"{item.code}__on"], data[f"{item.code}__note"]
            existing = checks.get(item.code)
            unchanged = (ok and existing and existing.verified_on == on and existing.note == note) or \
                (not ok and not existing)
            if not unchanged:
                services.verify_requirement(scope=request.scope, organisation=org, item=item,
                                            verified_on=on, note=note, verified=ok)

    return form_page(
        request, form, action=save_changed,
        success=_("Se guardó la lista de requisitos."), then=to("orgs:detail", pk=org.pk),
        template="orgs/requirements.html", context={"org": org},
    )
