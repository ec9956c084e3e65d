"""A held-out labelled roll for the duplicate finder: families, relatives and copied records.

THE TUNING NEVER LOOKS AT THIS SET. It was written before the finder's rules were changed for
issue 12, independently of `bench/dedupe.py`'s generator (other code, other name lists, other
distributions, another mix of mistakes), and only its totals (precision, recall, F1) are printed.
Rules are tuned on `bench/dedupe.py`'s own set and on the unit tests, never on the pairs this set
makes the finder miss or invent; that is what keeps its F1 an honest estimate.

How the roll is made (about 21,000 rows, about 1,200 true pairs):

- *Families*, not independent people: a household in one district, with a mother (and often the
  father, a grandmother) and children who carry the father's paternal surname and the mother's
  paternal surname, as Peruvian names are given. So the roll is full of the non-duplicates that
  fool a finder: sisters and brothers with both surnames in common, twins (same birth date, DNIs
  issued one after the other), a daughter named after her mother, a son named after his father,
  and namesakes — surnames are drawn with Zipf-like weights, so "Quispe Mamani" is everywhere.
- *DNIs* are issued by birth cohort (older people, lower numbers); twins get consecutive ones.
- *Copies*: about 6% of the people are written again, on another kitchen's roll, with one to
  three of the habits of real rolls: the maternal surname as an initial ("Cusi" → "C."),
  the surnames swapped, day and month of birth swapped, the second given name dropped or
  written as an initial, a misspelling by sound (s/z, b/v, y/i, hua/wa, cc/c, a dropped h), the
  DNI mistyped (one digit, or two neighbours swapped; always together with a name variation),
  the DNI or the birth date left out, another birth day; and, independently, capitals, no
  accents, another district. A few people are copied twice (three records, three pairs).
"""

import datetime
import random
import unicodedata

# Surnames in rough order of frequency (weights 1/rank^0.9): highland, coastal, Amazonian.
SURNAMES = """Quispe Mamani Flores Huamani Condori Chambilla Sánchez Rojas Ccama Ticona Vilca Huallpa
Chura Laura Cahuana Torres Ramos Gómez Cruz Ñaupari Yucra Huarachi Arapa Calsina Chalco Sucasaire Pilco
Coila Luque Nina Ccallo Turpo Larico Pacori Maquera Cutipa Zea Alanoca Callata Humpiri Catacora Poma
Quispealaya Llacsa Ushiñahua Tapullima Sangama Panduro Tuesta Pinedo Ríos Vela Shupingahua Fasabi
Ahuanari Lozano Saldaña Villanueva Bazán Alvarado Chuquimango Chilón Llatas Tantaleán Cotrina Huatay
Guevara Briones Sifuentes Solís Paucar Oré Curo Huaccho Tucto Minaya Albino Espíritu Tolentino Carhuancho
Rivera Aliaga Huayta Chuquillanqui Lazo Sovero Ordóñez Yallico Canchari Pariona Allcca Huaccachi Cconislla
Anccasi Taipe Quicaño Huaraca Pomasonco Sulca Yupanqui Roque Valencia Ortega Palacios Ventura Lucana
Aquino Escalante Bellido Cornejo Vizcarra Herrera Salinas Chipana Ylla Mollo Aroni Challco""".split()
# Given names by sex and generation (born before 1985 / after): composite names are common.
WOMEN_OLDER = """María Juana Rosa Victoria Justina Alejandrina Florentina Eugenia Clotilde Leonor Primitiva
Sabina Emiliana Filomena Bernardina Gumercinda Nicolasa Paula Santusa Tomasa Agripina Hermelinda Rufina
Segundina Asunción Concepción Dominga Marcelina Natividad Obdulia Pascuala Rebeca Simona Vicenta Zoila
Crisóstoma Evarista Leonarda Porfiria Adelaida""".split()
WOMEN_YOUNGER = """Fiorella Yanina Lizbeth Jessica Yessenia Rocío Ruth Karina Mariela Roxana Verónica Pamela
Daysi Nathaly Milagros Xiomara Dayana Brigitte Estefany Angie Luz Evelyn Gabriela Fabiola Yuliana Maricielo
Anyela Sandra Zulema Leydi Nelly Vanesa Ximena Jimena Thalía Cintia Deysi Madeleyne Heydi Yovana""".split()
MEN_OLDER = """Juan Santos Pedro Félix Gregorio Eleuterio Andrés Mariano Nicanor Valentín Saturnino Cipriano
Crisanto Eulogio Florencio Hermógenes Leandro Macario Nazario Pascual Severino Teodosio Vicente Zacarías
Agapito Bonifacio Casimiro Demetrio Estanislao Fortunato""".split()
MEN_YOUNGER = """Jhonny Erick Yoel Franklin Henry Deyvis Jhordan Yerson Marco Antonio Christian Alexis Junior Rony
Joel Wilmer Abel Nilton Elvis Ángel Gerson Frank Roger Darwin Yonatan Bryan Jefferson Dilmer Rusbel""".split()
# Districts of Puno, Ayacucho, Loreto, Cajamarca, Junín and Lima (INEI UBIGEO codes).
DISTRICTS = ([f"21{d:04d}" for d in range(101, 116)] + [f"05{d:04d}" for d in range(101, 116)]
             + [f"16{d:04d}" for d in range(101, 114)] + [f"06{d:04d}" for d in range(101, 113)]
             + [f"12{d:04d}" for d in range(101, 129)] + [f"15{d:04d}" for d in range(101, 144)])
