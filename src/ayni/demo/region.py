"""`ayni demo --scale region`: a second country's federation beside Peru's.

The regional network is the top of the tree; under it, Peru's federations (the small plan) and
a Bolivian one in El Alto and La Paz, whose organisations are placed in Bolivia's country pack
(`geo/packs/bo/`, loaded here if it is not yet) and whose socias carry a Bolivian cédula de
identidad, each one validated by Bolivia's rules (`lib/identity.py`), and Bolivian phones.

The step runs last and keeps its organisations out of `ctx.nodes`, so no step written for
Peru's districts (daily reports, rolls…) meets an organisation without a district.
"""

import datetime
from decimal import Decimal

from ayni.demo import names
from ayni.demo.context import DemoContext, Node
from ayni.demo.people import PeopleWriter, PersonFactory, _membership_dates
from ayni.geo.models import Area
from ayni.geo.packs import load_pack
from ayni.lib.identity import parse_identity
from ayni.lib.text import fold
from ayni.orgs.models import Organisation, OrgKind, path_segment
from ayni.people.models import Language, Person

NETWORK_NAME = "Red Andina de Mujeres Organizadas por la Alimentación (Perú y Bolivia)"
FEDERATION = ("Federación de Comedores Populares y Ollas Comunes de El Alto", "0201")
# Municipality (INE code) → neighbourhoods (zonas) where its kitchens are, and its weight.
MUNICIPALITIES = {
    "020105": (
        [
            "Villa Adela",
            "Senkata",
            "Río Seco",
            "Villa Ingenio",
            "Ciudad Satélite",
            "Alto Lima",
            "Villa Dolores",
            "Ballivián",
        ],
        0.5,
    ),
    "020101": (["Villa Fátima", "Munaypata", "Pampahasi", "Achachicala", "Alto Obrajes", "Villa Copacabana"], 0.3),
    "020104": (["Achocalla", "Pacajes"], 0.1),
    "020103": (["Mallasa", "Mecapaca"], 0.05),
    "020102": (["Palca", "Ventilla"], 0.05),
}
BASE_ORGANISATIONS = 12


def _save(org: Organisation, parent: Organisation | None) -> None:
    org.parent = parent
    org.path = f"~region-{fold(org.name)[:40]}"
    org.save()
    org.path = (parent.path if parent else "") + path_segment(org.pk)
    org.depth = parent.depth + 1 if parent else 0
    Organisation.objects.filter(pk=org.pk).update(path=org.path, depth=org.depth)


def _near(ctx: DemoContext, area: Area) -> tuple[Decimal, Decimal]:
    jitter = lambda: ctx.rng.uniform(-0.02, 0.02)  # noqa: E731 — two uses, one line
    return (Decimal(f"{area.latitude + jitter():.6f}"), Decimal(f"{area.longitude + jitter():.6f}"))


def _ci(ctx: DemoContext) -> str:
    """A unique Bolivian CI as a leader would type it (some with the department's extension),
    through Bolivia's validator: what is stored is what the registry would store."""
    while True:
        raw = f"{ctx.rng.randint(1_000_000, 9_999_999)}" + (" LP" if ctx.rng.random() < 0.3 else "")
        number = parse_identity(raw, "BO").number
        if number not in ctx.used_dnis:
            ctx.used_dnis.add(number)
            return number


def _phone(ctx: DemoContext) -> str:
    while True:
        phone = f"+591{ctx.rng.choice('67')}{ctx.rng.randint(0, 9_999_999):07d}"
        if phone not in ctx.used_phones:
            ctx.used_phones.add(phone)
            return phone


def generate_second_country(ctx: DemoContext) -> None:
    """The Bolivian federation, its kitchens and their socias (only at a scale that asks for it)."""
    country = ctx.scale.second_country
    ctx.progress.update(1)
    if not country:
        return
    load_pack(country)
    rng = ctx.rng
    kinds = {k.code: k for k in OrgKind.objects.all()}
    areas = {a.code: a for a in Area.objects.filter(country_id=country)}
    network = ctx.confederation.org
    network.name = NETWORK_NAME
    Organisation.objects.filter(pk=network.pk).update(name=NETWORK_NAME)

    name, province = FEDERATION
    federation = Organisation(
        kind=kinds["federacion-provincial"],
        name=name,
        country=country,
        area=areas[province],
        founded_on=datetime.date(2004, 11, 25),
        address="Av. Juan Pablo II, zona 16 de Julio, El Alto",
    )
    federation.latitude, federation.longitude = _near(ctx, areas["020105"])
    _save(federation, network)
    fed_node = Node(federation, "federacion-provincial", "BO-02", "BO-0201", key="el-alto")

    codes, weights = list(MUNICIPALITIES), [w for _z, w in MUNICIPALITIES.values()]
    base: list[Node] = []
    for _ in range(BASE_ORGANISATIONS):
        code = rng.choices(codes, weights)[0]
        zone = rng.choice(MUNICIPALITIES[code][0])
        kind = "comedor-popular" if rng.random() < 0.6 else "olla-comun"
        label = "Comedor Popular" if kind == "comedor-popular" else "Olla Común"
        org = Organisation(
            kind=kinds[kind],
            name=f"{label} {zone} {len(base) + 1}",
            country=country,
            area=areas[code],
            founded_on=ctx.date_between(datetime.date(2008, 1, 1), datetime.date(2022, 12, 31)),
            address=f"Zona {zone}, {areas[code].name}",
        )
        org.latitude, org.longitude = _near(ctx, areas[code])
        _save(org, federation)
        base.append(Node(org, kind, "BO-02", "BO-0201", parent=fed_node))

    spoken = {"castellano", "aimara"} & set(Language.objects.values_list("code", flat=True))
    factory = PersonFactory(ctx, spoken)
    writer = PeopleWriter(ctx)
    people = 0
    for node in base:
        for i in range(rng.randint(10, 20)):
            sex = "F" if rng.random() < 0.96 else "M"
            birth = ctx.today - datetime.timedelta(days=rng.randint(20 * 365, 70 * 365))
            given = factory.given_names(sex, birth.year)
            paternal, maternal = rng.choice(names.AYMARA), rng.choice(names.AYMARA + names.SPANISH)
            person = Person(
                given_names=given,
                paternal_surname=paternal,
                maternal_surname=maternal,
                sex=sex,
                birth_date=birth,
                dni=_ci(ctx) if rng.random() < 0.95 else None,
                phone=_phone(ctx) if rng.random() < 0.8 else "",
                search_name=fold(f"{given} {paternal} {maternal}"),
            )
            languages = sorted(spoken) if rng.random() < 0.6 else sorted(spoken & {"castellano"})
            since, until = _membership_dates(ctx, node, birth, founder=i < 3)
            writer.add(node, person, languages, since, until)
            people += 1
    writer.flush()
    ctx.counts["second_country_organisations"] = 1 + len(base)
    ctx.counts["second_country_people"] = people
    ctx.notes.append(
        f"{NETWORK_NAME}: además de las federaciones del Perú, «{name}» (Bolivia), "
        f"{len(base)} organizaciones y {people} socias con cédula de identidad boliviana."
    )
