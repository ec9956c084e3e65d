"""Demo memory: leaders lost, recorded with consent, and a dozen experiences in every state.

Rows written directly, as the other steps do (the demo has its one audit entry), in the shapes the
services leave: versions kept, reviews behind every publication, OAI-PMH datestamps. Memorial records go to women whose
membership ended, most with a public page, one corrected and one withdrawn; experiences are
public, for the network, in review, returned and drafts, with topics and the kitchen's district.
"""

import datetime

from django.utils import timezone

from ayni.audit.services import snapshot
from ayni.demo.context import DemoContext
from ayni.memory import services
from ayni.memory.models import Experience, ExperienceReview, MemorialRecord, MemorialVersion
from ayni.people.models import Language

MEMORIALS = 12
CAUSES = ["covid", "covid", "covid", "illness", "", "violence", "accident"]
RELATIONS = [("family", "hija"), ("family", "hermana"), ("family", "esposo"),
             ("organisation", "presidenta de la federación")]
TRIBUTES = [
    "Fundó el comedor en la crisis de 1989 y nunca dejó de cocinar para el barrio.",
    "Enseñó a leer las cuentas a todas las socias nuevas.",
    "Fue la primera regidora que salió de nuestra federación.",
    "",
]
# (title, topics, the five steps' gist): what worked in one district, written for the others.
EXPERIENCES = [
    ("La municipalidad paga el gas de los comedores", "gas, incidencia municipal",
     "El balón de gas costaba más que las raciones de una semana."),
    ("Un huerto que alimentó la olla en época seca", "huerto, agua",
     "En la época seca no llegaba verdura y la olla comía solo arroz."),
    ("Compras juntas entre seis comedores", "compras colectivas, economía",
     "Cada comedor compraba por su cuenta y pagaba más caro."),
    ("El padrón al día para defender el subsidio", "padrón, subsidio",
     "La municipalidad quiso recortar raciones diciendo que no había usuarios."),
    ("Cocinas mejoradas: menos humo, menos leña", "cocinas mejoradas, salud",
     "Las cocineras tosían todo el invierno por el humo de la leña."),
    ("Promotoras contra la violencia en cada comedor", "violencia, promotoras",
     "Las socias no sabían a dónde llevar a una vecina golpeada."),
    ("Biohuerto en la azotea del local", "huerto, nutrición",
     "El local tenía una azotea vacía y los niños comían pocas verduras."),
    ("Faena para el agua del comedor", "agua, faena",
     "Sin agua potable, las cocineras cargaban baldes desde la pileta."),
    ("Rendir cuentas cada mes ante la asamblea", "transparencia, gobierno",
     "Las socias desconfiaban de la tesorera y el comedor se dividía."),
    ("La olla común que se volvió comedor", "formalización, municipalidad",
     "La olla nació en la pandemia sin reconocimiento ni apoyo del Estado."),
    ("Escuela de lideresas en quechua", "formación, quechua",
     "Las capacitaciones eran en castellano y las socias mayores no entraban."),
    ("Trueque de cosechas con las comunidades altas", "economía, agricultura familiar",
     "La papa de la comunidad se perdía y al comedor le faltaba."),
]
# Where each one stands: five public, three for the network, two in review, one returned, one draft.
STATES = ["public"] * 5 + ["network"] * 3 + ["review"] * 2 + ["returned", "draft"]


def generate_memory(ctx: DemoContext) -> None:
    _memorials(ctx)
    _experiences(ctx)
    ctx.progress.update(1)


def _memorials(ctx: DemoContext) -> None:
    gone = [(node, m) for node in ctx.base_nodes for m in node.members if m.until is not None and m.until < ctx.today]
    chosen = ctx.rng.sample(gone, min(MEMORIALS, len(gone)))
    for i, (node, member) in enumerate(chosen):
        died = min(member.until, ctx.today - datetime.timedelta(days=2))
        consent_by, relation = ctx.rng.choice(RELATIONS)
        record = MemorialRecord.objects.create(
            organisation=node.org, person_id=member.person_id, died_on=died, consent_by=consent_by,
            consent_name=f"Familia de la socia {i + 1}" if consent_by == "family"
            else f"Junta directiva de {node.org.name}"[:120], consent_relation=relation,
            consent_on=min(ctx.today, died + datetime.timedelta(days=ctx.rng.randint(1, 60))),
            cause=ctx.rng.choice(CAUSES), place=f"Distrito de {node.org.district.name.title()}" if node.org.district
            else "", tribute=ctx.rng.choice(TRIBUTES), public=i % 3 != 2, show_cause=i % 2 == 0, show_place=True)
        if i in (1, 2):
            # A correction and a withdrawal, with the version each replaced, as the services keep them.
            MemorialVersion.objects.create(record=record, version=1, data=snapshot(record),
                                           reason="La familia precisó la fecha" if i == 1
                                           else "La familia pidió retirarlo")
            change = {"died_on": died - datetime.timedelta(days=1)} if i == 1 else {
                "withdrawn": True, "withdrawn_reason": "La familia pidió retirarlo", "public": False}
            MemorialRecord.objects.filter(pk=record.pk).update(version=2, **change)
        ctx.counts["memorial records"] += 1


def _experiences(ctx: DemoContext) -> None:
    kitchens = [n for n in ctx.base_nodes if n.is_active and n.org.district_id]
    if not kitchens:
        return
    languages = {lang.code: lang for lang in Language.objects.filter(code__in=["castellano", "quechua"])}
    now = timezone.now().replace(microsecond=0)
    for i, ((title, topics, start), state) in enumerate(zip(EXPERIENCES, STATES, strict=True)):
        node = ctx.rng.choice(kitchens)
        published = state in ("public", "network")
        when = now - datetime.timedelta(days=len(EXPERIENCES) - i)
        experience = Experience.objects.create(
            organisation=node.org, title=title,
            # Written in the language it is about.
            language=languages["quechua" if "quechua" in topics else "castellano"],
            starting_point=start,
            initial_questions="¿Qué hicimos, por qué funcionó y qué puede servir a otras organizaciones?",
            recovery=f"Lo contamos las socias de {node.org.name}, paso a paso, con fechas y nombres de los cargos.",
            reflection="Funcionó porque lo decidimos en asamblea y la federación nos respaldó ante las autoridades.",
            arrival="Recomendamos empezar con pocas, llevar las cuentas claras y pedir apoyo a la federación.",
            status={"public": "published", "network": "published", "review": "review", "returned": "returned",
                    "draft": "draft"}[state],
            audience=state if published else "", published_at=when if published else None,
            oai_stamp=when if state == "public" else None, harvested=state == "public")
        experience.topics.set(services.topics_from(topics))
        experience.districts.set([node.org.district])
        if node.parent:
            experience.organisations.set([node.parent.org])
        services.index_words(experience)
        if published or state == "returned":
            ExperienceReview.objects.create(
                experience=experience, decision="publish" if published else "return",
                audience=state if published else "",
                note="" if published else "Falta la reflexión de fondo: ¿por qué funcionó?")
        ctx.counts[f"experiences:{state}"] += 1
