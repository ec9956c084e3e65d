"""Home pages per role, and the health check."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from ayni.accounts.models import Role
from ayni.accounts.scope import Can
from ayni.audit.models import AuditEntry
from ayni.core import panels, registry
from ayni.governance.selectors import home_assemblies
from ayni.kitchens.models import DailyReport
from ayni.kitchens.selectors import home_panel as kitchens_home_panel
from ayni.leadership.selectors import boards_ending, succession
from ayni.orgs import selectors as org_selectors
from ayni.orgs.access import requires
from ayni.orgs.models import Organisation, RequirementItem
from ayni.orgs.selectors import get_organisation
from ayni.people import selectors as people_selectors
from ayni.rolls.models import RollEntry
from ayni.rolls.selectors import duplicate_queue


def _own_panels(scope, own: list, today) -> list[dict]:
    """A leader's own organisations (where she sees names): board, socias, requirements still
    missing and, for a kitchen, its roll — the socias and requirements of all of them in one
    query, then one query per board and one per kitchen's roll."""
    if not own:
        return []
    for org in own:
        scope.require(Can.VIEW_PERSONAL, org)
    current = Q(memberships__since__lte=today) & (Q(memberships__until__isnull=True) | Q(memberships__until__gte=today))
    items = RequirementItem.objects.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
    counts = {row["pk"]: row for row in Organisation.objects.filter(pk__in=[o.pk for o in own]).values("pk").annotate(
        members=Count("memberships", filter=current, distinct=True),
        checks=Count("requirement_checks", distinct=True),
        items=Subquery(items.values("n")[:1]),
        # For the kitchens' panel: today's report of each of them, or its absence.
        reported=Exists(DailyReport.objects.filter(kitchen=OuterRef("pk"), date=today)))}
    for org in own:
        org.reported = counts[org.pk]["reported"]
    return [
        {"org": org, "board": list(people_selectors.board_of(scope, org, today)),
         "members": counts[org.pk]["members"], "missing": counts[org.pk]["items"] - counts[org.pk]["checks"],
         # Who eats here (the roll) is not who belongs to the organisation (its socias): the
         # home shows both, each with its own button, so one is not taken for the other. The
         # kitchens under her organisation first, then their roll by its kitchen index (SQLite
         # would otherwise read every roll entry to test its kitchen's path).
         "roll": RollEntry.objects.current(today).filter(
             kitchen__in=Organisation.objects.filter(path__startswith=org.path).values("pk")).count()
         if org.kind.is_kitchen else None}
        for org in own
    ]


def _above_context(scope, roots: list, today, personal: bool) -> dict:
    """What the kept parts of the home page show (`panels.render_parts`)."""
    context = {"roots": [(org, org_selectors.subtree_summary(scope, org)) for org in roots[:10]]}
    if personal:
        # Board terms ending within six months, read once: the first of them end within 60 days
        # (the list of terms ending), the first ten are the succession list's.
        ending = boards_ending(scope, on=today, limit=20)
        context["terms_ending"] = [p for p in ending if p.ends_on <= today + datetime.timedelta(days=60)]
        context["without_board"] = people_selectors.organisations_without_board(scope, on=today).count()
        # Who is ready to take over each board whose term ends within six months (two queries).
        context["succession"] = succession(scope, on=today, limit=10, ending=ending)
    return context


