"""Pieces for memorial and library tests: a record with consent, experiences in each state."""

import datetime

from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.memory import services
from ayni.memory.models import Experience, MemorialRecord
from ayni.people.models import Language

SYSTEM = Scope.system("preparación de la prueba")

STEPS = {
    "starting_point": "Somos el Comedor Santa Rosa; en 2023 el balón de gas costaba más que las raciones.",
    "initial_questions": "¿Cómo conseguir que la municipalidad pague el gas?",
    "recovery": "Fuimos a la sesión de concejo con el padrón y las cuentas del mes.",
    "reflection": "Funcionó porque llevamos números; la presión de la federación ayudó.",
    "arrival": "Recomendamos llevar el padrón y el costo por ración a la municipalidad.",
}


def memorial_for(w, *, scope=SYSTEM, person=None, organisation=None, **extra) -> MemorialRecord:
    today = timezone.localdate()
    fields = {"died_on": today - datetime.timedelta(days=400), "consent_by": "family",
              "consent_name": "Lucía Quispe", "consent_relation": "hija",
              "consent_on": today - datetime.timedelta(days=30), "cause": "covid", "place": "Hospital Rebagliati",
              "tribute": "Fundó el comedor en 1989.", "public": True, **extra}
    return services.record_memorial(scope=scope, organisation=organisation or w.kitchen, person=person or w.member,
                                    **fields)


def experience_for(w, *, org=None, title="El gas lo paga la municipalidad", topics="gas, incidencia municipal",
                   scope=SYSTEM, districts=None, **steps) -> Experience:
    from ayni.geo.models import District

    return services.write_experience(
        scope=scope, organisation=org or w.kitchen, title=title, language=Language.objects.get(code="castellano"),
        topics=topics, districts=districts if districts is not None else [District.objects.get(code="150142")],
        **{**STEPS, **steps})


def published(w, *, audience="public", org=None, **kwargs) -> Experience:
    experience = experience_for(w, org=org, **kwargs)
    services.submit_experience(scope=SYSTEM, experience=experience)
    services.review_experience(scope=SYSTEM, experience=experience, decision="publish", audience=audience)
    experience.refresh_from_db()
    return experience


def mem_record(w):
    return {"record": (MemorialRecord.objects.filter(person=w.member).first() or memorial_for(w)).pk}


def mem_experience(w, state="public"):
    """An experience of the Lima kitchen: public, network, or a draft."""
    title = {"public": "Pública", "network": "Para la red", "draft": "Borrador"}[state]
    found = Experience.objects.filter(title=title).first()
    if found is None:
        found = experience_for(w, title=title) if state == "draft" else published(w, audience=state, title=title)
    return {"exp": found.pk}


def png(width=20, height=10, colour="white") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def mem_file(w):
    """A photo of a public experience of the Lima kitchen."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ayni.memory.models import ExperienceFile

    found = ExperienceFile.objects.filter(experience__title="Con foto").first()
    if found is None:
        experience = experience_for(w, title="Con foto")
        found = services.attach_file(scope=SYSTEM, experience=experience,
                                     upload=SimpleUploadedFile("olla.png", png()), caption="La olla")
        services.submit_experience(scope=SYSTEM, experience=experience)
        services.review_experience(scope=SYSTEM, experience=experience, decision="publish", audience="public")
    return {"exp": found.experience_id, "file": found.pk}
