"""The one place protection sends a text: to a supervisor, saying only that Ayni has something
for her — never a case, a name, a place or the word "violence" (the phone may be shared)."""

from django.utils.translation import gettext as _

from ayni.capture.models import OutboundMessage
from ayni.capture.outbound import queue_message
from ayni.protection.models import Supervisor


def tell_supervisor(federation_id: int | None) -> None:
    if federation_id is None:
        return
    phone = (Supervisor.objects.filter(federation_id=federation_id)
             .values_list("account__phone", flat=True).first())
    if phone:
        queue_message(to=phone, body=_("Ayni: tiene un aviso nuevo. Ingrese para verlo."),
                      purpose=OutboundMessage.Purpose.REMINDER)


def tell_defender(account) -> None:
    if account is not None and account.phone:
        queue_message(to=account.phone, body=_("Ayni: tiene un seguimiento pendiente. Ingrese para verlo."),
                      purpose=OutboundMessage.Purpose.REMINDER)