@login_required
def home(request):
    scope = request.scope
    role = scope.home_role
    today = timezone.localdate()
    context = {"role": role, "Role": Role}
    roots = list(org_selectors.scope_roots(scope))
    own, own_kitchens = [], None
    if role == Role.LEADER:
        # Her own organisations: where she sees names (a leader who is also a viewer higher up
        # sees that organisation's figures above, never its board).
        own = [org for org in roots if scope.holds(Can.VIEW_PERSONAL, org)][:5]
        context["own"] = _own_panels(scope, own, today)
        # The kitchens she edits, with today's report, are among them (her leader's grants are
        # her top organisations) unless she also sees some organisation above them.
        edits = {path for path, _subtree in scope.reach(Can.EDIT)}
        if edits <= {org.path for org in own}:
            own_kitchens = sorted((org for org in own if org.path in edits and org.kind.is_kitchen),
                                  key=lambda org: org.name)[:5]
    # The figures of the organisations she sees from above (shown when she has none of her own)
    # and, for those who see names, the boards' terms ending and their succession: kept once per
    # reach and revision for every viewer who sees the same (core/panels.py).
    if role != Role.LEADER:
        personal = scope.holds(Can.VIEW_PERSONAL)
        context.update(panels.kept_parts(scope, today, lambda: panels.render_parts(
            _above_context(scope, roots, today, personal)), personal=personal))
    elif not own:
        context["roots_html"] = panels.render_parts(_above_context(scope, roots, today, False))["roots_html"]
    if scope.holds(Can.AUDIT):
        context["recent"] = AuditEntry.objects.filter(scope.q(Can.AUDIT, prefix="org_")).select_related(
            "actor")[:8]
    context["kitchens_home"] = kitchens_home_panel(scope, today, roots=roots, own=own_kitchens)
    # Her own ballots, open now in her assemblies, and the assemblies she is convened to, with
    # their agenda: a consultation over days reaches every socia with an account on the first
    # page she sees, and the convocation text may not reach a phone that was off. By her person's
    # id: her person row is not read; one query when she is convened to none.
    context["ballots"], context["convocations"] = home_assemblies(request.user.person_id)
    if scope.holds(Can.VALIDATE):  # those who review the duplicate queue
        context["open_duplicates"] = duplicate_queue(scope).count()
    return render(request, "core/home.html", context)


def healthz(request):
    """For the reverse proxy and monitoring: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


@requires(Can.VIEW, on="pk")
def organisation(request, org):
    """The organisation's page: the hub where every domain shows its part (the registry, its
    socias and board, its kitchens), so it lives above them all.

    Its registry part (the breadcrumbs, the requirements, the organisations within it with their
    counts) is the same for everyone with the same reach: kept per revision of the roll-up cells
    under it and of its ancestors' (core/registry.py). The socias and the board are read afresh
    (no write of theirs moves that revision)."""
    scope = request.scope
    personal = scope.holds(Can.VIEW_PERSONAL, org)
    today = timezone.localdate()
    kept = registry.kept(scope, org)
    context = {
        "org": org,
        # Rendered by the templates of core/registry.py.
        "crumbs": mark_safe(kept["crumbs"]),  # noqa: S308
        "requirements": mark_safe(kept["requirements"]),  # noqa: S308
        "children": mark_safe(kept["children"]),  # noqa: S308
        "personal": personal,
        "can_edit": scope.holds(Can.EDIT, org),
        "can_create": scope.holds(Can.CREATE_CHILD, org) and kept["may_contain"],
        "can_validate": scope.holds(Can.VALIDATE, org),
        "can_manage": scope.holds(Can.MANAGE_ACCOUNTS, org),
        "can_audit": scope.holds(Can.AUDIT, org),
        "can_move": org.parent_id is not None and scope.holds(Can.CREATE_CHILD, org.parent),
    }
    if personal:
        context["board"] = list(people_selectors.board_of(scope, org, today))
        # The first 200 by name; fewer than that are all of them, and their count.
        members = list(people_selectors.members_of(scope, org, today).only(
            "since", "organisation_id", "person_id", "person__given_names", "person__paternal_surname",
            "person__maternal_surname")[:200])
        context["members"] = members
        context["member_count"] = len(members) if len(members) < 200 else \
            people_selectors.member_count(scope, org, today)
    else:
        context["member_count"] = people_selectors.member_count(scope, org, today)
    return render(request, "orgs/detail.html", context)


@requires(Can.AUDIT)
def audit_entries(request):
    """The audit trail of the user's subtree, or of one organisation's (`?org=`)."""
    scope = request.scope
    qs = AuditEntry.objects.filter(scope.q(Can.AUDIT, prefix="org_")).select_related("actor")
    org = None
    if request.GET.get("org"):
        org = get_organisation(scope, request.GET["org"], Can.AUDIT)
        qs = qs.filter(org_path__startswith=org.path)
    page = Paginator(qs, 50).get_page(request.GET.get("pagina"))
    return render(request, "audit/entries.html", {"page": page, "org": org})
