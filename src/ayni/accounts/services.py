"""Accounts: creation by coordinators, one-time codes, deactivation, login throttling."""

import datetime
import math
import re
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ayni.accounts.models import LoginFailure, OneTimeCode, Role, RoleGrant, User, validate_username_has_letter
from ayni.accounts.scope import Can, Scope
from ayni.audit.services import record
from ayni.lib.phone import normalize_phone

if TYPE_CHECKING:  # accounts sits below orgs: the tree is only named here, never imported
    from ayni.orgs.models import Organisation

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over a bad line
# What a phone number looks like typed: digits with spaces, dashes, dots, brackets or a +.
PHONE_LIKE = re.compile(r"[\d\s+\-().]+")


def find_account(identifier: str) -> User | None:
    """The account a person means by what she typed in "Usuario o celular": her phone number in
    any spelling ('905796393', '+51905796393', '905 796 393'), or her username in any case.
    The one lookup for logging in, one-time codes, throttling and granting roles.

    A phone number is looked up as a phone first, so that an account whose username happens to
    be digits (made before usernames needed a letter) cannot take a leader's login by phone."""
    text = (identifier or "").strip()
    if not text:
        return None
    if PHONE_LIKE.fullmatch(text):
        try:
            phone = normalize_phone(text)
        except ValidationError:
            phone = None
        account = User.objects.filter(phone=phone).first() if phone else None
        if account is not None:
            return account
    return User.objects.filter(username__iexact=text).first()


def managed_accounts(scope: Scope):
    """Accounts whose every grant sits where the user may manage accounts."""
    if scope.is_platform_admin:
        return User.objects.all()
    allowed = scope.q(Can.MANAGE_ACCOUNTS, prefix="organisation__")
    return (
        User.objects.filter(grants__in=RoleGrant.objects.filter(allowed))
        .exclude(grants__in=RoleGrant.objects.exclude(allowed))
        .exclude(is_superuser=True)
        .distinct()
    )


def _audit_path(user: User) -> str:
    grant = user.grants.select_related("organisation").first()
    return grant.organisation.path if grant else ""


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _issue(user: User, scope: Scope) -> str:
    code = _new_code()
    OneTimeCode.objects.filter(user=user, used_at__isnull=True).update(expires_at=timezone.now())
    OneTimeCode.objects.create(user=user, code_hash=make_password(code), created_by=scope.actor,
                               expires_at=OneTimeCode.default_expiry())
    return code


@transaction.atomic
def create_account(*, scope: Scope, username: str, organisation: "Organisation", role: str, phone: str = "",
                   first_name: str = "", last_name: str = "", person=None) -> tuple[User, str]:
    """Create an account with one role, and return it with the one-time code to hand over."""
    scope.require(Can.MANAGE_ACCOUNTS, organisation)
    if role not in scope.grantable_roles(organisation):
        raise PermissionDenied(_("No puede asignar el rol «%(role)s».") % {"role": Role(role).label})
    username = username.strip().lower()
    errors = {}
    if not username:
        errors["username"] = _("Escriba un nombre de usuario.")
    else:
        try:
            validate_username_has_letter(username)
        except ValidationError as exc:
            errors["username"] = exc.messages[0]
    if "username" not in errors and User.objects.filter(username__iexact=username).exists():
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
                last_name=last_name.strip(), person=person, created_by=scope.actor, must_change_password=True)
    user.set_unusable_password()
    user.save()
    RoleGrant.objects.create(user=user, organisation=organisation, role=role, granted_by=scope.actor)
    code = _issue(user, scope)
    record(scope=scope, action="account.create", obj=user, org_path=organisation.path,
           after={"username": username, "role": role, "organisation": organisation.pk})
    return user, code


def require_manages(scope: Scope, user: User) -> None:
    if not managed_accounts(scope).filter(pk=user.pk).exists():
        raise PermissionDenied(_("Esta cuenta no está a su cargo."))


@transaction.atomic
def issue_reset_code(*, scope: Scope, user: User) -> str:
    """A new one-time code for a leader who forgot her password (the old one stops working)."""
    require_manages(scope, user)
    code = _issue(user, scope)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    record(scope=scope, action="account.reset_code", obj=user, org_path=_audit_path(user))
    return code


