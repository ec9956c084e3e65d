from django.contrib.auth.backends import ModelBackend

from ayni.accounts.models import User
from ayni.accounts.services import find_account

# The attribute on which `get_user` leaves the grants it read with the account, for the request's
# scope (`Scope.for_user` takes them once, then asks the database as before).
GRANTS_READ = "_grants_read"


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with the username or the phone number, whichever the leader remembers."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = find_account(username)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing hint
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in account of every request, with her roles and their organisations' paths
        in the same query (one row per grant): every page builds her scope from them, and a
        second query for them cost every page about half a millisecond of CPU on PostgreSQL."""
        fields = [f.attname for f in User._meta.concrete_fields]
        queryset = User._default_manager.filter(pk=user_id).order_by("grants__pk")
        rows = list(queryset.values_list(*fields, "grants__role", "grants__organisation__path"))
        if not rows:
            return None
        n = len(fields)
        user = User.from_db(queryset.db, fields, rows[0][:n])
        setattr(user, GRANTS_READ, [(row[n], row[n + 1]) for row in rows if row[n] is not None])
        return user if self.user_can_authenticate(user) else None
