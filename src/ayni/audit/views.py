from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from ayni.accounts.scope import Can
from ayni.audit.models import AuditEntry
from ayni.orgs.selectors import get_organisation


@login_required
def entries(request):
    """The audit trail of the user's subtree, or of one organisation's (`?org=`)."""
    scope = request.scope
    if not scope.reach(Can.AUDIT) and not scope.is_platform_admin:
        raise PermissionDenied
    qs = AuditEntry.objects.filter(scope.q(Can.AUDIT, prefix="org_")).select_related("actor")
    org = None
    if request.GET.get("org"):
        org = get_organisation(scope, request.GET["org"], Can.AUDIT)
        qs = qs.filter(org_path__startswith=org.path)
    page = Paginator(qs, 50).get_page(request.GET.get("pagina"))
    return render(request, "audit/entries.html", {"page": page, "org": org})
