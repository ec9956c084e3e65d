"""Accounts and roles. A role is granted on an organisation and holds for its subtree
(except a kitchen leader's, which holds for her organisation alone)."""

import datetime
import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_username_has_letter(value: str) -> None:
    """A leader logs in with her username or her phone number in the same box, so a username
    without a letter could be read as someone's phone: '905796393' made by anyone else would
    take that leader's login by phone."""
    if not re.search(r"[^\W\d_]", value or ""):
        raise ValidationError(
            _("El usuario debe tener al menos una letra: uno hecho solo de números se confundiría con un "
              "celular. Por ejemplo: rosa.quispe"),
            code="username_without_letter",
        )


class User(AbstractUser):
    """A person who logs in, with a username or her phone number."""

    # AbstractUser's field, plus the rule above; also what `createsuperuser` checks.
    username = models.CharField(
        _("username"), max_length=150, unique=True,
        help_text=_("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
        validators=[UnicodeUsernameValidator(), validate_username_has_letter],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    phone = models.CharField(_("celular"), max_length=15, unique=True, null=True, blank=True)
    person = models.OneToOneField(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="account",
        verbose_name=_("persona"),
    )
    must_change_password = models.BooleanField(default=False)
    created_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = UserManager()

    class Meta:
        verbose_name = _("cuenta")
        verbose_name_plural = _("cuentas")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    LEADER = "leader", _("Dirigenta de organización")
    COORDINATOR = "coordinator", _("Coordinadora")
    NATIONAL_ADMIN = "national_admin", _("Administración nacional")
    VIEWER = "viewer", _("Observadora (solo cifras)")
    PLATFORM_ADMIN = "platform_admin", _("Administración de la plataforma")
    DEFENDER = "defender", _("Defensora comunitaria")


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="grants",
                                     verbose_name=_("organización"))
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rol asignado")
        verbose_name_plural = _("roles asignados")
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="one_grant")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.organisation}"


class LoginFailure(models.Model):
    """A failed login, kept for throttling. Old rows are pruned by the periodic job."""

    identifier = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)


class OneTimeCode(models.Model):
    """A code a coordinator hands to a leader (on paper, by voice, later by SMS) so she can set
    her own password: for a new account or a forgotten password. Stored hashed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    code_hash = models.CharField(max_length=128)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()

    @staticmethod
    def default_expiry() -> datetime.datetime:
        return timezone.now() + datetime.timedelta(hours=settings.AYNI_RESET_CODE_HOURS)