TODAY = datetime.date(2026, 3, 15)
# Sound-alike spellings, each way round: how a name is written from hearing it.
SOUNDS = [("z", "s"), ("s", "z"), ("v", "b"), ("b", "v"), ("y", "i"), ("i", "y"), ("hua", "wa"), ("wa", "hua"),
          ("cc", "c"), ("c", "cc"), ("ll", "y"), ("j", "g"), ("x", "j"), ("ss", "s"), ("th", "t"), ("qu", "k"),
          ("ci", "si"), ("si", "ci"), ("ce", "se"), ("gue", "ge"), ("ñ", "ny")]
MISTAKES = {  # habit: weight
    "maternal_initial": 14, "swap_surnames": 10, "day_month": 10, "dni_typo": 12, "drop_second_given": 12,
    "sound_spelling": 18, "no_dni": 10, "no_birth": 4, "other_day": 5, "second_given_initial": 5,
}


class Person:
    __slots__ = ("given", "paternal", "maternal", "birth", "dni", "district", "sex")

    def __init__(self, given, paternal, maternal, birth, dni, district, sex):
        self.given, self.paternal, self.maternal = given, paternal, maternal
        self.birth, self.dni, self.district, self.sex = birth, dni, district, sex

    def row(self, pk: int) -> tuple:
        return (pk, self.given, self.paternal, self.maternal, self.birth, self.dni, self.district)


class Town:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.weights = [1 / (rank + 1) ** 0.9 for rank in range(len(SURNAMES))]
        self.dnis: set[str] = set()

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, self.weights)[0]

    def given(self, sex: str, birth: datetime.date) -> str:
        rng = self.rng
        older = birth.year < 1985
        pool = (WOMEN_OLDER if older else WOMEN_YOUNGER) if sex == "F" else (MEN_OLDER if older else MEN_YOUNGER)
        other = (WOMEN_YOUNGER if older else WOMEN_OLDER) if sex == "F" else (MEN_YOUNGER if older else MEN_OLDER)
        first = rng.choice(pool if rng.random() < 0.85 else other)
        if rng.random() < 0.5:
            second = rng.choice(pool)
            if second != first:
                return f"{first} {second}"
        return first

    def dni(self, birth: datetime.date, after: str | None = None) -> str:
        """By cohort: older people hold lower numbers. `after`: the next free number (a twin)."""
        if after is not None:
            number = int(after) + 1
            while f"{number:08d}" in self.dnis:
                number += 1
        else:
            base = 1_000_000 + max(0, birth.year - 1925) * 850_000
            number = base + self.rng.randrange(850_000)
            while f"{number:08d}" in self.dnis:
                number = base + self.rng.randrange(850_000)
        text = f"{number:08d}"[-8:]
        self.dnis.add(text)
        return text

    def birth(self, youngest: int, oldest: int) -> datetime.date:
        days = self.rng.randint(youngest * 365, oldest * 365 + 364)
        return TODAY - datetime.timedelta(days=days)


