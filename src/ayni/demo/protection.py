"""Demo step: protection — two defensoras and a supervisor in Lima Sur, cases of both kinds at
every status with referrals, land steps and a directory, a break-glass access by the admin and
a rotated master key. The install needs a master key: when none is configured the step makes
one in the var directory (what `make demo` does too, with `ayni protection-key --init`).

`seed_cases` writes many sealed cases in bulk, for the tests and `bench/protection.py`.
"""

import datetime
import os
import random

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils.translation import gettext as _

from ayni.accounts.models import Role, RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.demo.context import Account, DemoContext
from ayni.protection import keys, rotation, vault
from ayni.protection.models import Case, CaseKey, Referral, Service, Step
from ayni.protection.services import (
    add_referral,
    add_step,
    break_glass,
    month_after,
    name_supervisor,
    record_case,
    save_service,
    update_case,
)

ALIASES = ["Flor", "Rosa", "Lirio", "Azucena", "Retama", "Kantu", "Amancay", "Wayta", "Margarita", "Violeta",
           "Dalia", "Hortensia", "Orquídea", "Qantu", "Sara", "Tika"]
SERVICES = [
    (Service.Kind.CEM, "Centro Emergencia Mujer", "Av. Principal s/n", "01 419 7260", "lun-vie 8:00-20:00"),
    (Service.Kind.POLICE, "Comisaría del distrito", "Jr. Los Álamos 120", "105", "24 horas"),
    (Service.Kind.PROSECUTOR, "Fiscalía de Familia", "Av. Central 455", "", "lun-vie 8:00-16:45"),
    (Service.Kind.HEALTH, "Centro de Salud", "Calle 3 mz. B", "", "lun-sáb 7:30-19:30"),
    (Service.Kind.LINEA100, "Línea 100", "", "100", "24 horas"),
    (Service.Kind.LEGAL, "Consultorio jurídico gratuito", "Av. Pachacútec 900", "", "mar y jue 9:00-13:00"),
]


def ensure_master_key() -> bool:
    """A key file in the var directory when no master key is configured; True if it made one."""
    if keys.keyring_configured():
        return False
    keys.write_keyfile(settings.PROTECTION_KEY_FILE, [keys.new_key()])
    return True


