"""Demo step: the beneficiary roll (padrón de usuarios) of every active kitchen.

50 to 80 people per kitchen, of every age and both sexes (the socias made by `demo/people.py`
cook; these people eat), in the programme's categories in roughly the shares kitchens report:
many children and older adults, a few pregnant or breastfeeding women, people with a disability,
TB patients and people at risk. Paying, subsidised and free rations (a free "social case" always
with its reason), consent mostly on a signed sheet, some households (a mother with her children),
some exits, and a few people who moved from one kitchen to another (one person, two entries).

About 2% of the people are planted duplicates: the same person written again on the roll of
another kitchen of the same province, with the mistakes real lists have — the two surnames
swapped, two DNI digits transposed, the DNI left out, a wrong birth day, the accents dropped, a
letter wrong, the maternal surname as its initial, day and month of birth swapped, the second
given name left out, a mistyped DNI digit beside a name written otherwise. A person's DNI is
unique in the registry, so a copy never repeats it: it comes without one, or with the
transposed or mistyped one. `ctx.roll_duplicates` keeps the planted pairs, for the tests; the
duplicate finder (`rolls/dedupe.py`) should find them all.

Rows are written with bulk inserts (people, households) and plain multi-row INSERTs (entries):
a national demo has about 300,000 people on rolls.
"""

import datetime
import unicodedata
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

from ayni.demo.bulk import insert_rows
from ayni.demo.context import DemoContext, Node
from ayni.demo.people import YEAR, PersonFactory, add_years
from ayni.lib.text import fold
from ayni.orgs.models import OrgKind
from ayni.people.models import Person
from ayni.rolls.counts import insert_from_entries
from ayni.rolls.models import ConsentMethod, ExitReason, Household, Ration, RollEntry

BATCH = 2000
PEOPLE_PER_KITCHEN = (50, 80)
DUPLICATE_SHARE = 0.02
MOVED_SHARE = 0.01

# code: (share, youngest, oldest, share of women). Ages in whole years at today's date.
CATEGORY_MIX = {
    "nino-menor-6": (0.17, 0, 5, 0.5),
    "nino-escolar": (0.22, 6, 17, 0.5),
    "gestante-lactante": (0.06, 16, 42, 1.0),
    "adulto-mayor": (0.20, 60, 92, 0.6),
    "discapacidad": (0.05, 4, 80, 0.5),
    "pantbc": (0.02, 15, 70, 0.45),
    "riesgo": (0.06, 3, 85, 0.6),
    "otro": (0.22, 18, 59, 0.65),
}
# Ration by category: (paying, subsidised); the rest are free social cases.
RATION_MIX = {
    "nino-menor-6": (0.30, 0.55), "nino-escolar": (0.40, 0.50), "gestante-lactante": (0.30, 0.60),
    "adulto-mayor": (0.25, 0.50), "discapacidad": (0.15, 0.45), "pantbc": (0.05, 0.35),
    "riesgo": (0.10, 0.40), "otro": (0.80, 0.18),
}
SOCIAL_CASE_REASONS = {
    "nino-menor-6": ["Orfandad", "Madre sola sin ingresos", "Desnutrición crónica"],
    "nino-escolar": ["Orfandad", "Abandono de los padres", "Madre sola sin ingresos"],
    "gestante-lactante": ["Madre adolescente sin apoyo familiar", "Sin ingresos"],
    "adulto-mayor": ["Adulta mayor en abandono", "Adulto mayor sin pensión ni familia", "Vive sola, sin ingresos"],
    "discapacidad": ["Discapacidad severa sin apoyo familiar", "Sin ingresos por su discapacidad"],
    "pantbc": ["Paciente TBC en tratamiento, sin ingresos", "TBC multidrogorresistente"],
    "riesgo": ["Víctima de violencia familiar", "Situación de calle", "Riesgo moral"],
    "otro": ["Desempleo", "Enfermedad de la jefa de hogar"],
}
EXIT_REASONS = [ExitReason.MOVED, ExitReason.MOVED, ExitReason.NO_LONGER_NEEDED, ExitReason.NO_LONGER_NEEDED,
                ExitReason.OTHER]
NOTES = ["Recoge la ración en táper", "Almuerzo para llevar", "Dieta blanda", "No come menestras",
         "Recoge su hija", "Vive a dos cuadras"]
