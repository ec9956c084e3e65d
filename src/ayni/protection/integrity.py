"""The invariants of protection, by case number only (never content): every case has its wrapped
key, under a master key that is registered and configured, and the retention key of its month is
still there — a case that breaks one of these can no longer be read."""

from django.utils.translation import gettext as _

from ayni.protection import keys
from ayni.protection.models import Case, CaseKey, MasterKey


def protection_violations() -> list[str]:
    out = []
    without = list(Case.objects.filter(key__isnull=True).values_list("pk", flat=True)[:20])
    if without:
        out.append(_("Casos sin clave: %(ids)s") % {"ids": ", ".join(map(str, without))})
    registered = set(MasterKey.objects.values_list("kid", flat=True))
    used = set(CaseKey.objects.values_list("kid", flat=True).distinct())
    for kid in sorted(used - registered):
        out.append(_("Claves de casos envueltas con una clave maestra no registrada: %(kid)s") % {"kid": kid})
    if not used:
        return out
    try:
        configured = {keys.key_id(k) for k in keys.keyring().keys}
    except keys.Locked:
        return [*out, _("No hay clave maestra configurada: los casos no se pueden leer.")]
    for kid in sorted(used - configured):
        out.append(_("La clave maestra %(kid)s envuelve casos y no está configurada.") % {"kid": kid})
    months = set(keys.retention_keys())
    for month in Case.objects.values_list("retain_until", flat=True).distinct().order_by("retain_until"):
        if month not in months:
            out.append(_("Falta la clave de conservación de %(m)s: sus casos no se pueden leer.") % {"m": month})
    return out
