"""Follow-ups of a commitment recorded on a phone without signal (*seguimiento sin señal*).

The follow-up page (`advocacy:stage`) gets capture's offline outbox (`register_form` in the
app's `ready()`): without signal the stage, date, note and link are kept on the phone and sent,
in order, to `advocacy:stage_batch` when the signal returns. Capture stores each item raw
(`Inbound.Kind.FOLLOW_UP`, keyed by the phone's client id) and hands it back here, once; the
change carries the item's id (`StageChange.by_text`, unique), so even a replay of an item whose
result was lost records it once. A photo is not kept by the outbox (it keeps text only): it is
added with signal, as evidence of the commitment.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.advocacy import services
from ayni.advocacy.forms import StageForm
from ayni.advocacy.models import Commitment, StageChange
from ayni.lib.forms import error_messages

FIELDS = ("stage", "on", "note", "link")


def apply_follow_up(inbound, scope: Scope) -> dict:
    """A follow-up kept on the phone, as stored by capture: checked as the web form checks it and
    recorded by `services.change_stage`, as the one who kept it. A commitment out of her sight
    is refused as one that does not exist."""
    payload = inbound.payload if isinstance(inbound.payload, dict) else {}
    number = str(payload.get("commitment", "")).strip()
    commitment = None
    if number.isdigit():
        commitment = (
            Commitment.objects.filter(scope.q(Can.EDIT, prefix="organisation__"))
            .select_related("organisation")
            .filter(pk=int(number))
            .first()
        )
    if commitment is None:
        raise ValidationError(_("No hay un compromiso N° %(n)s de su organización.") % {"n": number or "?"})
    done = StageChange.objects.filter(by_text=inbound.pk).first()
    if done is None:
        form = StageForm({f: str(payload.get(f) or "") for f in FIELDS})
        if not form.is_valid():
            raise ValidationError(error_messages(form.errors))
        data = {k: v for k, v in form.cleaned_data.items() if k in FIELDS}
        done = services.change_stage(scope=scope, commitment=commitment, by_text=inbound.pk, **data)
    return {
        "id": done.pk,
        "message": _("Compromiso N° %(n)s: %(stage)s. Anotado.")
        % {"n": commitment.pk, "stage": done.get_stage_to_display()},
    }
