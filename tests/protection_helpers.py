"""The protection cast on top of the shared world: Dora and Delia, defensoras in Villa El
Salvador; Sara, defensora of the Lima federation and its supervisor; Dina, defensora in Cusco.
A case of Dora's with a planted alias and name, and the master key in the test's own files."""

import datetime

from django.conf import settings
from django.utils import timezone

from ayni.accounts.models import Role, RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.protection import keys
from ayni.protection.models import Case, Referral, Supervisor
from ayni.protection.services import add_referral, record_case
from tests.conftest import make_user

PLANTED_ALIAS = "Zenobia Qhaliwarmi"
PLANTED_NAME = "Eulalia Tupayachi Ccorimanya"
PLANTED_NOTE = "vive junto al mercado Xochiquetzal"


def ensure_keys() -> None:
    if not keys.keyring_configured():
        keys.write_keyfile(settings.PROTECTION_KEY_FILE, [keys.new_key()])


def protection_world(w):
    """Adds the cast to `w` once (the access matrix shares one world)."""
    ensure_keys()
    if getattr(w, "dora", None) is not None and User.objects.filter(pk=w.dora.pk).exists():
        return w
    w.dora = make_user("dora", Role.DEFENDER, w.ves, phone="911111111")
    w.delia = make_user("delia", Role.DEFENDER, w.ves)
    w.sara = make_user("sara", Role.DEFENDER, w.lima, phone="922222222")
    w.dina = make_user("dina", Role.DEFENDER, w.cusco)
    Supervisor.objects.create(federation=w.lima, account=w.sara)
    return w


def a_case(w, *, defender=None, kind=Case.Kind.VIOLENCE, alias=PLANTED_ALIAS, **extra) -> Case:
    protection_world(w)
    defender = defender or w.dora
    data = dict(problem=Case.Problem.PHYSICAL, risk=Case.Risk.SEVERE, notes=PLANTED_NOTE, name=PLANTED_NAME)
    if kind == Case.Kind.LAND:
        data.update(problem=Case.Problem.INHERITANCE, land_use=Case.LandUse.FARM, tenure=Case.Tenure.HEIR,
                    parcel={"geometry": {"type": "Point", "coordinates": [-76.94, -12.21]}, "area_m2": 2500},
                    claim="la parcela de su madre", involved="dos hermanos")
    data.update(district=w.kitchen.district, opened_on=timezone.localdate() - datetime.timedelta(days=10))
    data.update(extra)
    return record_case(scope=Scope.for_user(defender), organisation=w.kitchen, kind=kind,
                       age_band=Case.AgeBand.A30_44, alias=alias, **data)


def a_referral(w, case) -> Referral:
    return add_referral(scope=Scope.for_user(w.dora), case=case, kind="cem", referred_on=timezone.localdate(),
                        outcome="la atendieron", carry="Centro Emergencia Mujer")


def grant(user, role, org):
    RoleGrant.objects.get_or_create(user=user, organisation=org, role=role)


# The smallest valid PDF the upload check accepts.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def protection_file(w) -> dict:
    from ayni.protection.services import add_file

    case = a_case(w, kind=Case.Kind.LAND)
    item = add_file(scope=Scope.for_user(w.dora), case=case, label="title", content=PDF)
    return {"pk": case.pk, "fid": item.pk}
