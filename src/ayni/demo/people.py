"""Demo step: the socias of every base organisation, with DNI, phone and languages.

People are written in chunks with `bulk_create`, so `Person.save()` does not run: the search
name it would compute is set here with the same `fold`.
"""

import datetime

from ayni.accounts.models import User
from ayni.demo import names
from ayni.demo.context import DemoContext, Member, Node
from ayni.lib.dni import check_characters
from ayni.lib.text import fold
from ayni.people.models import Language, Membership, Person

CHUNK = 4000  # people per round of inserts: bounded memory, few queries
BATCH = 1000
YEAR = 365.2425


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class PersonFactory:
    """One synthetic person at a time, drawn from `ctx.rng` only."""

    def __init__(self, ctx: DemoContext, languages: set[str]):
        self.ctx = ctx
        self.rng = ctx.rng
        self.languages = languages

    def given_names(self, sex: str, birth_year: int) -> str:
        rng = self.rng
        if sex == "M":
            return rng.choice(names.MEN)
        # Mostly her generation's names, with some crossing over.
        older = birth_year < 1975
        if rng.random() < 0.2:
            older = not older
        pool = names.WOMEN_OLDER if older else names.WOMEN_YOUNGER
        roll = rng.random()
        if roll < 0.15:
            return rng.choice(names.WOMEN_COMPOUND)
        if roll < 0.30:
            first, second = rng.choice(names.COMPOUND_FIRST), rng.choice(pool)
            if second != first:
                return f"{first} {second}"
        return rng.choice(pool)

    def surname(self, department: str) -> str:
        quechua, aymara, northern = names.SURNAME_MIX.get(department, names.DEFAULT_SURNAME_MIX)
        roll = self.rng.random()
        if roll < quechua:
            return self.rng.choice(names.QUECHUA)
        if roll < quechua + aymara:
            return self.rng.choice(names.AYMARA)
        if roll < quechua + aymara + northern:
            return self.rng.choice(names.NORTHERN)
        return self.rng.choice(names.SPANISH)

    def dni(self, birth: datetime.date) -> str:
        """A unique 8-digit number. RENIEC numbered roughly by generation, so older women hold
        lower numbers (many begin with 0 or 1) and younger ones higher (4… to 7…)."""
        rng = self.rng
        position = min(max((birth.year - 1945) / 60, 0.0), 1.0)
        while True:
            number = int(position * 75_000_000 + rng.gauss(0, 5_000_000))
            number = min(max(number, 100_000), 79_999_999)
            text = f"{number:08d}"
            if text not in self.ctx.used_dnis:
                self.ctx.used_dnis.add(text)
                return text

    def phone(self) -> str:
        while True:
            text = f"9{self.rng.randint(0, 99_999_999):08d}"
            if text not in self.ctx.used_phones:
                self.ctx.used_phones.add(text)
                return text

    def spoken(self, department: str, age: int) -> list[str]:
        rng = self.rng
        if rng.random() < 0.03:
            return []  # not recorded
        native = [code for code, share in names.LANGUAGE_MIX.get(department, {}).items()
                  if code in self.languages and rng.random() < share]
        # A few older women in the Andes speak only their mother tongue.
        monolingual = native and age >= 60 and rng.random() < 0.15
        return native if monolingual else ["castellano", *native]

    def person(self, department: str, district_id: str | None, female_share: float = 0.96):
        """An unsaved Person and the codes of the languages she speaks."""
        rng, today = self.rng, self.ctx.today
        sex = "F" if rng.random() < female_share else "M"
        age_days = int(rng.triangular(20 * YEAR + 1, 76 * YEAR - 2, 43 * YEAR))
        birth = today - datetime.timedelta(days=age_days)
        age = int(age_days // YEAR)
        given = self.given_names(sex, birth.year)
        paternal, maternal = self.surname(department), self.surname(department)
        if rng.random() < 0.01:
            maternal = ""
        dni, check = None, ""
        if rng.random() < 0.90:
            dni = self.dni(birth)
            if rng.random() < 0.35:
                digit, letter = check_characters(dni)
                check = digit if rng.random() < 0.6 else letter
        phone_odds = 0.85 if age < 50 else 0.7 if age < 60 else 0.5
        phone = self.phone() if rng.random() < phone_odds else ""
        person = Person(
            given_names=given, paternal_surname=paternal, maternal_surname=maternal, sex=sex,
            birth_date=birth, dni=dni, dni_check=check, phone=phone, district_id=district_id,
            search_name=fold(f"{given} {paternal} {maternal}"),
        )
        return person, self.spoken(department, age)


def _membership_dates(ctx: DemoContext, node: Node, birth: datetime.date, founder: bool):
    """(since, until) of a socia: founders since the founding, others joined later; a few left."""
    org = node.org
    adult = add_years(birth, 18)
    end = ctx.today - datetime.timedelta(days=7)
    closed = org.status == org.Status.CLOSED
    if closed:
        end = min(end, org.status_changed_on)
    start = max(org.founded_on, adult)
    since = org.founded_on if founder and adult <= org.founded_on else ctx.date_between(start, end)
    since = min(since, end)
    until = None
    if closed:
        until = max(org.status_changed_on, since)
    elif (end - since).days > 200 and ctx.rng.random() < 0.06:
        until = ctx.date_between(since + datetime.timedelta(days=180), end)
    return since, until


class PeopleWriter:
    """Buffers people with their memberships and languages; writes them in chunks."""

    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.rows: list[tuple[Node, Person, list[str], datetime.date, datetime.date | None]] = []
        self.through = Person.languages.through

    def add(self, node: Node, person: Person, languages: list[str], since, until) -> None:
        self.rows.append((node, person, languages, since, until))
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        Person.objects.bulk_create([r[1] for r in self.rows], batch_size=BATCH)
        memberships, spoken = [], []
        for node, person, languages, since, until in self.rows:
            memberships.append(Membership(person_id=person.pk, organisation_id=node.pk, since=since, until=until))
            spoken.extend(self.through(person_id=person.pk, language_id=code) for code in languages)
            node.members.append(Member(person.pk, person.sex, since, until, bool(person.phone)))
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        self.through.objects.bulk_create(spoken, batch_size=BATCH)
        counts = self.ctx.counts
        counts["people"] += len(self.rows)
        counts["memberships"] += len(memberships)
        counts["languages"] += len(spoken)
        counts["people_with_dni"] += sum(1 for r in self.rows if r[1].dni)
        counts["people_with_phone"] += sum(1 for r in self.rows if r[1].phone)
        self.rows = []


def generate_people(ctx: DemoContext) -> None:
    """10 to 30 socias per base organisation, living in its district."""
    rng = ctx.rng
    # Never collide with people or accounts already in the database.
    ctx.used_dnis.update(Person.objects.exclude(dni=None).values_list("dni", flat=True))
    ctx.used_phones.update(p for p in Person.objects.exclude(phone="").values_list("phone", flat=True))
    ctx.used_phones.update(User.objects.exclude(phone=None).values_list("phone", flat=True))
    factory = PersonFactory(ctx, set(Language.objects.values_list("code", flat=True)))
    writer = PeopleWriter(ctx)
    sizes = {"comedor-popular": (15, 30), "olla-comun": (10, 25)}
    for node in ctx.base_nodes:
        low, high = sizes.get(node.kind, (10, 20))
        count = rng.randint(low, high)
        female_share = 0.90 if node.kind in ("vaso-de-leche", "banco-comunal") else 0.97
        for i in range(count):
            person, languages = factory.person(node.department, node.org.district_id, female_share)
            since, until = _membership_dates(ctx, node, person.birth_date, founder=i < count // 4)
            writer.add(node, person, languages, since, until)
        ctx.progress.update(1)
    writer.flush()