MISTAKES = ("swap", "dni_transposed", "no_dni", "birth_day", "accents", "typo",
            # what the field trial's rolls showed too (issue 12)
            "maternal_initial", "day_month", "given_dropped", "dni_typo_and_name")


def _strip_accents(text: str) -> str:
    """'Huamán Ñahui' -> 'Huaman Nahui', keeping the case: how a list typed without accents reads."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@dataclass(slots=True)
class Eater:
    """A person as the roll step needs her: lighter than a model instance, 300,000 times over."""

    given_names: str
    paternal_surname: str
    maternal_surname: str
    sex: str
    birth_date: datetime.date
    dni: str | None
    district_id: str
    pk: int | None = None

    def age(self, on: datetime.date) -> int:
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


class Beneficiary:
    """One person on one roll, before it is written."""

    __slots__ = ("person", "node", "category", "since", "until", "exit_reason", "head")

    def __init__(self, person: Eater, node: Node, category: str, since: datetime.date):
        self.person, self.node, self.category, self.since = person, node, category, since
        self.until: datetime.date | None = None
        self.exit_reason = ""
        self.head: Beneficiary | None = None


class RollMaker:
    def __init__(self, ctx: DemoContext):
        self.ctx, self.rng, self.today = ctx, ctx.rng, ctx.today
        self.factory = PersonFactory(ctx, set())
        self.codes = list(CATEGORY_MIX)
        self.weights = [CATEGORY_MIX[c][0] for c in self.codes]

    def person(self, node: Node, category: str, sex: str | None = None, age: int | None = None) -> Eater:
        rng, today = self.rng, self.today
        _share, young, old, women = CATEGORY_MIX[category]
        sex = sex or ("F" if rng.random() < women else "M")
        if age is None:
            age = rng.randint(young, old)
        # A birth date that gives exactly `age` today: between her birthday `age + 1` years ago
        # (exclusive) and her birthday `age` years ago.
        latest = add_years(today, -age)
        earliest = add_years(today, -age - 1) + datetime.timedelta(days=1)
        birth = self.ctx.date_between(earliest, latest)
        given = self.factory.given_names(sex, birth.year)
        paternal, maternal = self.factory.surname(node.department), self.factory.surname(node.department)
        dni = None
        # Most adults and most children have a DNI (RENIEC registers babies); not everyone
        # brought it to the kitchen.
        if rng.random() < (0.78 if age < 6 else 0.9):
            dni = self.factory.dni(birth)
        return Eater(given, paternal, maternal, sex, birth, dni, node.org.district_id)

    def since(self, node: Node, birth: datetime.date) -> datetime.date:
        start = max(node.org.founded_on, birth, self.today - datetime.timedelta(days=int(8 * YEAR)))
        return self.ctx.date_between(start, self.today - datetime.timedelta(days=3))

    def kitchen_roll(self, node: Node) -> list[Beneficiary]:
        rng = self.rng
        size = rng.randint(*PEOPLE_PER_KITCHEN)
        out: list[Beneficiary] = []
        while len(out) < size:
            category = rng.choices(self.codes, self.weights)[0]
            person = self.person(node, category)
            head = Beneficiary(person, node, category, self.since(node, person.birth_date))
            out.append(head)
            age = person.age(self.today)
            # A mother with her children: one household, the children carry her surname second.
            if person.sex == "F" and 18 <= age <= 50 and rng.random() < 0.45:
                for _i in range(rng.randint(1, 3)):
                    child_age = rng.randint(0, min(17, age - 16))
                    child_cat = "nino-menor-6" if child_age < 6 else "nino-escolar"
                    child = self.person(node, child_cat, age=child_age)
                    child.maternal_surname = person.paternal_surname
                    member = Beneficiary(child, node, child_cat, max(head.since, child.birth_date))
                    member.head = head
                    out.append(member)
        for b in out:
            span = (self.today - b.since).days
            if b.head is None and span > 120 and rng.random() < 0.07:
                b.until = b.since + datetime.timedelta(days=rng.randint(60, span - 1))
                old = b.category == "adulto-mayor" and rng.random() < 0.25
                b.exit_reason = ExitReason.DECEASED if old else rng.choice(EXIT_REASONS)
        return out

    def copy_with_mistake(self, original: Beneficiary, node: Node) -> tuple[Beneficiary, str]:
        """The same person written again on another kitchen's roll, with one realistic mistake."""
        rng, src = self.rng, original.person
        mistake = rng.choice(MISTAKES)
        given, paternal, maternal = src.given_names, src.paternal_surname, src.maternal_surname
        birth, dni = src.birth_date, None  # a DNI is unique in the registry: the copy has none…
        if mistake in ("swap", "maternal_initial") and not maternal or mistake == "given_dropped" and " " not in given:
            mistake = "no_dni"  # nothing to swap, shorten or drop: the copy only lacks the DNI
        if mistake in ("dni_transposed", "dni_typo_and_name") and not src.dni:
            mistake = "no_dni"
        if mistake == "swap":
            paternal, maternal = maternal, paternal
        elif mistake == "dni_transposed":
            digits = src.dni
            for _try in range(8):
                i = rng.randrange(0, 7)
                candidate = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
                if candidate != digits and candidate not in self.ctx.used_dnis:
                    dni = candidate  # …or two neighbouring digits swapped
                    self.ctx.used_dnis.add(dni)
                    break
            else:
                mistake = "no_dni"
        elif mistake == "dni_typo_and_name":
            # One digit mistyped, and the name written otherwise too: the maternal surname as its
            # initial, or the second given name left out.
            for _try in range(8):
                i = rng.randrange(0, 8)
                candidate = src.dni[:i] + rng.choice([d for d in "0123456789" if d != src.dni[i]]) + src.dni[i + 1:]
                if candidate not in self.ctx.used_dnis:
                    dni = candidate
                    self.ctx.used_dnis.add(dni)
                    break
            if " " in given and (not maternal or rng.random() < 0.5):
                given = given.split()[0]
            elif maternal:
                maternal = maternal[0] + "."
        elif mistake == "maternal_initial":
            maternal = maternal[0] + "."  # "Cusi" written "C."
        elif mistake == "given_dropped":
            given = given.split()[0]
        elif mistake == "day_month":
            # 4 August written 8 April: when the day can be a month, and it keeps her age.
            age = src.age(self.today)
            candidate = birth.replace(day=birth.month, month=birth.day) if birth.day <= 12 else None
            if (candidate and candidate != birth and candidate <= self.today
                    and Eater("", "", "", "", candidate, None, "").age(self.today) == age):
                birth = candidate
            else:
                mistake = "no_dni"
        elif mistake == "birth_day":
            # Another day of the same month, keeping her age (and so her category) and in the past.
            days = [d for d in range(1, 29) if d != birth.day]
            rng.shuffle(days)
            age = src.age(self.today)
            for day in days:
                candidate = birth.replace(day=day)
                if candidate <= self.today and Eater("", "", "", "", candidate, None, "").age(self.today) == age:
                    birth = candidate
                    break
        elif mistake == "accents":
            given, paternal, maternal = (_strip_accents(t).upper() for t in (given, paternal, maternal))
        elif mistake == "typo":
            word = given.split()[0]
            if len(word) > 4:
                i = rng.randrange(1, len(word) - 1)
                given = given.replace(word, word[:i] + word[i + 1:], 1)  # a letter left out
            else:
                mistake = "no_dni"  # too short a name to misspell: the copy only lacks the DNI
        person = Eater(given, paternal, maternal, src.sex, birth, dni, node.org.district_id)
        return Beneficiary(person, node, original.category, self.since(node, birth)), mistake


