"""Stage for the advocacy tests: an authority, a commitment to the Villa El Salvador federation,
evidence files, and delivery schedules of its kitchens."""

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from ayni.advocacy import services
from ayni.advocacy.models import Authority
from ayni.kitchens import services as kitchens
from tests.conftest import as_scope
from tests.kitchens import item

SYSTEM = as_scope(None)


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def photo(colour="red", name="acta.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def mayor(**over) -> Authority:
    data = {
        "name": "Kevin Íñiguez Rojas",
        "office": Authority.Office.MAYOR,
        "level": Authority.Level.DISTRICT,
        "territory": "150142",
        "period_start": 2027,
        "period_end": 2030,
        "party": "Somos Villa",
    }
    data.update(over)
    return services.register_authority(scope=SYSTEM, **data)


def commitment(w, *, scope=None, authority=None, **over):
    data = {
        "organisation": w.ves,
        "authority": authority or mayor(),
        "kind": "food",
        "text": "Entregar los alimentos del PCA a tiempo a todos los comedores",
        "made_on": days(-60),
        "deadline": days(30),
        "place": "Local comunal",
    }
    data.update(over)
    return services.record_commitment(scope=scope or SYSTEM, **data)


def schedule(w, *, due, quantity=10, received=None, received_on=None, kitchen=None):
    """A promised delivery of rice to a kitchen of Villa El Salvador, received or not."""
    s = kitchens.create_schedule(
        scope=SYSTEM,
        kitchen=kitchen or w.kitchen,
        municipality=w.kitchen.district,
        item=item("arroz"),
        quantity=Decimal(quantity),
        period_start=due - datetime.timedelta(days=30),
        period_end=due,
        due_on=due,
    )
    if received is not None:
        kitchens.record_receipt(scope=SYSTEM, schedule=s, received_on=received_on or due, quantity=Decimal(received))
    return s


def adv_commitment(w):
    """Access matrix: a commitment of the Lima kitchen with one unpublished file."""
    c = commitment(w, organisation=w.kitchen, files=[photo()])
    return {"pk": w.kitchen.pk, "commitment": c.pk}


def adv_evidence(w):
    target = adv_commitment(w)
    from ayni.advocacy.models import Evidence

    return {**target, "evidence": Evidence.objects.get(commitment_id=target["commitment"]).pk}


def adv_published_file(w):
    from ayni.advocacy.models import Evidence

    target = adv_evidence(w)
    Evidence.objects.filter(pk=target["evidence"]).update(published=True)
    return {"evidence": target["evidence"]}


def adv_law(w):
    law = services.follow_law(scope=SYSTEM, organisation=w.kitchen, kind="law", title="Ley 31458")
    return {"pk": w.kitchen.pk, "law": law.pk}


def adv_round(w):
    r = services.open_round(
        scope=SYSTEM, organisation=w.ves, service="Entregas del PCA", opens_on=days(-5), closes_on=days(5)
    )
    return {"pk": w.kitchen.pk, "round": r.pk}


def adv_agreement(w):
    from ayni.governance.models import Agreement
    from tests.governance_helpers import gov_agreement

    target = gov_agreement(w)
    Agreement.objects.filter(pk=target["agreement"]).update(involves_authority=True, authority="Alcalde de VES")
    return target