def _family(town: Town, district: str) -> list[Person]:
    """A household: mother, sometimes the father and a grandmother, children (twins now and then)."""
    rng = town.rng
    f_paternal, f_maternal = town.surname(), town.surname()
    m_paternal, m_maternal = town.surname(), town.surname()
    mother_birth = town.birth(20, 55)
    mother = Person(town.given("F", mother_birth), m_paternal, m_maternal, mother_birth, "", district, "F")
    people = [mother]
    father_given = None
    if rng.random() < 0.45:
        father_birth = town.birth(max(20, TODAY.year - mother_birth.year - 4), TODAY.year - mother_birth.year + 8)
        father_given = town.given("M", father_birth)
        people.append(Person(father_given, f_paternal, f_maternal, father_birth, "", district, "M"))
    if rng.random() < 0.2:
        grandmother_birth = town.birth(TODAY.year - mother_birth.year + 17, TODAY.year - mother_birth.year + 35)
        people.append(Person(town.given("F", grandmother_birth), m_maternal if rng.random() < 0.1 else town.surname(),
                             m_maternal, grandmother_birth, "", district, "F"))
    oldest_child = max(0, TODAY.year - mother_birth.year - 17)
    for _i in range(rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5])):
        if oldest_child <= 0:
            break
        birth = town.birth(0, min(oldest_child, 25))
        sex = "F" if rng.random() < 0.5 else "M"
        if sex == "F" and rng.random() < 0.08:
            given = mother.given  # named after her mother
        elif sex == "M" and father_given and rng.random() < 0.12:
            given = father_given  # named after his father ("junior")
        else:
            given = town.given(sex, birth)
        people.append(Person(given, f_paternal, m_paternal, birth, "", district, sex))
        if rng.random() < 0.04:  # twins: same day, other names (often sharing the first)
            sex2 = "F" if rng.random() < 0.5 else "M"
            twin_given = town.given(sex2, birth)
            if sex2 == sex and " " in given and rng.random() < 0.5:
                twin_given = given.split()[0] + " " + town.given(sex2, birth).split()[0]
            if twin_given != given:
                people.append(Person(twin_given, f_paternal, m_paternal, birth, "twin", district, sex2))
    # DNIs (most people have one; twins consecutive), and what the roll left blank.
    previous = None
    for p in people:
        twin = p.dni == "twin"
        p.dni = ""
        if rng.random() < 0.86 or twin:
            p.dni = town.dni(p.birth, after=previous if twin and previous else None)
        previous = p.dni or None
        if rng.random() < 0.04:
            p.maternal = ""
        if rng.random() < 0.04:
            p.birth = None
    return people


def _no_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _sound_alike(rng: random.Random, word: str) -> str:
    lower = word.lower()
    options = [(a, b) for a, b in SOUNDS if a in lower[1:] or (a in lower and a in ("hua", "wa", "cc", "ll"))]
    if options:
        a, b = rng.choice(options)
        i = lower.find(a, 1) if lower.find(a, 1) >= 0 else lower.find(a)
        out = lower[:i] + b + lower[i + len(a):]
    elif lower.startswith("h") and len(lower) > 3:
        out = lower[1:]
    else:
        vowels = [i for i, c in enumerate(lower[1:-1], 1) if c in "aeiou"]
        if not vowels:
            return word
        i = rng.choice(vowels)
        out = lower[:i] + lower[i + 1:]
    return out[:1].upper() + out[1:]


def _dni_typo(rng: random.Random, dni: str) -> str:
    i = rng.randrange(7)
    if rng.random() < 0.5 and dni[i] != dni[i + 1]:
        return dni[:i] + dni[i + 1] + dni[i] + dni[i + 2:]
    j = rng.randrange(8)
    return dni[:j] + rng.choice([d for d in "0123456789" if d != dni[j]]) + dni[j + 1:]


NAME_VARIATIONS = ("maternal_initial", "drop_second_given", "sound_spelling", "second_given_initial")


