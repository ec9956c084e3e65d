"""Demo step: the demo logins, one per kind of user, with stable usernames.

Tests and the README refer to these usernames, so they do not depend on scale or seed; what
they point at does (which federation is "Lima's first" is fixed by the plan, see `plan.py`).
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from ayni.accounts.models import Role, RoleGrant, User
from ayni.demo.context import FEDERATION_KINDS, Account, DemoContext, Node
from ayni.people.models import Person


@dataclass
class DemoLogin:
    username: str
    role: str
    node: Node
    person_id: int | None = None
    superuser: bool = False
    first_name: str = ""
    last_name: str = ""


def _kitchen_for_leader(ctx: DemoContext, within: Node, taken: set[int]) -> Node | None:
    """An active comedor with a current presidenta who holds no federation office, preferring one
    who has a phone (the leader logs in with it)."""
    federation_people = {pid for n in ctx.nodes if n.kind in FEDERATION_KINDS for pid in n.board.values()}
    candidates = [
        n for n in within.walk()
        if n.kind == "comedor-popular" and n.is_active and "presidenta" in n.board
        and n.board["presidenta"] not in federation_people and n.board["presidenta"] not in taken
    ]
    phones = {m.person_id for n in candidates for m in n.members if m.has_phone}
    with_phone = [n for n in candidates if n.board["presidenta"] in phones]
    return (with_phone or candidates or [None])[0]


def _plan_logins(ctx: DemoContext) -> list[DemoLogin]:
    conf = ctx.confederation
    provincial = ctx.by_kind["federacion-provincial"]
    lima = next(n for n in provincial if n.key == "lima-sur")
    other = next(n for n in provincial if n.key == "arequipa")
    district = next((n for n in lima.children if n.kind == "federacion-distrital"), lima)
    logins = [
        DemoLogin("admin", Role.PLATFORM_ADMIN, conf, superuser=True,
                  first_name=_("Administración"), last_name="Ayni"),
        DemoLogin("nacional", Role.NATIONAL_ADMIN, conf, conf.board.get("presidenta")),
        DemoLogin("coordinadora", Role.COORDINATOR, lima, lima.board.get("presidenta")),
        DemoLogin("coordinadora2", Role.COORDINATOR, other, other.board.get("presidenta")),
        DemoLogin("coord.distrital", Role.COORDINATOR, district, district.board.get("presidenta")),
    ]
    taken: set[int] = set()
    for username, within in (("dirigenta", district), ("dirigenta2", other)):
        kitchen = _kitchen_for_leader(ctx, within, taken) or _kitchen_for_leader(ctx, ctx.confederation, taken)
        if kitchen is None:
            ctx.notes.append(_("No hay comedor activo con presidenta para la cuenta %(u)s.") % {"u": username})
            continue
        taken.add(kitchen.board["presidenta"])
        logins.append(DemoLogin(username, Role.LEADER, kitchen, kitchen.board["presidenta"]))
    logins.append(DemoLogin("observadora", Role.VIEWER, conf, first_name=_("Observadora"), last_name=_("Aliada")))
    # One person, one account: a leader who presides over two levels keeps the first one.
    linked: set[int] = set()
    for login in logins:
        if login.person_id in linked:
            login.person_id = None
        elif login.person_id is not None:
            linked.add(login.person_id)
    return logins


def _new_phone(ctx: DemoContext) -> str:
    while True:
        phone = f"9{ctx.rng.randint(0, 99_999_999):08d}"
        if phone not in ctx.used_phones:
            ctx.used_phones.add(phone)
            return phone


def generate_accounts(ctx: DemoContext) -> None:
    password_hash = make_password(ctx.password)  # hashed once: the slow hasher runs one time
    logins = _plan_logins(ctx)
    people = Person.objects.in_bulk([lg.person_id for lg in logins if lg.person_id])
    existing = {u.username: u for u in User.objects.filter(username__in=[lg.username for lg in logins])}
    for login in logins:
        person = people.get(login.person_id)
        user = existing.get(login.username)
        password = ctx.password
        if user is None:
            if person is not None and not person.phone:
                # Leaders log in with their phone number; every demo leader gets one.
                person.phone = _new_phone(ctx)
                person.save(update_fields=["phone"])
            user = User(
                username=login.username, password=password_hash, must_change_password=False,
                is_superuser=login.superuser, is_staff=login.superuser, person=person,
                first_name=person.given_names if person else login.first_name,
                last_name=(f"{person.paternal_surname} {person.maternal_surname}".strip() if person
                           else login.last_name),
                phone=(person.phone or None) if person else None,
            )
            user.save()
            ctx.counts["users"] += 1
        else:
            password = _("(sin cambios)")
            ctx.notes.append(_("La cuenta «%(u)s» ya existía: se le añadió el rol, sin cambiar su contraseña.")
                             % {"u": login.username})
        RoleGrant.objects.get_or_create(user=user, organisation=login.node.org, role=login.role)
        ctx.counts["grants"] += 1
        ctx.accounts.append(Account(login.username, user.phone or "", str(Role(login.role).label),
                                    login.node.org.name, password))
    ctx.progress.update(1)
