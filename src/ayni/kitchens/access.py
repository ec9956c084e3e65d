"""`@requires_kitchen(Can.X)`: the gate of a kitchen's own pages (its daily report, store, roll).

`orgs.access.requires` finds the organisation through the person's scope; a federation or a
district has no daily report, store or roll of its own, so its pages answer 404 here, as a
kitchen out of sight does.
"""

from functools import wraps

from django.http import Http404

from ayni.accounts.scope import Can
from ayni.orgs.access import requires


def requires_kitchen(can: Can, on: str = "pk"):
    def decorator(view):
        @requires(can, on=on)
        @wraps(view)
        def gated(request, org, *args, **kwargs):
            if not org.kind.is_kitchen:
                raise Http404
            return view(request, org, *args, **kwargs)

        return gated

    return decorator
