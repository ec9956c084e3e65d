"""The one gate of a page: `@requires(Can.X, on="pk")`.

A view about an organisation is decorated once; the decorator signs the person in, finds the
organisation through her scope (404 when out of sight, 403 when seen but not allowed — the
rule of `Scope.require`) and hands it to the view as its second argument, so no view looks an
organisation up by hand or forgets the admin case. A page about no single organisation (a
validation queue, the duplicate review) uses `@requires(Can.X)`: she must hold the capability
somewhere, and each selector then filters by her scope.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can
from ayni.orgs.selectors import get_organisation


def requires(can: Can, on: str | None = None):
    def decorator(view):
        @login_required
        @wraps(view)
        def gated(request, *args, **kwargs):
            if on is None:
                if not request.scope.holds(can):
                    raise PermissionDenied(_("No tiene permiso para esta página."))
                return view(request, *args, **kwargs)
            org = get_organisation(request.scope, kwargs.pop(on), can)
            return view(request, org, *args, **kwargs)

        return gated

    return decorator
