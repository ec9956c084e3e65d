"""Finding the same person twice: on the rolls of two kitchens, or twice on one.

Method (explained for the closing note):

1. *Normalise* names: accents and case folded away (`lib.text.fold`), punctuation dropped.
2. *Block*: a record is only compared with records that share a key, so 800,000 people need a
   few million comparisons, not 3·10¹¹. The keys are: the DNI; the birth date with the first
   three letters of either surname (survives a typo in one surname and swapped surnames); the
   birth year-month with both surname prefixes, sorted, and the first initial (survives a wrong
   birth day); and the district with the same name key (survives a missing birth date).
3. *Compare* with rapidfuzz: surnames straight and swapped, given names token by token so that
   initials ("M. Elena") and compound names ("María Elena" / "Elena") still match.
4. *Decide* with rules a coordinator can read: the same DNI is the same person; a DNI one typo
   away (one digit changed or two neighbours swapped) with similar names is a likely typo; with
   no DNI to settle it, similar names with the same birth date, or very similar names with a
   birth date a few days off or the same district, are a probable match. Two different valid
   DNIs are two people, however alike the names.
"""

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from ayni.lib.text import fold

SAME_DNI, DNI_TYPO, NAMES = "same_dni", "dni_typo", "names"
NAME_THRESHOLD = 86  # same birth date, or a DNI one typo away
STRICT_THRESHOLD = 92  # birth date a little off, or only the district in common
MAX_BLOCK = 250  # a block larger than this is a common name in a big place: compared by a tighter key

_PUNCT = re.compile(r"[^a-z ]+")


@dataclass(slots=True)
class Record:
    pk: int
    given: str
    paternal: str
    maternal: str
    birth: datetime.date | None
    dni: str
    district: str


def norm(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", fold(text)).split())


def make_record(pk, given, paternal, maternal, birth, dni, district) -> Record:
    return Record(pk, norm(given), norm(paternal), norm(maternal), birth, dni or "", district or "")


def _ratio(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return Levenshtein.normalized_similarity(a, b) * 100


def _token(a: str, b: str) -> float:
    if a == b:
        return 100.0
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return 92.0  # an initial
    return _ratio(a, b)


def given_score(a: str, b: str) -> float:
    """Given names: typos, initials and compound names ("maria elena" / "elena")."""
    if not a or not b:
        return 60.0
    ta, tb = a.split(), b.split()
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    aligned = sum(max(_token(t, u) for u in long_) for t in short) / len(short)
    aligned -= 4 * (len(long_) - len(short))
    return max(aligned, _ratio(a.replace(" ", ""), b.replace(" ", "")))


def surname_score(a: Record, b: Record) -> float:
    """Both surnames, straight or swapped; a missing maternal surname is neither for nor against."""
    if a.maternal and b.maternal:
        straight = (_ratio(a.paternal, b.paternal) + _ratio(a.maternal, b.maternal)) / 2
        swapped = (_ratio(a.paternal, b.maternal) + _ratio(a.maternal, b.paternal)) / 2
        return max(straight, swapped - 1)
    return max(_ratio(a.paternal, b.paternal), _ratio(a.paternal, b.maternal), _ratio(a.maternal, b.paternal)) - 3


def name_score(a: Record, b: Record) -> float:
    return 0.6 * surname_score(a, b) + 0.4 * given_score(a.given, b.given)


def dni_one_typo(a: str, b: str) -> bool:
    """One digit changed, or two neighbouring digits swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _birth_near(a: datetime.date, b: datetime.date) -> bool:
    """A wrong day, or day and month swapped when writing it down."""
    if a.year == b.year and a.month == b.month:
        return True
    return a.year == b.year and a.day == b.month and a.month == b.day


def classify(a: Record, b: Record) -> tuple[str, float, str] | None:
    """(kind, score 0–100, reason in Spanish) when a and b look like one person; None otherwise."""
    if a.dni and b.dni:
        if a.dni == b.dni:
            return SAME_DNI, 100.0, "mismo DNI"
        if dni_one_typo(a.dni, b.dni):
            score = name_score(a, b)
            if score >= NAME_THRESHOLD:
                return DNI_TYPO, score, "DNI con un dígito distinto o dos dígitos invertidos, y nombres parecidos"
        return None  # two different DNIs are two people
    score = name_score(a, b)
    if score < NAME_THRESHOLD:
        return None
    if a.birth and b.birth:
        if a.birth == b.birth:
            return NAMES, score, "nombres parecidos y la misma fecha de nacimiento"
        if score >= STRICT_THRESHOLD and _birth_near(a.birth, b.birth):
            return NAMES, score - 2, "nombres muy parecidos y fecha de nacimiento casi igual"
        return None
    if score >= STRICT_THRESHOLD and a.district and a.district == b.district:
        return NAMES, score - 4, "nombres muy parecidos en el mismo distrito (sin fecha de nacimiento)"
    return None


def _prefix(text: str) -> str:
    return text[:3]


def block_keys(r: Record) -> Iterator[tuple]:
    if r.dni:
        yield ("d", r.dni)
    surnames = sorted({_prefix(r.paternal), _prefix(r.maternal)} - {""})
    pair = "|".join(surnames)
    initial = r.given[:1]
    if r.birth:
        for s in surnames:
            yield ("b", r.birth.toordinal(), s)
        yield ("m", r.birth.year, r.birth.month, pair, initial)
    if r.district:
        yield ("n", r.district, pair, initial)


def find_pairs(records: Iterable[Record], skip: set[tuple[int, int]] | None = None,
               ) -> list[tuple[int, int, str, float, str]]:
    """Every pair (pk_a < pk_b, kind, score, reason) among `records`, compared within blocks.

    A pair sharing several keys is compared once per key rather than remembered in a set of
    every pair compared: that set would be the largest thing in memory at 800,000 people."""
    blocks: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        for key in block_keys(r):
            blocks[key].append(r)
    skip = skip or set()
    found: dict[tuple[int, int], tuple[str, float, str]] = {}
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        if len(members) > MAX_BLOCK and key[0] != "d":
            continue  # a common name in a big place: the same people also share a tighter key
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if a.pk == b.pk:
                    continue
                pair = (a.pk, b.pk) if a.pk < b.pk else (b.pk, a.pk)
                if pair in found or pair in skip:
                    continue
                result = classify(a, b)
                if result:
                    found[pair] = result
    return [(*pair, *result) for pair, result in found.items()]