def seed_cases(*, n: int, organisation, defender, district, rng: random.Random, opened_on: datetime.date,
               federation=None) -> list[int]:
    """`n` sealed violence cases with their keys, in bulk: ids chosen up front so each alias is
    sealed to its own case id before the one INSERT (and the sequence moved past them)."""
    vault.ensure_current_registered()
    start = (Case.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    month = month_after(opened_on)
    cases, case_keys = [], []
    for i in range(n):
        pk = start + i
        case_key = keys.new_key()
        kid, wrapped = keys.wrap(case_key, case_id=pk, month=month)
        alias = f"{rng.choice(ALIASES)} {pk}"
        cases.append(Case(pk=pk, organisation=organisation, federation=federation, district=district,
                          defender=defender, kind=Case.Kind.VIOLENCE, problem=rng.choice(Case.VIOLENCE_PROBLEMS),
                          age_band=rng.choice(Case.AgeBand.values), risk=rng.choice(Case.Risk.values),
                          status=Case.Status.OPEN, opened_on=opened_on, retain_until=month,
                          alias_sealed=keys.seal(case_key, case_id=pk, field="alias", text=alias)))
        case_keys.append(CaseKey(case_id=pk, kid=kid, wrapped=wrapped))
    for i in range(0, n, 2000):
        Case.objects.bulk_create(cases[i:i + 2000])
        CaseKey.objects.bulk_create(case_keys[i:i + 2000])
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(sql)
    return [c.pk for c in cases]


def _account(ctx: DemoContext, username: str, first: str, last: str, org, password_hash: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={
        "password": password_hash, "first_name": first, "last_name": last, "must_change_password": False})
    RoleGrant.objects.get_or_create(user=user, organisation=org, role=Role.DEFENDER)
    ctx.accounts.append(Account(username, user.phone or "", str(Role.DEFENDER.label), org.name,
                                ctx.password if created else _("(sin cambios)")))
    return user


def generate_protection(ctx: DemoContext) -> None:
    if ensure_master_key():
        ctx.notes.append(_("Se creó una clave maestra de protección en %(p)s: guárdela (docs/protection.md).")
                         % {"p": settings.PROTECTION_KEY_FILE})
    rng = ctx.rng
    # The cases go through the services (sealing needs them); the generator takes back the audit
    # entries they write, as for every step.
    lima = next(n for n in ctx.by_kind["federacion-provincial"] if n.key == "lima-sur")
    district_node = next((n for n in lima.children if n.kind == "federacion-distrital"), lima)
    bases = [n for n in district_node.walk() if n.kind not in ("federacion-distrital", "federacion-provincial")]
    password_hash = make_password(ctx.password)
    supervisor = _account(ctx, "supervisora", "Sabina", "Huarcaya", lima.org, password_hash)
    defenders = [_account(ctx, "defensora", "Dominga", "Quispe", district_node.org, password_hash),
                 _account(ctx, "defensora2", "Delfina", "Ccori", district_node.org, password_hash)]
    system = Scope.system("generador de datos de demostración")
    admin = User.objects.filter(username="admin").first()
    name_supervisor(scope=Scope.for_user(admin) if admin else system, federation=lima.org, account=supervisor)
    district = district_node.org.district
    for kind, name, address, phone, hours in SERVICES:
        save_service(scope=system, federation=lima.org, district=district, kind=kind, name=name, address=address,
                     phone=phone, hours=hours)
    directory = {s.kind: s for s in Service.objects.filter(federation=lima.org)}
    statuses = [Case.Status.OPEN, Case.Status.FOLLOWING, Case.Status.CLOSED]
    made = []
    for i in range(18):
        defender = defenders[i % 2]
        kind = Case.Kind.LAND if i % 3 == 2 else Case.Kind.VIOLENCE
        org = bases[i % len(bases)].org if bases else district_node.org
        opened = ctx.today - datetime.timedelta(days=rng.randint(5, 400))
        extra = {}
        if kind == Case.Kind.LAND:
            lat, lon = -12.2 - rng.random() / 10, -76.9 - rng.random() / 10
            extra = dict(problem=rng.choice([Case.Problem.INHERITANCE, Case.Problem.TITLE, Case.Problem.DISPOSSESSION]),
                         land_use=rng.choice(Case.LandUse.values), tenure=rng.choice(Case.Tenure.values),
                         parcel={"geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
                                 "area_m2": rng.randint(200, 20000)},
                         claim=_("Reconocimiento de su parte de la herencia"), involved=_("Hermanos y un tío"))
        else:
            extra = dict(problem=rng.choice(Case.VIOLENCE_PROBLEMS))
        case = record_case(scope=system, organisation=org, district=district, kind=kind, age_band=rng.choice(
            Case.AgeBand.values), risk=rng.choice(Case.Risk.values), alias=f"{rng.choice(ALIASES)} {i + 1}",
            opened_on=opened, defender=defender, notes=_("Acompañamiento semanal."), **extra)
        scope = Scope.for_user(defender)
        for j in range(rng.randint(1, 3)):
            rkind = rng.choice(list(directory)) if kind == Case.Kind.VIOLENCE else Service.Kind.LEGAL
            referral = add_referral(scope=scope, case=case, kind=rkind, service=directory.get(rkind),
                                    referred_on=opened + datetime.timedelta(days=j * 7),
                                    carry=_("Fecha y servicio"))
            Referral.objects.filter(pk=referral.pk).update(status=rng.choice(Referral.Status.values))
        if kind == Case.Kind.LAND:
            for j, before in enumerate(rng.sample(Step.Before.values, 2)):
                add_step(scope=scope, case=case, before=before, on=opened + datetime.timedelta(days=30 * j),
                         status=rng.choice(Step.Status.values))
        status = statuses[(i // 3) % 3]
        if status != Case.Status.OPEN:
            update_case(scope=scope, case=case, risk=case.risk, status=status, notes=_("Acompañamiento semanal."),
                        today=ctx.today)
        made.append(case)
    if admin is not None and made:
        break_glass(scope=Scope.for_user(admin), case_number=made[0].pk, hours=2,
                    reason=_("Demostración: la fiscalía pidió confirmar la fecha de una derivación."))
    # A rotated master key: a new key first in the file, every case key wrapped again under it.
    if not os.environ.get("AYNI_PROTECTION_KEYS"):
        ring = keys.keyring()
        keys.write_keyfile(settings.PROTECTION_KEY_FILE, [keys.new_key(), *ring.keys])
        rotation.rewrap_all()
    ctx.counts["protection_cases"] = len(made)
    ctx.progress.update(1)