def _copy(rng: random.Random, p: Person) -> Person:
    """The same person written again by another kitchen, with one to three habits."""
    c = Person(p.given, p.paternal, p.maternal, p.birth, p.dni, p.district, p.sex)
    habits = list(MISTAKES)
    weights = [MISTAKES[h] for h in habits]
    wanted = rng.choices([1, 2, 3], [55, 35, 10])[0]
    chosen: list[str] = []
    for _try in range(12):
        if len(chosen) == wanted:
            break
        habit = rng.choices(habits, weights)[0]
        if habit in chosen:
            continue
        if habit == "dni_typo" and not chosen and wanted == 1:
            wanted = 2  # a mistyped DNI comes with a name variation, as the trial's misses did
        chosen.append(habit)
    if "dni_typo" in chosen and not any(h in NAME_VARIATIONS for h in chosen):
        chosen.append(rng.choice(NAME_VARIATIONS))
    for habit in chosen:
        if habit == "maternal_initial" and c.maternal:
            c.maternal = c.maternal[0] + ("." if rng.random() < 0.7 else "")
        elif habit == "swap_surnames" and c.maternal:
            c.paternal, c.maternal = c.maternal, c.paternal
        elif habit == "day_month" and c.birth and c.birth.day <= 12 and c.birth.day != c.birth.month:
            c.birth = c.birth.replace(day=c.birth.month, month=c.birth.day)
        elif habit in ("day_month", "other_day") and c.birth:
            c.birth = c.birth.replace(day=rng.choice([d for d in range(1, 29) if d != c.birth.day]))
        elif habit == "dni_typo" and c.dni:
            c.dni = _dni_typo(rng, c.dni)
        elif habit == "drop_second_given" and " " in c.given:
            c.given = c.given.split()[0]
        elif habit == "second_given_initial" and " " in c.given:
            c.given = c.given.split()[0] + " " + c.given.split()[1][0] + "."
        elif habit == "sound_spelling":
            parts = [c.given.split()[0], c.paternal] + ([c.maternal] if len(c.maternal) > 2 else [])
            target = rng.choice(parts)
            changed = _sound_alike(rng, target)
            if target == c.paternal:
                c.paternal = changed
            elif target == c.maternal:
                c.maternal = changed
            else:
                c.given = c.given.replace(target, changed, 1)
        elif habit == "no_dni":
            c.dni = ""
        elif habit == "no_birth":
            c.birth = None
    if "dni_typo" not in chosen and rng.random() < 0.3:
        c.dni = ""  # that kitchen did not ask for it
    if rng.random() < 0.35:
        c.given, c.paternal, c.maternal = c.given.upper(), c.paternal.upper(), c.maternal.upper()
    if rng.random() < 0.3:
        c.given, c.paternal, c.maternal = _no_accents(c.given), _no_accents(c.paternal), _no_accents(c.maternal)
    if rng.random() < 0.4:
        c.district = rng.choice(DISTRICTS)
    return c


def generate(rows: int = 21_000, seed: int = 1821) -> tuple[list[tuple], set[tuple[int, int]], dict[str, int]]:
    """(rows as (pk, given, paternal, maternal, birth, dni, district), true pairs, counts of the
    look-alike non-duplicates in it)."""
    rng = random.Random(seed)
    town = Town(rng)
    originals = int(rows / 1.06)
    people: list[Person] = []
    while len(people) < originals:
        people.extend(_family(town, rng.choice(DISTRICTS)))
    people = people[:originals]
    out = [p.row(pk) for pk, p in enumerate(people, 1)]
    truth: set[tuple[int, int]] = set()
    pk = len(out)
    copied = rng.sample(range(len(people)), rows - originals)
    twice = set(copied[: len(copied) // 40])  # these people are written a third time
    for i in copied:
        if pk >= rows:
            break
        records = [i + 1]
        for _n in range(2 if i in twice and pk + 2 <= rows else 1):
            pk += 1
            out.append(_copy(rng, people[i]).row(pk))
            records.append(pk)
        for x in records:
            for y in records:
                if x < y:
                    truth.add((x, y))
    rng.shuffle(out)
    # The look-alikes that are not duplicates: counted, so the printout can say what is in the set.
    twins = same_name_relatives = 0
    by_family: dict[tuple, list[Person]] = {}
    for p in people:
        by_family.setdefault((p.district, p.paternal.lower()), []).append(p)
    for group in by_family.values():
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                a, b = group[x], group[y]
                if a.birth and a.birth == b.birth and a.maternal == b.maternal:
                    twins += 1
                elif a.given == b.given:
                    same_name_relatives += 1
    return out, truth, {"twin_pairs": twins, "same_given_and_paternal_in_district": same_name_relatives}
