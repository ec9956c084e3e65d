"""Demo advocacy: the mayors of the demo's districts (and a governor, a minister, candidates of
the October 2026 elections), commitments to the federations in every stage — some overdue —
with the photo of a signed acta, food-delivery commitments held to the kitchens' delivery
schedules, two laws the movement follows, and two rounds of the community score card.

Rows are written directly, with the services' own rules (a stage history ending in the stage,
overdue exactly when the nightly sweep would set it, files kept through `files.keep`), and no
audit entry per row: the demo has its one. Deterministic: every choice from `ctx.rng`, every
date from `ctx.today`.
"""

import datetime
import io

from PIL import Image, ImageDraw

from ayni.advocacy.models import (
    SCORE_FIELDS,
    Authority,
    Commitment,
    Evidence,
    Law,
    Milestone,
    Rating,
    ScoreRound,
    StageChange,
)
from ayni.advocacy.services import EVIDENCE_KINDS
from ayni.demo.context import FEDERATION_KINDS, DemoContext
from ayni.files.services import keep

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


def _acta(ctx: DemoContext, n: int) -> bytes:
    """A small picture standing for the photo of a signed acta (each one different)."""
    image = Image.new("RGB", (120, 160), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for row in range(10):
        draw.line((10, 15 + row * 13, 110 - ctx.rng.randint(0, 40), 15 + row * 13), fill=(60, 60, 60))
    draw.text((10, 140), f"ACTA {n}", fill=(0, 0, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _name(ctx: DemoContext) -> str:
    return f"{ctx.rng.choice(GIVEN)} {ctx.rng.choice(SURNAMES)} {ctx.rng.choice(SURNAMES)}"


def _authority(ctx: DemoContext, **fields) -> Authority:
    return Authority.objects.create(name=_name(ctx), **fields)


def generate_advocacy(ctx: DemoContext) -> None:
    today, year = ctx.today, ctx.today.year
    federations = [n for n in ctx.kind_nodes("federacion-distrital") if n.org.district_id][:8]
    if not federations:
        federations = [n for n in ctx.federation_nodes if n.org.district_id][:4]
    top = ctx.confederation.org if ctx.confederation else federations[0].org
    law = Law.objects.create(organisation=top, kind="law", title="Ley 31458",
                             summary="Reconoce a las ollas comunes y garantiza su financiamiento")
    Milestone.objects.bulk_create([
        Milestone(law=law, on=datetime.date(2022, 5, 14), text="Publicada", reached=True),
        Milestone(law=law, on=datetime.date(2023, 1, 20), text="Reglamento aprobado", reached=True),
        Milestone(law=law, on=today + datetime.timedelta(days=90),
                  text="Presupuesto asignado a todas las municipalidades"),
    ])
    purchases = Law.objects.create(organisation=top, kind="law", title="Ley 31071",
                                   summary="30 % de las compras públicas de alimentos a la agricultura familiar")
    minister = _authority(ctx, office=Authority.Office.MINISTER, level=Authority.Level.NATIONAL,
                          period_start=year - 1, period_end=year + 1)
    n = 0
    for i, fed in enumerate(federations):
        district = fed.org.district
        mayor = _authority(ctx, office=Authority.Office.MAYOR, level=Authority.Level.DISTRICT, territory=district.code,
                           territory_name=district.name, period_start=year - 3, period_end=year,
                           party=ctx.rng.choice(PARTIES))
        candidate = _authority(ctx, office=Authority.Office.MAYOR, level=Authority.Level.DISTRICT,
                               territory=district.code, territory_name=district.name, period_start=year + 1,
                               period_end=year + 4, party=ctx.rng.choice(PARTIES), is_candidate=True)
        for j, (kind, text) in enumerate(PROMISES):
            n += 1
            who = candidate if j == len(PROMISES) - 1 else (minister if kind == "programme" else mayor)
            made_on = today - datetime.timedelta(days=ctx.rng.randint(60, 400))
            # About half the deadlines have passed: those still open are overdue.
            deadline = None if j == 5 else made_on + datetime.timedelta(days=ctx.rng.randint(30, 500))
            food = kind == "food"
            path = PATHS[(i + j) % len(PATHS)]
            stage = path[-1][0] if path else Commitment.Stage.REGISTERED
            c = Commitment.objects.create(
                organisation=fed.org, authority=who, kind=kind, text=text, made_on=made_on, deadline=deadline,
                place=f"Local de {fed.org.name}", municipality=district, stage=stage,
                overdue=stage in Commitment.OPEN and deadline is not None and deadline < today,
                law=law if kind == "law" else (purchases if kind == "programme" else None),
                delivery_from=today - datetime.timedelta(days=90) if food else None,
                delivery_to=today if food else None)
            changes = [StageChange(commitment=c, on=made_on, stage_to=Commitment.Stage.REGISTERED, note="Registrado.")]
            previous = Commitment.Stage.REGISTERED
            for step, (to, note) in enumerate(path, 1):
                changes.append(StageChange(commitment=c, on=min(today, made_on + datetime.timedelta(days=20 * step)),
                                           stage_from=previous, stage_to=to, note=note))
                previous = to
            StageChange.objects.bulk_create(changes)
            stored, _new = keep(_acta(ctx, n), allowed=EVIDENCE_KINDS)
            # The organisation publishes most actas; some stay in its own record.
            Evidence.objects.create(commitment=c, file=stored, name=f"acta-{n}.jpg", caption="Acta firmada",
                                    published=ctx.rng.random() < 0.7)
            ctx.counts["commitments"] += 1
            ctx.counts["commitments_overdue"] += int(c.overdue)
    _score_cards(ctx, federations)
    ctx.progress.update(1)


def _score_cards(ctx: DemoContext, federations) -> None:
    """Two rounds per federation: one six months ago, all rated; one open now, half rated."""
    for fed in federations[:4]:
        kitchens = [n.org for n in fed.walk() if n.kind not in FEDERATION_KINDS][:30]
        past = ScoreRound.objects.create(organisation=fed.org, service="Entregas del PCA de la municipalidad",
                                         opens_on=ctx.today - datetime.timedelta(days=190),
                                         closes_on=ctx.today - datetime.timedelta(days=175))
        now = ScoreRound.objects.create(organisation=fed.org, service="Entregas del PCA de la municipalidad",
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
