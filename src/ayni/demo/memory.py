"""Demo memory: leaders lost, recorded with consent, and a dozen experiences in every state.

Written through the services (a handful of rows: the audit trail and the OAI-PMH datestamps come
out as they would in use), under the demo's system scope. Memorial records go to women whose
membership ended, most with a public page, one corrected and one withdrawn; experiences are
public, for the network, in review, returned and drafts, with topics and the kitchen's district.
"""

import datetime

from ayni.accounts.scope import Scope
from ayni.demo.context import DemoContext
from ayni.memory import services
from ayni.memory.models import MemorialRecord
from ayni.people.models import Language, Person

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
    scope = Scope.system("datos de demostración")
    _memorials(ctx, scope)
    _experiences(ctx, scope)
    ctx.progress.update(1)


def _memorials(ctx: DemoContext, scope: Scope) -> None:
    gone = [(node, m) for node in ctx.base_nodes for m in node.members if m.until is not None and m.until < ctx.today]
    chosen = ctx.rng.sample(gone, min(MEMORIALS, len(gone)))
    people = Person.objects.in_bulk([m.person_id for _node, m in chosen])
    for i, (node, member) in enumerate(chosen):
        died = min(member.until, ctx.today - datetime.timedelta(days=2))
        consent_by, relation = ctx.rng.choice(RELATIONS)
        record = services.record_memorial(
            scope=scope, organisation=node.org, person=people[member.person_id], died_on=died,
            consent_by=consent_by, consent_name=f"Familia de la socia {i + 1}" if consent_by == "family"
            else f"Junta directiva de {node.org.name}"[:120], consent_relation=relation,
            consent_on=min(ctx.today, died + datetime.timedelta(days=ctx.rng.randint(1, 60))),
            cause=ctx.rng.choice(CAUSES), place=f"Distrito de {node.org.district.name.title()}" if node.org.district
            else "", tribute=ctx.rng.choice(TRIBUTES), public=i % 3 != 2, show_cause=i % 2 == 0, show_place=True)
        if i == 1:
            services.correct_memorial(scope=scope, memorial=record, reason="La familia precisó la fecha",
                                      died_on=died - datetime.timedelta(days=1))
        if i == 2:
            services.withdraw_memorial(scope=scope, memorial=record, reason="La familia pidió retirarlo")
        ctx.counts["memorial records"] += 1
    ctx.counts["memorial withdrawn"] = MemorialRecord.objects.filter(withdrawn=True).count()


def _experiences(ctx: DemoContext, scope: Scope) -> None:
    kitchens = [n for n in ctx.base_nodes if n.is_active and n.org.district_id]
    if not kitchens:
        return
    languages = {lang.code: lang for lang in Language.objects.filter(code__in=["castellano", "quechua"])}
    for (title, topics, start), state in zip(EXPERIENCES, STATES, strict=True):
        node = ctx.rng.choice(kitchens)
        quechua = "quechua" in topics  # written in the language it is about
        experience = services.write_experience(
            scope=scope, organisation=node.org, title=title,
            language=languages["quechua" if quechua else "castellano"], starting_point=start,
            initial_questions="¿Qué hicimos, por qué funcionó y qué puede servir a otras organizaciones?",
            recovery=f"Lo contamos las socias de {node.org.name}, paso a paso, con fechas y nombres de los cargos.",
            reflection="Funcionó porque lo decidimos en asamblea y la federación nos respaldó ante las autoridades.",
            arrival="Recomendamos empezar con pocas, llevar las cuentas claras y pedir apoyo a la federación.",
            topics=topics, districts=[node.org.district],
            organisations=[node.parent.org] if node.parent else [])
        if state != "draft":
            services.submit_experience(scope=scope, experience=experience)
        if state in ("public", "network"):
            services.review_experience(scope=scope, experience=experience, decision="publish", audience=state)
        elif state == "returned":
            services.review_experience(scope=scope, experience=experience, decision="return",
                                       note="Falta la reflexión de fondo: ¿por qué funcionó?")
        ctx.counts[f"experiences:{state}"] += 1
