"""Demo steps for the organisation tree: the organisations themselves and their checklists.

Organisations are inserted one level at a time with `bulk_create` (which returns primary keys
on SQLite and PostgreSQL alike); the materialized path is then computed from the parent's
path and the new key, and written back with one `bulk_update` per level. That keeps the
national tree (about 5,700 rows) at a few dozen queries instead of one UPDATE per row, and
leaves primary-key sequences alone.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from ayni.demo import names
from ayni.demo.context import FEDERATION_KINDS, DemoContext, Node
from ayni.demo.plan import CONFEDERATION_DISTRICT, CONFEDERATION_NAME, KIND_MIX, METRO_PROVINCES
from ayni.geo.models import District
from ayni.lib.text import fold
from ayni.orgs.models import Organisation, OrgKind, RequirementCheck, RequirementItem, path_segment

BATCH = 500
ANDEAN_DEPARTMENTS = ("02", "03", "05", "08", "09", "10", "12", "21")
# Districts whose INEI name is not what people call them.
DISPLAY_NAMES = {"150101": "Cercado de Lima", "070101": "Callao Cercado", "040101": "Arequipa Cercado"}
ROMAN = ["II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]


def place_name(name: str, capital: str = "", code: str = "") -> str:
    """'SAN JUAN DE LURIGANCHO' → 'San Juan de Lurigancho', with the accents INEI leaves out."""
    if code in DISPLAY_NAMES:
        return DISPLAY_NAMES[code]
    if capital and fold(capital) == fold(name):
        return capital  # the capital column is written with accents
    words = []
    for i, word in enumerate(name.lower().split()):
        if i and word in names.PARTICLES:
            words.append(word)
        else:
            word = word.capitalize()
            words.append(names.ACCENTS.get(word, word))
    return " ".join(words)


def municipality(district: District) -> str:
    """Initials of the municipality a registry number belongs to: 'MDSJL', 'MPA'."""
    initials = "".join(
        w[0] for w in fold(district.name).split() if w not in ("de", "del", "y")
    ).upper()
    return ("MP" if district.code.endswith("01") else "MD") + initials


@dataclass
class Geo:
    """The UBIGEO rows the tree needs, read once."""

    districts: dict[str, District]
    by_province: dict[str, list[District]]

    @classmethod
    def load(cls) -> "Geo":
        districts = {d.code: d for d in District.objects.order_by("code")}
        by_province: dict[str, list[District]] = {}
        for d in districts.values():
            by_province.setdefault(d.province_id, []).append(d)
        return cls(districts, by_province)


def neighbours(district: District, among: list[District], n: int = 3) -> list[District]:
    """The n districts of `among` nearest to `district` (itself excluded)."""
    others = [d for d in among if d.code != district.code]
    if district.latitude is None or district.longitude is None:
        return others[:n]

    def distance(d: District) -> float:
        if d.latitude is None or d.longitude is None:
            return math.inf
        return math.hypot(d.latitude - district.latitude, d.longitude - district.longitude)

    return sorted(others, key=lambda d: (distance(d), d.code))[:n]


class Namer:
    """Realistic organisation names, unique within each provincial federation."""

    def __init__(self, ctx: DemoContext):
        self.rng = ctx.rng
        self.used: dict[int, set[str]] = {}

    def _patron(self, department: str) -> str:
        regional = names.REGIONAL_PATRONS.get(department, [])
        if regional and self.rng.random() < 0.3:
            return self.rng.choice(regional)
        return self.rng.choice(names.PATRONS)

    def _candidate(self, kind: str, department: str, settlement: str) -> str:
        rng, pick = self.rng, self.rng.choice
        patron, virtue, heroine = self._patron(department), pick(names.VIRTUES), pick(names.HEROINES)
        options = {
            "comedor-popular": [
                f"Comedor Popular {patron}", f"Comedor Popular {virtue}", f"Comedor {patron}",
                f"Comedor Popular {heroine}", f"Comedor Popular {virtue} de {settlement}",
                f"Comedor Autogestionario {patron}", f"Comedor Popular {patron} de {settlement}",
            ],
            "olla-comun": [
                f"Olla Común {virtue} de {settlement}", f"Olla Común {settlement}", f"Olla Común {patron}",
                f"Olla Común {virtue}",
            ],
            "club-de-madres": [f"Club de Madres {patron}", f"Club de Madres {virtue}", f"Club de Madres {heroine}"],
            "vaso-de-leche": [
                f"Comité de Vaso de Leche {settlement}", f"Comité de Vaso de Leche {patron}",
                f"Comité del Vaso de Leche N° {rng.randint(1, 180)}",
            ],
            "biohuerto": [f"Biohuerto Comunal {virtue}", f"Grupo de Biohuerto {settlement}"],
            "banco-comunal": [f"Banco Comunal {virtue}", f"Banco Comunal Mujeres de {settlement}"],
            "prevencion-violencia": [
                f"Red de Vigilancia Mujeres sin Violencia de {settlement}",
                f"Grupo de Prevención de la Violencia {heroine}",
            ],
        }[kind]
        return pick(options)

    def base_name(self, scope: int, kind: str, department: str, settlement: str) -> str:
        used = self.used.setdefault(scope, set())
        name = ""
        for _attempt in range(6):
            name = self._candidate(kind, department, settlement)
            if name not in used:
                break
        else:
            # Real organisations of the same name number themselves: "Santa Rosa II".
            name = next(f"{name} {r}" for r in ROMAN + [str(i) for i in range(11, 999)] if f"{name} {r}" not in used)
        used.add(name)
        return name


def _year_date(ctx: DemoContext, year: float) -> datetime.date:
    """A random day of `year`, never later than two months ago."""
    year = int(year)
    start = datetime.date(year, 1, 1)
    latest = ctx.today - datetime.timedelta(days=60)
    return min(ctx.date_between(start, datetime.date(year, 12, 31)), latest)


def _founded(ctx: DemoContext, kind: str) -> datetime.date:
    rng = ctx.rng
    this_year = ctx.today.year
    if kind == "olla-comun":
        # Most ollas comunes were born in the 2020 lockdown and the hunger that followed.
        year = rng.choice([2020, 2020, 2020, 2021, 2021, 2022, 2023]) if rng.random() < 0.9 else rng.randint(2016, 2019)
    elif kind == "comedor-popular":
        year = rng.triangular(1979, this_year - 2, 1990)
    elif kind == "club-de-madres":
        year = rng.triangular(1970, this_year - 5, 1985)
    elif kind == "vaso-de-leche":
        year = rng.triangular(1985, this_year - 3, 1992)  # the programme began in 1985
    elif kind == "federacion-distrital":
        year = rng.randint(1986, 2012)
    elif kind == "federacion-provincial":
        year = rng.randint(1983, 2005)
    else:  # gardens, communal banks, violence prevention: the newer lines of work
        year = rng.randint(2008, this_year - 1)
    return _year_date(ctx, min(year, this_year - 1))


def _address(ctx: DemoContext, department: str, settlement: str) -> str:
    rng = ctx.rng
    kinds = names.ANDEAN_SETTLEMENT_KINDS if department in ANDEAN_DEPARTMENTS else names.SETTLEMENT_KINDS
    place = f"{rng.choice(kinds)} {settlement}"
    roll = rng.random()
    if roll < 0.6:
        return f"Mz. {rng.choice('ABCDEFGHIJKLMNOPRST')} Lt. {rng.randint(1, 40)}, {place}"
    street = f"{rng.choice(names.STREET_KINDS)} {rng.choice(names.STREET_NAMES)}"
    if roll < 0.9:
        return f"{street} {rng.randint(1, 30) * 10 + rng.randint(0, 9)}, {place}"
    return f"{street} s/n, {place}"


def _coordinates(ctx: DemoContext, district: District, spread: float = 0.015):
    if district.latitude is None or district.longitude is None or ctx.rng.random() < 0.15:
        return None, None
    lat = district.latitude + ctx.rng.uniform(-spread, spread)
    lon = district.longitude + ctx.rng.uniform(-spread, spread)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def _registration(ctx: DemoContext, org: Organisation, district: District, probability: float) -> None:
    rng = ctx.rng
    if rng.random() >= probability:
        return
    year = rng.randint(org.founded_on.year, max(org.founded_on.year, ctx.today.year - 1))
    org.ruos_number = f"{rng.randint(1, 2400):04d}-{year}"
    if rng.random() < 0.6:
        org.municipal_resolution = f"R.G. N° {rng.randint(1, 950):03d}-{year}-GDS/{municipality(district)}"


def _status(ctx: DemoContext, org: Organisation, kind: str) -> None:
    rng = ctx.rng
    roll = rng.random()
    if kind == "olla-comun":  # many ollas closed or stopped when donations ended
        cuts = [(0.78, "active"), (0.90, "inactive"), (0.93, "suspended"), (1.0, "closed")]
    else:
        cuts = [(0.90, "active"), (0.95, "inactive"), (0.97, "suspended"), (1.0, "closed")]
    status = next(s for cut, s in cuts if roll < cut)
    org.status = status
    if status != "active":
        earliest = min(org.founded_on + datetime.timedelta(days=365), ctx.today - datetime.timedelta(days=30))
        org.status_changed_on = ctx.date_between(earliest, ctx.today - datetime.timedelta(days=7))
        org.status_reason = rng.choice(names.STATUS_REASONS[status])


def _insert_level(ctx: DemoContext, nodes: list[Node]) -> None:
    """Insert one level of the tree and give every row its path and depth."""
    for i, node in enumerate(nodes):
        node.org.parent = node.parent.org if node.parent else None
        node.org.path = f"~demo-{i}"  # unique placeholder until the key is known
    Organisation.objects.bulk_create([n.org for n in nodes], batch_size=BATCH)
    for node in nodes:
        parent = node.parent.org if node.parent else None
        node.org.path = (parent.path if parent else "") + path_segment(node.org.pk)
        node.org.depth = parent.depth + 1 if parent else 0
        ctx.add_node(node)
    Organisation.objects.bulk_update([n.org for n in nodes], ["path", "depth"], batch_size=BATCH)
    ctx.progress.update(len(nodes))


def _shares(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder, so the sum is exact)."""
    whole = sum(weights) or 1
    raw = [total * w / whole for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


def _federation_districts(geo: Geo, ctx: DemoContext) -> list[list[District]]:
    """The districts each planned provincial federation covers, in plan order."""
    claimed: dict[str, set[str]] = {}
    for planned in ctx.scale.federations:
        if planned.spec.districts:
            claimed.setdefault(planned.spec.province, set()).update(planned.spec.districts)
    unclaimed_users: dict[str, list[int]] = {}
    for i, planned in enumerate(ctx.scale.federations):
        if not planned.spec.districts:
            unclaimed_users.setdefault(planned.spec.province, []).append(i)
    out: list[list[District]] = []
    for i, planned in enumerate(ctx.scale.federations):
        spec = planned.spec
        if spec.districts:
            out.append([geo.districts[c] for c in spec.districts])
            continue
        # Share the province's remaining districts among the federations that did not name
        # theirs, largest first, round robin.
        rest = [d for d in geo.by_province[spec.province] if d.code not in claimed.get(spec.province, set())]
        rest.sort(key=lambda d: (-(d.population or 0), d.code))
        sharers = unclaimed_users[spec.province]
        out.append(rest[sharers.index(i)::len(sharers)])
    return out


def build_tree(ctx: DemoContext) -> None:
    """Confederation → provincial federations → district federations → base organisations."""
    rng = ctx.rng
    geo = Geo.load()
    kinds = {k.code: k for k in OrgKind.objects.all()}
    namer = Namer(ctx)

    # The confederation: a legal entity registered in SUNARP, in the Cercado de Lima.
    seat = geo.districts[CONFEDERATION_DISTRICT]
    confederation = Organisation(
        kind=kinds["confederacion"], name=CONFEDERATION_NAME, district=seat,
        address="Jr. Huancavelica 470, of. 302, Cercado de Lima", founded_on=datetime.date(2003, 3, 8),
        sunarp_entry=f"Partida N° {rng.randint(11_000_000, 13_999_999)}",
        latitude=Decimal("-12.048611"), longitude=Decimal("-77.035278"),
    )
    ctx.confederation = Node(confederation, "confederacion", seat.department_id, seat.province_id)
    _insert_level(ctx, [ctx.confederation])

    # Provincial federations.
    coverage = _federation_districts(geo, ctx)
    base_counts = _shares(ctx.scale.base_organisations, [p.weight for p in ctx.scale.federations])
    provincial: list[tuple[Node, list[District], int, int]] = []
    for planned, districts, n_base in zip(ctx.scale.federations, coverage, base_counts, strict=True):
        seat = districts[0]
        org = Organisation(
            kind=kinds["federacion-provincial"], name=planned.spec.name, district=seat,
            founded_on=_founded(ctx, "federacion-provincial"),
            address=f"Local comunal, {_address(ctx, seat.department_id, rng.choice(names.SETTLEMENTS))}",
        )
        org.latitude, org.longitude = _coordinates(ctx, seat)
        _registration(ctx, org, seat, 0.7)
        if rng.random() < 0.85:
            org.sunarp_entry = f"Partida N° {rng.randint(11_000_000, 13_999_999)}"
        node = Node(org, "federacion-provincial", seat.department_id, seat.province_id, parent=ctx.confederation,
                    key=planned.spec.key)
        provincial.append((node, districts, planned.district_federations, n_base))
    _insert_level(ctx, [p[0] for p in provincial])

    # District federations, and base organisations of provinces without a district level.
    level2: list[Node] = []
    pending_base: list[tuple[Node, list[District], District, int]] = []  # parent, area, home, count
    for node, districts, n_district, n_base in provincial:
        if n_district == 0:
            level2.extend(_base_orgs(ctx, namer, kinds, node, node, districts, None, n_base))
            continue
        shares = _shares(n_base, [rng.uniform(0.7, 1.3) for _ in range(n_district)])
        sectors = names.SECTORS.get(districts[0].code, names.GENERIC_SECTORS)
        for j in range(n_district):
            home = districts[j % len(districts)]
            place = place_name(home.name, home.capital, home.code)
            template = rng.choice(names.DISTRICT_FEDERATION_TEMPLATES)
            if len(districts) < n_district:  # one big district split into zones
                place = f"{place} – {sectors[j % len(sectors)]}"
            org = Organisation(
                kind=kinds["federacion-distrital"], name=template.format(place=place), district=home,
                founded_on=_founded(ctx, "federacion-distrital"),
                address=f"Local comunal, {_address(ctx, home.department_id, rng.choice(names.SETTLEMENTS))}",
            )
            org.latitude, org.longitude = _coordinates(ctx, home)
            _registration(ctx, org, home, 0.8)
            fed = Node(org, "federacion-distrital", home.department_id, home.province_id, parent=node)
            level2.append(fed)
            pending_base.append((fed, districts, home, shares[j]))
    _insert_level(ctx, level2)

    # Base organisations under the district federations.
    level3: list[Node] = []
    for fed, districts, home, count in pending_base:
        level3.extend(_base_orgs(ctx, namer, kinds, fed.parent, fed, districts, home, count))
    for start in range(0, len(level3), 2000):
        _insert_level(ctx, level3[start:start + 2000])


def _base_orgs(ctx: DemoContext, namer: Namer, kinds: dict[str, OrgKind], provincial: Node, parent: Node,
               area: list[District], home: District | None, count: int) -> list[Node]:
    """`count` base organisations under `parent`, in `home` or a neighbouring district of `area`."""
    rng = ctx.rng
    mix = KIND_MIX["metro" if provincial.province in METRO_PROVINCES else "provinces"]
    kind_codes, kind_weights = list(mix), list(mix.values())
    near = neighbours(home, area) if home else []
    area_weights = [math.sqrt(d.population or 1) for d in area]
    out = []
    for _ in range(count):
        kind = rng.choices(kind_codes, kind_weights)[0]
        if home is None:
            district = rng.choices(area, area_weights)[0]
        else:
            district = home if not near or rng.random() < 0.75 else rng.choice(near)
        settlement = rng.choice(names.SETTLEMENTS)
        org = Organisation(
            kind=kinds[kind], district=district, founded_on=_founded(ctx, kind),
            name=namer.base_name(provincial.pk, kind, district.department_id, settlement),
            address=_address(ctx, district.department_id, settlement),
        )
        org.latitude, org.longitude = _coordinates(ctx, district)
        _registration(ctx, org, district, 0.55 if kind == "olla-comun" else 0.8)
        _status(ctx, org, kind)
        out.append(Node(org, kind, district.department_id, district.province_id, parent=parent))
    return out


def generate_requirements(ctx: DemoContext) -> None:
    """The membership checklist: most documents seen for active organisations, fewer otherwise."""
    rng = ctx.rng
    items = list(RequirementItem.objects.order_by("order"))
    base_odds = {"acta-fundacion": 0.8, "estatuto": 0.7, "libro-actas": 0.75, "padron-socias": 0.85}
    checks = []
    for node in ctx.nodes:
        org = node.org
        federation = node.kind in FEDERATION_KINDS
        for item in items:
            if item.code == "junta-vigente":
                if not node.board or rng.random() >= 0.8:
                    continue
                earliest = node.board_starts_on
            else:
                odds = 0.92 if federation else base_odds.get(item.code, 0.7)
                if not node.is_active:
                    odds *= 0.5
                if rng.random() >= odds:
                    continue
                earliest = org.founded_on
            earliest = max(earliest, ctx.today - datetime.timedelta(days=3 * 365))
            note = rng.choice(names.REQUIREMENT_NOTES) if rng.random() < 0.15 else ""
            checks.append(RequirementCheck(organisation=org, item=item, note=note,
                                           verified_on=ctx.date_between(earliest, ctx.today)))
        ctx.progress.update(1)
    RequirementCheck.objects.bulk_create(checks, batch_size=BATCH)
    ctx.counts["requirement_checks"] += len(checks)
