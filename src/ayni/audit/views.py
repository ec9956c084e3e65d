from django.core.paginator import Paginator
from django.shortcuts import render

from ayni.accounts.scope import Can
from ayni.audit.models import AuditEntry
from ayni.orgs.access import requires
from ayni.orgs.selectors import get_organisation


@requires(Can.AUDIT)
def entries(request):
    """The audit trail of the user's subtree, or of one organisation's (`?org=`)."""
    scope = request.scope
    qs = AuditEntry.objects.filter(scope.q(Can.AUDIT, prefix="org_")).select_related("actor")
    org = None
    if request.GET.get("org"):
        org = get_organisation(scope, request.GET["org"], Can.AUDIT)
        qs = qs.filter(org_path__startswith=org.path)
    page = Paginator(qs, 50).get_page(request.GET.get("pagina"))
    return render(request, "audit/entries.html", {"page": page, "org": org})
