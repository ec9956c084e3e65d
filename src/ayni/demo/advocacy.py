"""Demo advocacy: the mayors of the demo's districts (and a governor, a minister, candidates of
the October 2026 elections), commitments to the federations in every stage — some overdue —
with the photo of a signed acta, food-delivery commitments held to the kitchens' delivery
schedules, two laws the movement follows, and two rounds of the community score card.

Commitments go through the services, so their history, evidence and audit are the real ones;
the ratings of the past round are written directly (its dates have passed, which the service
would refuse). Deterministic: every choice from `ctx.rng`, every date from `ctx.today`.
"""

import datetime
import io

from PIL import Image, ImageDraw

from ayni.accounts.scope import Scope
from ayni.advocacy import services
from ayni.advocacy.models import SCORE_FIELDS, Authority, Evidence, Rating
from ayni.demo.context import FEDERATION_KINDS, DemoContext

SURNAMES = ["Quispe", "Mamani", "Huamán", "Flores", "Rojas", "Gutiérrez", "Chávez", "Vargas", "Ramos", "Torres"]
GIVEN = ["Julio", "Rosa", "Carlos", "Elena", "Víctor", "Norma", "Pedro", "Gladys", "Jorge", "Marleni"]
PARTIES = ["Fuerza Vecinal", "Somos Perú", "Alianza para el Progreso", "Podemos", "Juntos por el Perú"]
PROMISES = [
    ("food", "Entregar a tiempo los alimentos del PCA a todos los comedores del distrito"),
    ("budget", "Aumentar en 20 % el presupuesto del Programa de Complementación Alimentaria"),
    ("infra", "Construir el local del comedor con cocina mejorada"),
    ("law", "Aprobar la ordenanza que reconoce a las ollas comunes del distrito"),
    ("programme", "Comprar el 30 % de los alimentos a la agricultura familiar de la zona"),
    ("other", "Instalar una mesa de trabajo mensual con la federación"),
]
# Stage paths a commitment walks, with the notes of each step.
PATHS = [
    [],
    [("progress", "Se instaló la mesa de trabajo")],
    [("progress", "Llegó la primera entrega"), ("partly", "Solo llegó a la mitad de los comedores")],
    [("progress", "Se aprobó el presupuesto"), ("fulfilled", "Entregado, con acta de recepción")],
    [("failed", "La gestión terminó sin cumplir")],
]


