"""The one place where "what may this user see and do" is decided.

A user's roles become, per capability, a list of organisation paths: a prefix (the whole
subtree) or an exact path (a kitchen leader's own organisation). Selectors turn that into one
`Q` on `path`, so no view filters by hand and no query forgets the scope.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from ayni.accounts.models import Role, RoleGrant


class Can(StrEnum):
    VIEW = "view"  # the organisation and its aggregates: counts, never names
    VIEW_PERSONAL = "view_personal"  # names, DNI, phones of its people
    EDIT = "edit"  # the organisation's own data, members and board
    CREATE_CHILD = "create_child"  # register organisations below it, move them
    MANAGE_ACCOUNTS = "manage_accounts"  # create, reset and deactivate accounts below it
    VALIDATE = "validate"  # verify documents, validate monthly reports
    AUDIT = "audit"  # read the audit trail
    PROTECT = "protect"  # record protection cases there (a defensora's); reading one is `reads_case`


# Need-to-know capabilities: no coordinator, national board or platform admin holds them by rank.
NEED_TO_KNOW = frozenset({Can.PROTECT})
_BY_RANK = set(Can) - NEED_TO_KNOW


# For each role: the capabilities it gives, and whether they hold on the subtree (True) or on
# the organisation alone (False).
ROLE_CAPABILITIES: dict[str, tuple[set[Can], bool]] = {
    Role.LEADER: ({Can.VIEW, Can.VIEW_PERSONAL, Can.EDIT}, False),
    Role.COORDINATOR: (_BY_RANK, True),
    Role.NATIONAL_ADMIN: (_BY_RANK, True),
    Role.VIEWER: ({Can.VIEW}, True),
    Role.PLATFORM_ADMIN: (_BY_RANK, True),
    Role.DEFENDER: ({Can.PROTECT}, True),
}

# Which roles each role may hand out (never more than it holds itself).
GRANTABLE = {
    Role.COORDINATOR: [Role.LEADER, Role.COORDINATOR, Role.VIEWER, Role.DEFENDER],
    Role.NATIONAL_ADMIN: [Role.LEADER, Role.COORDINATOR, Role.VIEWER, Role.NATIONAL_ADMIN, Role.DEFENDER],
    Role.PLATFORM_ADMIN: list(Role),
}


@dataclass
class Scope:
    """What one caller may see and do. The web request carries it (`request.scope`, from the
    middleware), the API key carries its owner's; services take it as `scope=` and never
    re-resolve an account. Work that no account authorises — a command run on the server, a
    scheduled task, the demo generator, a text message authorised by the phone it came from —
    runs under `Scope.system(reason)`, and the reason goes into the audit trail."""

    user_id: int | None
    grants: list[tuple[str, str]] = field(default_factory=list)  # (role, path)
    is_superuser: bool = False
    # The account acting, for `created_by` fields and the audit trail; None for the system.
    user: object = field(default=None, repr=False, compare=False)
    # Non-empty only for the system scope: why no account is needed.
    system_reason: str = ""

    @classmethod
    def for_user(cls, user) -> "Scope":
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls(user_id=None)
        # Read with the account by the authentication backend (`backends.GRANTS_READ`), for the
        # request's scope only: popped, so any later scope of the same object asks afresh.
        grants = getattr(user, "_grants_read", None)
        if grants is not None:
            del user._grants_read  # the request's user is a lazy object: its own __dict__ is not hers
        else:
            grants = [
                (role, path)
                for role, path in user.grants.values_list("role", "organisation__path")
            ]
        return cls(user_id=user.pk, grants=grants, is_superuser=user.is_superuser, user=user)

    @classmethod
    def for_users(cls, users) -> dict[int, "Scope"]:
        """`for_user` for many accounts at once (a batch of submissions from many phones), their
        grants read in one query: user id → scope."""
        users = list(users)
        grants: dict[int, list] = {u.pk: [] for u in users}
        active = [u.pk for u in users if getattr(u, "is_authenticated", False) and u.is_active]
        if active:
            for user_id, role, path in (RoleGrant.objects.filter(user_id__in=active)
                                        .values_list("user_id", "role", "organisation__path")):
                grants[user_id].append((role, path))
        return {u.pk: cls(user_id=u.pk, grants=grants[u.pk], is_superuser=u.is_superuser, user=u)
                if u.pk in active else cls(user_id=None) for u in users}

    @classmethod
    def system(cls, reason: str) -> "Scope":
        """Every capability, for work authorised by its channel rather than by an account."""
        if not reason.strip():
            raise ValueError("the system scope needs a reason, recorded in the audit trail")
        return cls(user_id=None, system_reason=reason.strip())

    @classmethod
    def acting_for(cls, user, *, otherwise: str | None) -> "Scope":
        """The scope of work done for a stored account after its request is gone — a file read by
        the task worker for its uploader, a stored submission replayed — so it sees no more than
        she would. Without an account: the system, for the reason `otherwise` gives, or no rights
        at all when `otherwise` is None."""
        if user is not None:
            return cls.for_user(user)
        return cls.system(otherwise) if otherwise else cls(user_id=None)

    @property
    def is_system(self) -> bool:
        return bool(self.system_reason)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.is_system

    @property
    def actor(self):
        """The account to name in `created_by`-style fields (None for the system)."""
        return self.user

    @cached_property
    def roles(self) -> set[str]:
        return {role for role, _path in self.grants}

    @property
    def is_platform_admin(self) -> bool:
        return self.is_system or self.is_superuser or Role.PLATFORM_ADMIN in self.roles

    def reach(self, can: Can) -> list[tuple[str, bool]]:
        """(path, whole_subtree) pairs where the capability holds."""
        out = []
        for role, path in self.grants:
            caps, subtree = ROLE_CAPABILITIES[role]
            if can in caps:
                out.append((path, subtree))
        return out

    def _by_rank(self, can: Can) -> bool:
        """Every capability for the system and an admin, except need-to-know ones for an admin."""
        return self.is_system or (self.is_platform_admin and can not in NEED_TO_KNOW)

    def q(self, can: Can, prefix: str = "") -> Q:
        """A filter on `<prefix>path` for the organisations where the capability holds."""
        if self._by_rank(can):
            return Q()
        reach = self.reach(can)
        if not reach:
            return Q(pk__in=[])
        query = Q()
        for path, subtree in reach:
            query |= Q(**{f"{prefix}path__startswith" if subtree else f"{prefix}path": path})
        return query

    def holds(self, can: Can, org=None) -> bool:
        """The yes/no question: may this caller `can` on `org` — or, without an organisation,
        anywhere at all (does a validation queue, an audit page, concern her)?"""
        if self.is_anonymous:
            return False
        if self._by_rank(can):
            return True
        if org is None:
            return bool(self.reach(can))
        return any(org.path.startswith(p) if sub else org.path == p for p, sub in self.reach(can))

    def require(self, can: Can, org) -> None:
        """Raise 404 when the organisation is out of sight, 403 when seen but not allowed."""
        if self.holds(can, org):
            return
        if can is not Can.VIEW and self.holds(Can.VIEW, org):
            raise PermissionDenied(_("No tiene permiso para esta acción en %(org)s.") % {"org": org.name})
        raise Http404(_("Organización no encontrada."))

    def reads_case(self, *, defender_id: int | None, supervisor_id: int | None,
                   glass_until=None, now=None) -> bool:
        """Need-to-know, for a protection case: only its assigned defensora and the one supervisor
        named for its federation, while each still holds the defensora role — never a
        coordinator, the national board, an admin or the system by rank. An admin reads through
        break-glass alone (a written reason, until `glass_until`), which the caller has logged
        and the supervisor has been told of."""
        if self.user_id is None or self.is_system:
            return False
        if Role.DEFENDER in self.roles and self.user_id in (defender_id, supervisor_id):
            return True
        return (glass_until is not None and now is not None and glass_until > now
                and (self.is_superuser or Role.PLATFORM_ADMIN in self.roles))

    def grantable_roles(self, org) -> list[str]:
        """Roles this user may grant on `org` (already known to be in her account scope)."""
        if self.is_platform_admin:
            return list(Role)
        roles: list[str] = []
        for role, path in self.grants:
            if org.path.startswith(path) and ROLE_CAPABILITIES[role][1]:
                roles += [r for r in GRANTABLE.get(role, []) if r not in roles]
        return roles

    @property
    def home_role(self) -> str | None:
        """The broadest role, which picks the home page."""
        for role in (Role.PLATFORM_ADMIN, Role.NATIONAL_ADMIN, Role.COORDINATOR, Role.LEADER, Role.VIEWER):
            if role in self.roles:
                return role
        return Role.PLATFORM_ADMIN if self.is_superuser else None