@transaction.atomic
def set_active(*, scope: Scope, user: User, active: bool) -> User:
    require_manages(scope, user)
    if user.pk == scope.user_id:
        raise ValidationError(_("No puede desactivar su propia cuenta."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(scope=scope, action="account.activate" if active else "account.deactivate", obj=user,
           org_path=_audit_path(user), before={"is_active": not active}, after={"is_active": active})
    return user


@transaction.atomic
def grant_role(*, scope: Scope, user: User, organisation: "Organisation", role: str) -> RoleGrant:
    scope.require(Can.MANAGE_ACCOUNTS, organisation)
    require_manages(scope, user)
    if role not in scope.grantable_roles(organisation):
        raise PermissionDenied(_("No puede asignar el rol «%(role)s».") % {"role": Role(role).label})
    grant, _created = RoleGrant.objects.get_or_create(user=user, organisation=organisation, role=role,
                                                     defaults={"granted_by": scope.actor})
    record(scope=scope, action="account.grant", obj=user, org_path=organisation.path,
           after={"role": role, "organisation": organisation.pk})
    return grant


@transaction.atomic
def revoke_role(*, scope: Scope, grant: RoleGrant) -> None:
    scope.require(Can.MANAGE_ACCOUNTS, grant.organisation)
    if grant.user.grants.count() == 1:
        raise ValidationError(_("Es el único rol de la cuenta; desactive la cuenta en su lugar."))
    record(scope=scope, action="account.revoke", obj=grant.user, org_path=grant.organisation.path,
           before={"role": grant.role, "organisation": grant.organisation_id})
    grant.delete()


@transaction.atomic
def redeem_code(*, identifier: str, code: str, new_password: str) -> User:
    """Set a password with a one-time code. Errors say what is wrong without telling which of
    user or code was the wrong one."""
    wrong = ValidationError(_("El usuario o el código no son correctos, o el código ya venció."))
    user = find_account(identifier)
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
    # She acts on her own account, authorised by the code: the scope names her and holds nothing.
    record(scope=Scope(user_id=user.pk, user=user), action="account.code_redeemed", obj=user,
           org_path=_audit_path(user))
    return user


def change_password(*, scope: Scope, new_password: str) -> None:
    """The signed-in person sets her own password."""
    user = scope.actor
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record(scope=scope, action="account.password_changed", obj=user, org_path=_audit_path(user))


# --- Throttling ---------------------------------------------------------------------------------
# Two limits for two dangers, both counted over the last AYNI_LOGIN_WINDOW_MINUTES:
# - guessing one account's password: after AYNI_LOGIN_MAX_FAILURES failures the account is locked
#   until the window passes (or her coordinator's code lets her in). Failures are counted against
#   the account, however its phone or username was written.
# - trying many accounts from one address: after four times as many failures from the address,
#   each further attempt from it waits 1, 2, 4 … seconds after the last failure, up to
#   AYNI_LOGIN_ADDRESS_MAX_WAIT_SECONDS. A slow-down, never a lock: a community centre, a phone
#   company's shared address or a misconfigured proxy carries many leaders, and one person
#   failing there must not shut the others out. Attempts refused by either limit are not counted.
# The address is `ayni.lib.net.client_address(request)`, the same for every throttled page.

def _window_start() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.AYNI_LOGIN_WINDOW_MINUTES)


def _failure_key(identifier: str) -> str:
    """What failures are counted against: the account when there is one, else what was typed
    (a phone number in one spelling)."""
    account = find_account(identifier)
    if account is not None:
        return account.username.lower()[:150]
    text = (identifier or "").strip().lower()
    if PHONE_LIKE.fullmatch(text):
        try:
            return normalize_phone(text)
        except ValidationError:
            pass
    return text[:150]


def address_wait_seconds(address: str | None) -> int:
    """How long this address must still wait before its next attempt is checked (0: none)."""
    if not address:
        return 0
    recent = LoginFailure.objects.filter(at__gte=_window_start(), address=address).aggregate(n=Count("id"),
                                                                                            last=Max("at"))
    over = recent["n"] - settings.AYNI_LOGIN_MAX_FAILURES * 4
    if over < 0:
        return 0
    wait = min(2 ** min(over, 20), settings.AYNI_LOGIN_ADDRESS_MAX_WAIT_SECONDS)
    remaining = (recent["last"] + datetime.timedelta(seconds=wait) - timezone.now()).total_seconds()
    return max(0, math.ceil(remaining))


def account_locked(identifier: str) -> bool:
    recent = LoginFailure.objects.filter(at__gte=_window_start(), identifier=_failure_key(identifier))
    return recent.count() >= settings.AYNI_LOGIN_MAX_FAILURES


def check_login_throttle(identifier: str, address: str | None) -> None:
    """Raise a Spanish ValidationError when this attempt must not even be checked: code
    'locked' (the account) or 'wait' (the address)."""
    if identifier and account_locked(identifier):
        raise ValidationError(
            _("Demasiados intentos fallidos. Espere %(minutes)s minutos o pida un código a su coordinadora."),
            params={"minutes": settings.AYNI_LOGIN_WINDOW_MINUTES}, code="locked")
    seconds = address_wait_seconds(address)
    if seconds:
        raise ValidationError(
            ngettext("Hubo muchos intentos fallidos desde esta conexión. Espere %(seconds)s segundo e intente de "
                     "nuevo.",
                     "Hubo muchos intentos fallidos desde esta conexión. Espere %(seconds)s segundos e intente de "
                     "nuevo.", seconds),
            params={"seconds": seconds}, code="wait")


def note_login_failure(identifier: str, address: str | None) -> None:
    LoginFailure.objects.create(identifier=_failure_key(identifier), address=address or None, at=timezone.now())


def clear_login_failures(identifier: str) -> None:
    LoginFailure.objects.filter(identifier=_failure_key(identifier)).delete()


def prune_login_failures() -> int:
    deleted, _ = LoginFailure.objects.filter(Q(at__lt=_window_start())).delete()
    return deleted