def _acta(ctx: DemoContext, n: int):
    """A small picture standing for the photo of a signed acta (each one different)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = Image.new("RGB", (120, 160), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for row in range(10):
        draw.line((10, 15 + row * 13, 110 - ctx.rng.randint(0, 40), 15 + row * 13), fill=(60, 60, 60))
    draw.text((10, 140), f"ACTA {n}", fill=(0, 0, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return SimpleUploadedFile(f"acta-{n}.jpg", out.getvalue(), content_type="image/jpeg")


def _name(ctx: DemoContext) -> str:
    return f"{ctx.rng.choice(GIVEN)} {ctx.rng.choice(SURNAMES)} {ctx.rng.choice(SURNAMES)}"


def generate_advocacy(ctx: DemoContext) -> None:
    scope = Scope.system("datos de demostración")
    today, year = ctx.today, ctx.today.year
    federations = [n for n in ctx.kind_nodes("federacion-distrital") if n.org.district_id][:8]
    if not federations:
        federations = [n for n in ctx.federation_nodes if n.org.district_id][:4]
    top = ctx.confederation.org if ctx.confederation else federations[0].org
    law = services.follow_law(scope=scope, organisation=top, kind="law", title="Ley 31458",
                              summary="Reconoce a las ollas comunes y garantiza su financiamiento")
    services.add_milestone(scope=scope, law=law, on=datetime.date(2022, 5, 14), text="Publicada", reached=True)
    services.add_milestone(scope=scope, law=law, on=datetime.date(2023, 1, 20), text="Reglamento aprobado",
                           reached=True)
    services.add_milestone(scope=scope, law=law, on=today + datetime.timedelta(days=90),
                           text="Presupuesto asignado a todas las municipalidades")
    purchases = services.follow_law(scope=scope, organisation=top, kind="law", title="Ley 31071",
                                    summary="30 % de las compras públicas de alimentos a la agricultura familiar")
    minister = services.register_authority(scope=scope, name=_name(ctx), office=Authority.Office.MINISTER,
                                           level=Authority.Level.NATIONAL, period_start=year - 1, period_end=year + 1)
    n = 0
    for i, fed in enumerate(federations):
        district = fed.org.district
        mayor = services.register_authority(
            scope=scope, name=_name(ctx), office=Authority.Office.MAYOR, level=Authority.Level.DISTRICT,
            territory=district.code, period_start=year - 3, period_end=year, party=ctx.rng.choice(PARTIES))
        candidate = services.register_authority(
            scope=scope, name=_name(ctx), office=Authority.Office.MAYOR, level=Authority.Level.DISTRICT,
            territory=district.code, period_start=year + 1, period_end=year + 4, party=ctx.rng.choice(PARTIES),
            is_candidate=True)
        for j, (kind, text) in enumerate(PROMISES):
            n += 1
            who = candidate if j == len(PROMISES) - 1 else (minister if kind == "programme" else mayor)
            made_on = today - datetime.timedelta(days=ctx.rng.randint(60, 400))
            # Half the deadlines have passed: those not fulfilled become overdue tonight.
            deadline = (None if j == 5 else made_on + datetime.timedelta(days=ctx.rng.randint(30, 500)))
            food = kind == "food"
            c = services.record_commitment(
                scope=scope, organisation=fed.org, authority=who, kind=kind, text=text, made_on=made_on,
                deadline=deadline, place=f"Local de {fed.org.name}", municipality=district,
                law=law if kind == "law" else (purchases if kind == "programme" else None),
                delivery_from=today - datetime.timedelta(days=90) if food else None,
                delivery_to=today if food else None, files=[_acta(ctx, n)], caption="Acta firmada")
            # The organisation publishes most actas; some stay in its own record.
            if ctx.rng.random() < 0.7:
                Evidence.objects.filter(commitment=c).update(published=True)
            path = PATHS[(i + j) % len(PATHS)]
            for step, (stage, note) in enumerate(path, 1):
                on = min(today, made_on + datetime.timedelta(days=20 * step))
                services.change_stage(scope=scope, commitment=c, stage=stage, note=note, on=on)
            ctx.counts["commitments"] += 1
    ctx.counts["commitments_overdue"] += services.mark_overdue(today)
    _score_cards(ctx, scope, federations)
    ctx.progress.update(1)


def _score_cards(ctx: DemoContext, scope: Scope, federations) -> None:
    """Two rounds per federation: one six months ago, all rated; one open now, half rated."""
    for fed in federations[:4]:
        kitchens = [n.org for n in fed.walk() if n.kind not in FEDERATION_KINDS][:30]
        past = services.open_round(scope=scope, organisation=fed.org, service="Entregas del PCA de la municipalidad",
                                   opens_on=ctx.today - datetime.timedelta(days=190),
                                   closes_on=ctx.today - datetime.timedelta(days=175))
        now = services.open_round(scope=scope, organisation=fed.org, service="Entregas del PCA de la municipalidad",
                                  opens_on=ctx.today - datetime.timedelta(days=3),
                                  closes_on=ctx.today + datetime.timedelta(days=10))
        ratings = []
        for score_round, share in ((past, 1.0), (now, 0.5)):
            for kitchen in kitchens:
                if ctx.rng.random() <= share:
                    ratings.append(Rating(round=score_round, kitchen=kitchen,
                                          **{f: ctx.rng.randint(1, 5) for f in SCORE_FIELDS}))
        Rating.objects.bulk_create(ratings)
        ctx.counts["ratings"] += len(ratings)