def _entry_row(rng, b: Beneficiary, household_id, now) -> tuple:
    paying, subsidised = RATION_MIX[b.category]
    roll = rng.random()
    ration = Ration.PAYING if roll < paying else Ration.SUBSIDISED if roll < paying + subsidised else Ration.FREE
    reason = rng.choice(SOCIAL_CASE_REASONS[b.category]) if ration == Ration.FREE else ""
    consent_on, method, witness = None, "", ""
    if rng.random() < 0.92:
        consent_on = b.since
        method = ConsentMethod.SIGNED if rng.random() < 0.8 else ConsentMethod.VERBAL
        if method == ConsentMethod.VERBAL:
            witness = "Presidenta del comedor" if rng.random() < 0.5 else "Secretaria de actas"
    notes = rng.choice(NOTES) if rng.random() < 0.05 else ""
    return (b.person.pk, b.node.pk, b.category, ration, reason, b.since, b.until, b.exit_reason, "", household_id,
            consent_on, method, witness, notes, now, now)


def _insert_people(people: list[Eater], now) -> None:
    """Insert people with ids chosen here, after the highest one: the entries need them, and
    `bulk_create` would spend more time preparing values than the whole step spends elsewhere.
    PostgreSQL's sequence is then moved past them."""
    start = (Person.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1
    rows = []
    for pk, p in enumerate(people, start):
        p.pk = pk
        rows.append((pk, p.given_names, p.paternal_surname, p.maternal_surname, p.sex, p.birth_date, p.dni, "",
                     "", p.district_id, fold(f"{p.given_names} {p.paternal_surname} {p.maternal_surname}"), now, now))
    insert_rows(Person, ["id", "given_names", "paternal_surname", "maternal_surname", "sex", "birth_date", "dni",
                     "dni_check", "phone", "district", "search_name", "created_at", "updated_at"], rows)
    reset = connection.ops.sequence_reset_sql(no_style(), [Person])
    if reset:
        with connection.cursor() as cursor:
            for sql in reset:
                cursor.execute(sql)


ENTRY_FIELDS = ["person", "kitchen", "category", "ration", "social_case_reason", "since", "until", "exit_reason",
                "exit_note", "household", "consent_on", "consent_method", "consent_witness", "notes", "created_at",
                "updated_at"]


def generate_rolls(ctx: DemoContext) -> None:
    rng = ctx.rng
    kitchen_kinds = set(OrgKind.objects.filter(is_kitchen=True).values_list("code", flat=True))
    kitchens = [n for n in ctx.base_nodes if n.kind in kitchen_kinds and n.is_active]
    maker = RollMaker(ctx)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rolls: list[Beneficiary] = []
    for node in kitchens:
        rolls.extend(maker.kitchen_roll(node))
        ctx.progress.update(1)
    ctx.progress.update(len(ctx.base_nodes) - len(kitchens))  # the step's bar counts every base organisation

    # Planted duplicates and moves go to another kitchen of the same province: people move
    # across a city, rarely across the country.
    by_province: dict[str, list[Node]] = {}
    for node in kitchens:
        by_province.setdefault(node.province, []).append(node)
    originals = [b for b in rolls if len(by_province[b.node.province]) > 1]
    n_planted = round(len(rolls) * DUPLICATE_SHARE)
    head_ids = {id(b.head) for b in rolls if b.head is not None}
    picked = rng.sample(originals, min(n_planted + round(len(rolls) * MOVED_SHARE), len(originals)))
    planted: list[tuple[Beneficiary, Beneficiary, str]] = []
    moves: list[Beneficiary] = []
    for i, original in enumerate(picked):
        node = rng.choice([n for n in by_province[original.node.province] if n is not original.node])
        if i < n_planted:
            copy, mistake = maker.copy_with_mistake(original, node)
            planted.append((original, copy, mistake))
            rolls.append(copy)
        elif (original.until is None and original.head is None and id(original) not in head_ids
              and (ctx.today - original.since).days > 90):
            # She moved: her entry here closes, the same person opens one at the other kitchen.
            original.until = ctx.date_between(original.since + datetime.timedelta(days=30),
                                              ctx.today - datetime.timedelta(days=30))
            original.exit_reason = ExitReason.OTHER_KITCHEN
            moved = Beneficiary(original.person, node, original.category, original.until)
            moves.append(moved)
    _insert_people([b.person for b in rolls], now)
    rolls.extend(moves)

    heads = {id(b.head): b.head for b in rolls if b.head is not None}
    households = [Household(kitchen_id=h.node.pk, head_id=h.person.pk) for h in heads.values()]
    Household.objects.bulk_create(households, batch_size=BATCH)
    household_of = {key: h.pk for key, h in zip(heads, households, strict=True)}
    rows = []
    for b in rolls:
        household_id = household_of.get(id(b.head)) if b.head is not None else household_of.get(id(b))
        rows.append(_entry_row(rng, b, household_id, now))
    insert_rows(RollEntry, ENTRY_FIELDS, rows)
    insert_from_entries(ctx.confederation.org.path)  # the people-fed counts of the roll-up, in bulk

    ctx.roll_duplicates = [(a.person.pk, b.person.pk, mistake) for a, b, mistake in planted]
    people = len(rolls) - len(moves)
    ctx.counts.update({
        "people": people, "people_with_dni": sum(1 for b in rolls[:people] if b.person.dni),
        "roll_people": people, "roll_entries": len(rows), "roll_households": len(households),
        "roll_exits": sum(1 for b in rolls if b.until is not None), "roll_moves": len(moves),
        "roll_duplicates_planted": len(planted),
    })
