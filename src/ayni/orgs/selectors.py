"""Scoped reads of the organisation tree. Every page and report reads through here."""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.geo.models import Country
from ayni.lib.text import fold
from ayni.orgs.models import Organisation


def visible_organisations(scope: Scope, can: Can = Can.VIEW) -> QuerySet[Organisation]:
    return Organisation.objects.filter(scope.q(can)).select_related("kind", "district")


def get_organisation(scope: Scope, pk, can: Can = Can.VIEW) -> Organisation:
    """The organisation if the user may `can` it; 404 out of sight, 403 seen but not allowed."""
    from django.http import Http404

    try:
        # The district's province and department both: its title names them (one query fewer).
        org = (Organisation.objects.select_related("kind", "parent", "district__province", "district__department")
               .get(pk=pk))
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    scope.require(can, org)
    return org


def scope_roots(scope: Scope) -> QuerySet[Organisation]:
    """The top organisations of the user's view: where her grants sit, without nesting."""
    if scope.is_platform_admin:
        return Organisation.objects.filter(parent__isnull=True).select_related("kind")
    paths = sorted({p for p, _sub in scope.reach(Can.VIEW)})
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return Organisation.objects.filter(path__in=tops).select_related("kind")


def search_organisations(scope: Scope, *, text: str = "", kind: str = "", status: str = "",
                         within: Organisation | None = None) -> QuerySet[Organisation]:
    qs = visible_organisations(scope)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    if kind:
        qs = qs.filter(kind_id=kind)
    if status:
        qs = qs.filter(status=status)
    for word in fold(text).split():
        qs = qs.filter(
            Q(name__icontains=word) | Q(district__name__icontains=word) | Q(ruos_number__icontains=word)
        )
    return qs.order_by("path")


def children_with_counts(scope: Scope, org: Organisation) -> QuerySet[Organisation]:
    """Direct children in the scope's sight, with their own direct-child counts, in one query."""
    return (
        org.children.filter(scope.q(Can.VIEW)).select_related("kind", "district")
        .annotate(n_children=Count("children", distinct=True))
        .order_by("kind__level", "name")
    )


def subtree_summary(scope: Scope, org: Organisation) -> dict:
    """Counts by kind and status across the subtree, as far as the scope sees: one grouped query."""
    rows = (
        Organisation.objects.filter(scope.q(Can.VIEW), path__startswith=org.path)
        .exclude(pk=org.pk)
        .values("kind__name_plural", "kind__level", "status")
        .annotate(n=Count("id"))
        .order_by("kind__level", "kind__name_plural")
    )
    by_kind: dict[str, dict[str, int]] = {}
    for row in rows:
        entry = by_kind.setdefault(row["kind__name_plural"], {"total": 0, "active": 0})
        entry["total"] += row["n"]
        if row["status"] == Organisation.Status.ACTIVE:
            entry["active"] += row["n"]
    return by_kind


def countries_below(parent: Organisation) -> list[tuple[str, str]]:
    """The countries a new organisation under `parent` may be of, as (code, name): any loaded
    country's under the top of the tree (a regional network crosses borders), none to choose
    below it (a federation's organisations are of its country, `services.check_country`)."""
    if parent.parent_id is not None:
        return []
    loaded = dict(Country.objects.values_list("code", "name"))
    if not set(loaded) - {"PE"}:
        return []
    loaded.setdefault("PE", str(_("Perú")))
    return sorted(loaded.items(), key=lambda item: (item[0] != parent.country, item[1]))
