"""Accounts: creation by coordinators, one-time codes, deactivation, login throttling."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.accounts.models import LoginFailure, OneTimeCode, Role, RoleGrant, User
from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record
from ayni.lib.phone import normalize_phone
from ayni.orgs.models import Organisation

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over a bad line


def managed_accounts(scope: Scope):
    """Accounts whose every grant sits where the user may manage accounts."""
    if scope.is_platform_admin:
        return User.objects.all()
    allowed = Organisation.objects.filter(scope.q(Can.MANAGE_ACCOUNTS))
    return (
        User.objects.filter(grants__organisation__in=allowed)
        .exclude(grants__in=RoleGrant.objects.exclude(organisation__in=allowed))
        .exclude(is_superuser=True)
        .distinct()
    )


def _audit_path(user: User) -> str:
    grant = user.grants.select_related("organisation").first()
    return grant.organisation.path if grant else ""


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _issue(user: User, actor) -> str:
    code = _new_code()
    OneTimeCode.objects.filter(user=user, used_at__isnull=True).update(expires_at=timezone.now())
    OneTimeCode.objects.create(user=user, code_hash=make_password(code), created_by=actor,
                               expires_at=OneTimeCode.default_expiry())
    return code


@transaction.atomic
def create_account(*, actor, username: str, organisation: Organisation, role: str, phone: str = "",
                   first_name: str = "", last_name: str = "", person=None) -> tuple[User, str]:
    """Create an account with one role, and return it with the one-time code to hand over."""
    scope = Scope.for_user(actor)
    scope.require(Can.MANAGE_ACCOUNTS, organisation)
    if role not in scope.grantable_roles(organisation):
        raise PermissionDenied(_("No puede asignar el rol «%(role)s».") % {"role": Role(role).label})
    username = username.strip().lower()
    errors = {}
    if not username:
        errors["username"] = _("Escriba un nombre de usuario.")
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("El usuario «%(u)s» ya existe; elija otro.") % {"u": username}
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
        else:
            if User.objects.filter(phone=phone).exists():
                errors["phone"] = _("Ya hay una cuenta con el celular %(p)s.") % {"p": phone}
    if errors:
        raise ValidationError(errors)
    user = User(username=username, phone=phone or None, first_name=first_name.strip(),
                last_name=last_name.strip(), person=person, created_by=actor, must_change_password=True)
    user.set_unusable_password()
    user.save()
    RoleGrant.objects.create(user=user, organisation=organisation, role=role, granted_by=actor)
    code = _issue(user, actor)
    record(actor=actor, action="account.create", obj=user, org_path=organisation.path,
           after={"username": username, "role": role, "organisation": organisation.pk})
    return user, code


def require_manages(actor, user: User) -> None:
    if not managed_accounts(Scope.for_user(actor)).filter(pk=user.pk).exists():
        raise PermissionDenied(_("Esta cuenta no está a su cargo."))


@transaction.atomic
def issue_reset_code(*, actor, user: User) -> str:
    """A new one-time code for a leader who forgot her password (the old one stops working)."""
    require_manages(actor, user)
    code = _issue(user, actor)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    record(actor=actor, action="account.reset_code", obj=user, org_path=_audit_path(user))
    return code


@transaction.atomic
def set_active(*, actor, user: User, active: bool) -> User:
    require_manages(actor, user)
    if user.pk == actor.pk:
        raise ValidationError(_("No puede desactivar su propia cuenta."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(actor=actor, action="account.activate" if active else "account.deactivate", obj=user,
           org_path=_audit_path(user), before={"is_active": not active}, after={"is_active": active})
    return user


@transaction.atomic
def grant_role(*, actor, user: User, organisation: Organisation, role: str) -> RoleGrant:
    scope = Scope.for_user(actor)
    scope.require(Can.MANAGE_ACCOUNTS, organisation)
    require_manages(actor, user)
    if role not in scope.grantable_roles(organisation):
        raise PermissionDenied(_("No puede asignar el rol «%(role)s».") % {"role": Role(role).label})
    grant, _created = RoleGrant.objects.get_or_create(user=user, organisation=organisation, role=role,
                                                     defaults={"granted_by": actor})
    record(actor=actor, action="account.grant", obj=user, org_path=organisation.path,
           after={"role": role, "organisation": organisation.pk})
    return grant


@transaction.atomic
def revoke_role(*, actor, grant: RoleGrant) -> None:
    Scope.for_user(actor).require(Can.MANAGE_ACCOUNTS, grant.organisation)
    if grant.user.grants.count() == 1:
        raise ValidationError(_("Es el único rol de la cuenta; desactive la cuenta en su lugar."))
    record(actor=actor, action="account.revoke", obj=grant.user, org_path=grant.organisation.path,
           before={"role": grant.role, "organisation": grant.organisation_id})
    grant.delete()


@transaction.atomic
def redeem_code(*, identifier: str, code: str, new_password: str) -> User:
    """Set a password with a one-time code. Errors say what is wrong without telling which of
    user or code was the wrong one."""
    wrong = ValidationError(_("El usuario o el código no son correctos, o el código ya venció."))
    user = User.objects.filter(username__iexact=identifier.strip()).first()
    if user is None:
        try:
            user = User.objects.filter(phone=normalize_phone(identifier)).first()
        except ValidationError:
            user = None
    if user is None or not user.is_active:
        raise wrong
    code = code.strip().upper().replace(" ", "").replace("-", "")
    candidates = OneTimeCode.objects.select_for_update().filter(
        user=user, used_at__isnull=True, expires_at__gt=timezone.now()
    )
    match = next((c for c in candidates if check_password(code, c.code_hash)), None)
    if match is None:
        raise wrong
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    match.used_at = timezone.now()
    match.save(update_fields=["used_at"])
    record(actor=user, action="account.code_redeemed", obj=user, org_path=_audit_path(user))
    return user


def change_password(*, user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record(actor=user, action="account.password_changed", obj=user, org_path=_audit_path(user))


# --- Throttling ---------------------------------------------------------------------------------

def _window_start() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.AYNI_LOGIN_WINDOW_MINUTES)


def login_locked(identifier: str, address: str | None) -> bool:
    """Too many recent failures for this identifier, or from this address (×4: a shared
    phone or a community centre may log several leaders in)."""
    limit = settings.AYNI_LOGIN_MAX_FAILURES
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    if recent.filter(identifier=identifier.strip().lower()).count() >= limit:
        return True
    return bool(address) and recent.filter(address=address).count() >= limit * 4


def note_login_failure(identifier: str, address: str | None) -> None:
    LoginFailure.objects.create(identifier=identifier.strip().lower()[:150], address=address or None)


def clear_login_failures(identifier: str) -> None:
    LoginFailure.objects.filter(identifier=identifier.strip().lower()).delete()


def prune_login_failures() -> int:
    deleted, _ = LoginFailure.objects.filter(Q(at__lt=_window_start())).delete()
    return deleted
